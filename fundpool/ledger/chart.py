"""The chart of accounts, after 民间非营利组织会计制度 (the non-profit accounting system).

A pool's general fund (资金池) gets the whole chart; every other fund gets the
accounts marked ``per_fund``. Accounts open in CNY when the fund is made, and in
another currency when first needed. A fund's spendable money is the available
balance of its 1002 银行存款 account, which is ``no_overdraft``. A pass-through
gift (受托代理) is not income: it sits in 1701 受托代理资产 against 2601 受托代理负债
until it is paid on, and both are ``no_overdraft`` so nothing is paid on that was
not received; docs/ledger.md explains the chart in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.ledger.models import Account
from fundpool.ledger.money import check_currency


@dataclass(frozen=True, slots=True)
class ChartAccount:
    code: str
    name: str
    name_en: str
    type: str
    no_overdraft: bool = False
    per_fund: bool = True


CHART = (
    ChartAccount("1002", "银行存款", "Bank deposits", "asset", no_overdraft=True),
    ChartAccount("1009", "其他货币资金", "Other monetary funds (platform clearing)", "asset",
                 no_overdraft=True),
    ChartAccount("1201", "存货（实物捐赠）", "Inventory (gifts in kind)", "asset",
                 no_overdraft=True),
    ChartAccount("1701", "受托代理资产", "Entrusted agency assets (pass-through gifts held)",
                 "asset", no_overdraft=True),
    ChartAccount("2209", "其他应付款", "Other payables (grants approved, not yet paid)",
                 "liability", no_overdraft=True, per_fund=False),
    ChartAccount("2601", "受托代理负债", "Entrusted agency liabilities (owed to designated "
                 "recipients)", "liability", no_overdraft=True),
    ChartAccount("3101", "非限定性净资产", "Unrestricted net assets", "net_assets"),
    ChartAccount("3102", "限定性净资产", "Restricted net assets", "net_assets"),
    ChartAccount("410101", "捐赠收入—非限定性", "Donation income, unrestricted", "income"),
    ChartAccount("410102", "捐赠收入—限定性", "Donation income, restricted", "income"),
    ChartAccount("4901", "其他收入", "Other income", "income", per_fund=False),
    ChartAccount("5101", "业务活动成本", "Program activity costs", "expense"),
    ChartAccount("5201", "管理费用", "Administrative expenses", "expense", per_fund=False),
)
BY_CODE = {account.code: account for account in CHART}


def account_code(owner_code: str, chart_code: str, currency: str) -> str:
    """``<fund code>:<chart code>:<currency>``; a general fund's code is its pool's."""
    return f"{owner_code}:{chart_code}:{currency}"


def open_fund_accounts(session: Session, fund, currency: str = "CNY") -> list[Account]:
    """Open the fund's part of the chart in ``currency``; accounts already open are kept."""
    check_currency(currency)
    items = [item for item in CHART if fund.kind == "general" or item.per_fund]
    codes = [account_code(fund.code, item.code, currency) for item in items]
    existing = set(session.scalars(select(Account.code).where(Account.code.in_(codes))))
    made = [Account(code=code, chart_code=item.code, name=item.name, name_en=item.name_en,
                    pool_id=fund.pool_id, fund_id=fund.id, type=item.type, currency=currency,
                    no_overdraft=item.no_overdraft)
            for code, item in zip(codes, items) if code not in existing]
    session.add_all(made)
    session.flush()
    return made
