"""What a report covers: one fund, one pool's own funds, or a pool's whole subtree."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from fundpool.ledger.models import Account
from fundpool.pools.codes import subtree_bounds
from fundpool.pools.models import Pool
from fundpool.pools.service import get_pool


@dataclass(frozen=True, slots=True)
class Scope:
    """``low``..``high`` is a range of pool codes (one code for a pool on its own);
    ``fund_id`` narrows it to one fund."""

    low: str
    high: str
    fund_id: int | None = None

    def where(self, stmt):
        """Narrow a statement that already joins Account to Pool."""
        stmt = stmt.where(Pool.code.between(self.low, self.high))
        if self.fund_id is not None:
            stmt = stmt.where(Account.fund_id == self.fund_id)
        return stmt


def pool_scope(session: Session, code: str, subtree: bool = True, field: str = "pool") -> Scope:
    """A pool's subtree (or the pool alone); 404 naming ``field`` for an unknown pool."""
    pool = get_pool(session, code, field=field)
    if not subtree:
        return Scope(pool.code, pool.code)
    return Scope(*subtree_bounds(pool.code, pool.level_enum))


def fund_scope(fund) -> Scope:
    return Scope(fund.pool.code, fund.pool.code, fund.id)


def city_code(session: Session) -> str:
    """The one city's code, for reports that default to the whole city."""
    from sqlalchemy import select

    from fundpool.errors import InvalidInput
    codes = list(session.scalars(select(Pool.code).where(Pool.level == "city").limit(2)))
    if len(codes) != 1:
        raise InvalidInput("name a pool: there is not exactly one city", "pool")
    return codes[0]
