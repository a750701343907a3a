"""The funds a foundation may read (granted to its token), each with its money.

A fund's money is what the administrators' fund page shows (``fund_flows.money_of``): its
bank account and platform clearing (1002 + 1009) per currency, with what approved grants
hold on it now and what is left to spend. Only reads.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.auth.principal import Principal
from fundpool.auth.scope import granted_fund_ids
from fundpool.funds.models import Fund
from fundpool.reports.fund_flows import FundLine, FundMoney, fund_line, money_of


def fund_money(session: Session, fund: Fund) -> list[FundMoney]:
    """The fund's money now, per currency."""
    return fund_line(session, fund).money


def granted_funds(session: Session, viewer: Principal) -> list[FundLine]:
    """Every fund granted to ``viewer``'s token, by code."""
    funds = list(session.scalars(select(Fund).where(
        Fund.id.in_(granted_fund_ids(session, viewer))).order_by(Fund.code)))
    money = money_of(session, [fund.id for fund in funds])
    return [FundLine(fund, money.get(fund.id, [])) for fund in funds]
