"""The activity statement (业务活动表) of a pool subtree for a period, per currency and fund.

Columns 非限定性 (unrestricted), 限定性 (restricted), 合计 (total); how each figure is
decided (docs/reports.md):

- 捐赠收入 (donation income): the net credit of 410101 (unrestricted) and 410102
  (restricted) — donations less refunds — leaving out grant entries, whose 410102 →
  410101 lines are the release below, not new income.
- 其他收入 (other income): 4901, unrestricted.
- 业务活动成本 (5101) and 管理费用 (5201): costs, always unrestricted (the restriction is
  released when restricted money is spent, so the cost falls on unrestricted net assets).
- 限定性净资产转为非限定性净资产 (released from restriction): what grant entries move
  from 410102 to 410101, or from 3102 to 3101 once the year's restricted income no longer
  holds it (docs/grants.md): + unrestricted, − restricted, 0 in total.
- 净资产变动额 (change in net assets) = income − costs ± the release.

Year-end closing entries (kind ``closing``) only move income and costs into net assets;
they are left out so that a period spanning a close still shows its activity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundpool.funds.models import Fund
from fundpool.ledger.balances import DEBIT_MINUS_CREDIT
from fundpool.ledger.models import Account, Entry, Posting
from fundpool.pools.models import Pool
from fundpool.reports.scope import Scope

CHARTS = ("410101", "410102", "4901", "5101", "5201", "3101", "3102")
ROWS = (("donation_income", "捐赠收入", "Donation income"),
        ("other_income", "其他收入", "Other income"),
        ("total_income", "收入合计", "Total income"),
        ("program_costs", "业务活动成本", "Program activity costs"),
        ("administrative_expenses", "管理费用", "Administrative expenses"),
        ("total_expenses", "费用合计", "Total expenses"),
        ("released_from_restriction", "限定性净资产转为非限定性净资产",
         "Net assets released from restriction"),
        ("change_in_net_assets", "净资产变动额", "Change in net assets"))


@dataclass(slots=True)
class Figures:
    """Each row as (unrestricted, restricted) in minor units."""

    donation_u: int = 0
    donation_r: int = 0
    other: int = 0
    program: int = 0
    admin: int = 0
    release: int = 0

    def add(self, other: Figures) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def rows(self) -> dict[str, tuple[int, int]]:
        income = (self.donation_u + self.other, self.donation_r)
        expenses = (self.program + self.admin, 0)
        return {
            "donation_income": (self.donation_u, self.donation_r),
            "other_income": (self.other, 0),
            "total_income": income,
            "program_costs": (self.program, 0),
            "administrative_expenses": (self.admin, 0),
            "total_expenses": expenses,
            "released_from_restriction": (self.release, -self.release),
            "change_in_net_assets": (income[0] - expenses[0] + self.release,
                                     income[1] - self.release),
        }


@dataclass(slots=True)
class Activity:
    date_from: date
    date_to: date
    #: currency → totals over the subtree
    totals: dict[str, Figures] = field(default_factory=dict)
    #: (currency, fund code) → that fund's figures
    by_fund: dict[tuple[str, str], Figures] = field(default_factory=dict)
    fund_names: dict[str, str] = field(default_factory=dict)
    #: fund code → its English name, if it has one (the console's English pages show it)
    fund_names_en: dict[str, str | None] = field(default_factory=dict)


def activity(session: Session, scope: Scope, date_from: date, date_to: date) -> Activity:
    is_grant = (Entry.kind == "grant").label("is_grant")
    stmt = scope.where(
        select(Posting.currency, Fund.code, Fund.name, Fund.name_en, Account.chart_code,
               is_grant, func.sum(DEBIT_MINUS_CREDIT))
        .select_from(Posting).join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .join(Pool, Pool.id == Account.pool_id)
        .join(Fund, Fund.id == Account.fund_id)
        .where(Posting.effective_date.between(date_from, date_to),
               Entry.kind != "closing", Account.chart_code.in_(CHARTS)))
    rows = session.execute(stmt.group_by(Posting.currency, Fund.code, Fund.name, Fund.name_en,
                                         Account.chart_code, is_grant)).all()
    report = Activity(date_from, date_to)
    for currency, fund_code, fund_name, fund_name_en, chart, grant, raw in rows:
        debit_net = int(raw)
        figures = report.by_fund.setdefault((currency, fund_code), Figures())
        report.fund_names[fund_code] = fund_name
        report.fund_names_en[fund_code] = fund_name_en
        if grant:
            if chart in ("410102", "3102"):
                figures.release += debit_net
            elif chart == "5101":
                figures.program += debit_net
            elif chart == "5201":
                figures.admin += debit_net
            # 410101 / 3101 in a grant entry: the release's other side
        elif chart == "410101":
            figures.donation_u -= debit_net
        elif chart == "410102":
            figures.donation_r -= debit_net
        elif chart == "4901":
            figures.other -= debit_net
        elif chart == "5101":
            figures.program += debit_net
        elif chart == "5201":
            figures.admin += debit_net
    for (currency, _code), figures in sorted(report.by_fund.items()):
        report.totals.setdefault(currency, Figures()).add(figures)
    report.by_fund = dict(sorted(report.by_fund.items()))
    report.totals = dict(sorted(report.totals.items()))
    return report
