"""The administrator's dashboard: a pool and the pools directly below it (a closed one too
while it has figures this month), each with its whole subtree's money raised and granted
this month and held for grants now.

Figures are the public figures' (docs/public.md), so the console, the API and the
transparency page never disagree about what "raised" means.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from fundpool.pools.models import Pool
from fundpool.pools.service import get_pool
from fundpool.reports.months import Month
from fundpool.reports.pools_below import pools_below
from fundpool.reports.public_figures import Figures, pool_figures


@dataclass(frozen=True, slots=True)
class PoolRow:
    code: str
    name: str
    name_en: str | None
    level: str
    parent_code: str | None
    figures: Figures
    is_open: bool = True

    def amount(self, what: str, currency: str = "CNY") -> int:
        """``raised`` or ``granted`` this month, or ``held`` now, in minor units."""
        if what == "held":
            return self.figures.held.get(currency, 0)
        money = self.figures.totals.money.get(currency)
        return getattr(money, what) if money else 0

    def other_currencies(self) -> list[str]:
        """The currencies besides CNY this pool raised or granted in this month or holds
        now in: money kept in its own currency is shown in it, never left out."""
        return sorted((set(self.figures.totals.money) | set(self.figures.held)) - {"CNY"})


def pool_tree(session: Session, code: str, today: date) -> tuple[PoolRow, list[PoolRow]]:
    """The pool ``code`` and the pools below it, ordered by code: the open ones, and a
    closed one with figures this month, so the rows add up (reports.pools_below)."""
    month = Month.of(today)
    pool = get_pool(session, code)
    return _row(pool, pool_figures(session, pool.code, month, month)), [
        _row(child, figures) for child, figures in pools_below(session, pool, month, month)]


def _row(pool: Pool, figures: Figures) -> PoolRow:
    return PoolRow(pool.code, pool.name, pool.name_en, pool.level, pool.parent_code,
                   figures, pool.is_open)
