"""The general fund (资金池) every pool has, made with the pool; its code is the pool's."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fundpool.funds.models import Fund
from fundpool.ledger.chart import open_fund_accounts
from fundpool.pools.models import Pool


def create_general_fund(session: Session, pool: Pool) -> Fund:
    fund = Fund(code=pool.code, name=f"{pool.name}资金池", pool=pool, kind="general",
                restricted=False, categories=[], area_codes=[])
    session.add(fund)
    session.flush()
    open_fund_accounts(session, fund)
    return fund
