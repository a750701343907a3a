"""The funds a foundation may read (granted to its token), each with its spendable money.

A fund's money here is its 1002 银行存款 per currency — the account its statement follows —
with what approved grants hold on it now and what is left to spend. Only reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.auth.principal import Principal
from fundpool.auth.scope import granted_fund_ids
from fundpool.funds.models import Fund
from fundpool.reports.balances import balances
from fundpool.reports.scope import fund_scope
from fundpool.reports.statements import SPENDABLE


@dataclass(frozen=True, slots=True)
class FundMoney:
    currency: str
    balance: int
    held: int

    @property
    def available(self) -> int:
        return self.balance - self.held


@dataclass(frozen=True, slots=True)
class GrantedFund:
    fund: Fund
    money: list[FundMoney]


def fund_money(session: Session, fund: Fund) -> list[FundMoney]:
    """The fund's spendable money now, per currency."""
    return [FundMoney(line.currency, line.balance, line.pending or 0)
            for line in balances(session, fund_scope(fund)) if line.chart_code == SPENDABLE]


def granted_funds(session: Session, viewer: Principal) -> list[GrantedFund]:
    """Every fund granted to ``viewer``'s token, by code."""
    funds = session.scalars(select(Fund).where(Fund.id.in_(granted_fund_ids(session, viewer)))
                            .order_by(Fund.code))
    return [GrantedFund(fund, fund_money(session, fund)) for fund in funds]
