"""The public transparency page's figures: a pool with the pools above it (to go back up),
the pools directly below it (the open ones, and a closed one with figures in the months, so
the rows add up: reports.pools_below) and its own funds, each with the public figures of the
same months; or one fund's figures.

Everything here is what the public API already gives (fundpool.api.public): pool and fund
codes, names and kinds, and the aggregates of fundpool.reports.public_figures — never a
donor, an account or a single gift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.funds.models import Fund
from fundpool.funds.service import get_fund
from fundpool.pools.models import Pool
from fundpool.pools.service import get_pool
from fundpool.reports.months import Month
from fundpool.reports.pools_below import pools_below
from fundpool.reports.public_figures import Figures, fund_figures, pool_figures


@dataclass(frozen=True, slots=True)
class Below:
    """A pool below, with its whole subtree's figures over the same months."""

    pool: Pool
    figures: Figures


@dataclass(slots=True)
class PublicPool:
    pool: Pool
    figures: Figures
    above: list[Pool] = field(default_factory=list)  # the city first
    below: list[Below] = field(default_factory=list)
    funds: list[Fund] = field(default_factory=list)


def public_pool(session: Session, code: str, first: Month, last: Month) -> PublicPool:
    """A pool's page; 404 naming ``code`` for an unknown pool."""
    pool = get_pool(session, code, field="code")
    found = PublicPool(pool, pool_figures(session, pool.code, first, last))
    parent = pool.parent
    while parent is not None:
        found.above.insert(0, parent)
        parent = parent.parent
    found.below = [Below(child, figures)
                   for child, figures in pools_below(session, pool, first, last)]
    found.funds = list(session.scalars(select(Fund).where(Fund.pool_id == pool.id)
                                       .order_by(Fund.code)))
    return found


def public_fund(session: Session, code: str, first: Month, last: Month) -> tuple[Fund, Figures]:
    """A fund and its figures; 404 naming ``code`` for an unknown fund."""
    fund = get_fund(session, code, "code")
    return fund, fund_figures(session, fund, first, last)
