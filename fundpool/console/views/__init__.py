"""The console's pages, one module per area; importing them registers their routes."""

from fundpool.console.views import account, audit, dashboard, foundation, public, users  # noqa: F401

from . import grants, needs, proposals, runs  # noqa: F401  the matching pages
