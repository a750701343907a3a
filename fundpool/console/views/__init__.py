"""The console's pages, one module per area; importing them registers their routes."""

from fundpool.console.views import account, audit, dashboard, foundation, public, users  # noqa: F401

# the matching pages (grants, needs, proposals, runs) and the money pages
# (donations, funds, imports, pools)
from . import donations, funds, grants, imports, needs, pools, proposals, runs  # noqa: F401
