"""The pools directly below a pool, as the rows under its total (the dashboard, the public
pool page): each with its whole subtree's figures over the same months.

A pool's total counts its whole subtree, closed pools included: a street closed on the 15th
raised money from the 1st to the 14th. So the rows list every open pool below and each
closed one that has figures in those months (it closed during them, or still had a grant
completed there), or the rows would not add up to the total. A pool closed before the months
has none and is left out, so closed pools do not pile up as rows of zeros.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.pools.models import Pool
from fundpool.reports.months import Month
from fundpool.reports.public_figures import Figures, pool_figures


def pools_below(session: Session, pool: Pool, first: Month, last: Month
                ) -> list[tuple[Pool, Figures]]:
    """The rows under ``pool``'s total, by code (see the module's note)."""
    children = session.scalars(select(Pool).where(Pool.parent_id == pool.id)
                               .order_by(Pool.code))
    rows = [(child, pool_figures(session, child.code, first, last)) for child in children]
    return [(child, figures) for child, figures in rows
            if child.is_open or not figures.is_empty]
