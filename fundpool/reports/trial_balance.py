"""The trial balance (试算平衡表) of a pool subtree as of a date.

One GROUP BY over the postings dated up to the day, joined to their accounts and to the
pools in the subtree's code range: each account's debit and credit totals, and its
balance split into a debit or a credit column. Over a whole city every entry lies
inside, so debits equal credits per currency. A smaller subtree also sees allocations
that cross its edge (the city's 1002 paying a district's 1002): their other leg lies
outside, so the totals differ by the net money allocated in from outside the subtree.
That difference is shown as its own line (``boundary``: 子树外拨入净额), summed on its own
from the allocation records whose one fund lies inside the subtree and the other outside,
and the report is balanced when debits − boundary = credits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from fundpool.funds.models import Allocation, Fund
from fundpool.ledger.models import Account, Entry, Posting
from fundpool.pools.models import Pool
from fundpool.reports.scope import Scope

DEBITS = func.sum(case((Posting.side == "debit", Posting.amount), else_=0))
CREDITS = func.sum(case((Posting.side == "credit", Posting.amount), else_=0))


@dataclass(frozen=True, slots=True)
class TrialLine:
    account: str
    chart_code: str
    name: str
    name_en: str  # the console's English pages name the account so
    pool_code: str
    fund_code: str | None
    currency: str
    debits: int
    credits: int

    @property
    def balance_debit(self) -> int:
        return max(self.debits - self.credits, 0)

    @property
    def balance_credit(self) -> int:
        return max(self.credits - self.debits, 0)


@dataclass(slots=True)
class CurrencyTotals:
    currency: str
    debits: int = 0
    credits: int = 0
    balance_debit: int = 0
    balance_credit: int = 0
    #: Net money allocated in from pools outside the subtree (debits − credits); 0 for a city.
    boundary: int = 0

    @property
    def balanced(self) -> bool:
        return (self.debits - self.boundary == self.credits
                and self.balance_debit - self.boundary == self.balance_credit)


@dataclass(slots=True)
class TrialBalance:
    as_of: date
    lines: list[TrialLine]
    totals: list[CurrencyTotals] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return all(total.balanced for total in self.totals)


def trial_balance(session: Session, scope: Scope, as_of: date) -> TrialBalance:
    # Postings are summed per account first (one pass over the postings of the subtree's
    # accounts), and only the few thousand sums are joined to their names.
    in_scope = scope.where(select(Account.id).join(Pool, Pool.id == Account.pool_id))
    sums = (select(Posting.account_id, DEBITS.label("debits"), CREDITS.label("credits"))
            .where(Posting.effective_date <= as_of, Posting.account_id.in_(in_scope))
            .group_by(Posting.account_id).subquery())
    rows = session.execute(
        select(Account.code, Account.chart_code, Account.name, Account.name_en, Pool.code,
               Fund.code, Account.currency, sums.c.debits, sums.c.credits)
        .select_from(sums).join(Account, Account.id == sums.c.account_id)
        .join(Pool, Pool.id == Account.pool_id)
        .outerjoin(Fund, Fund.id == Account.fund_id)).all()
    lines = sorted((TrialLine(code, chart, name, name_en, pool, fund, currency, int(dr), int(cr))
                    for code, chart, name, name_en, pool, fund, currency, dr, cr in rows),
                   key=lambda line: (line.currency, line.chart_code, line.account))
    totals: dict[str, CurrencyTotals] = {}
    for line in lines:
        total = totals.setdefault(line.currency, CurrencyTotals(line.currency))
        total.debits += line.debits
        total.credits += line.credits
        total.balance_debit += line.balance_debit
        total.balance_credit += line.balance_credit
    for currency, net in boundary(session, scope, as_of).items():
        totals.setdefault(currency, CurrencyTotals(currency)).boundary = net
    return TrialBalance(as_of, lines, [totals[c] for c in sorted(totals)])


def boundary(session: Session, scope: Scope, as_of: date) -> dict[str, int]:
    """Per currency, money allocated into the subtree from outside it less money allocated
    out of it, by the allocation records (an allocation or return is one entry between two
    funds' 1002 accounts), counting those dated up to ``as_of``."""
    source, target = aliased(Fund), aliased(Fund)
    source_pool, target_pool = aliased(Pool), aliased(Pool)
    inside_source = source_pool.code.between(scope.low, scope.high)
    inside_target = target_pool.code.between(scope.low, scope.high)
    if scope.fund_id is not None:
        inside_source = inside_source & (source.id == scope.fund_id)
        inside_target = inside_target & (target.id == scope.fund_id)
    signed = case((inside_target & ~inside_source, Allocation.amount),
                  (inside_source & ~inside_target, -Allocation.amount), else_=0)
    rows = session.execute(
        select(Allocation.currency, func.sum(signed))
        .join(Entry, Entry.id == Allocation.entry_id)
        .join(source, source.id == Allocation.source_fund_id)
        .join(target, target.id == Allocation.target_fund_id)
        .join(source_pool, source_pool.id == source.pool_id)
        .join(target_pool, target_pool.id == target.pool_id)
        .where(Entry.effective_date <= as_of, inside_source | inside_target)
        .group_by(Allocation.currency)).all()
    return {currency: int(net) for currency, net in rows if net}


def table(report: TrialBalance) -> list[str]:
    """The trial balance as lines of a plain-text table (for the command line)."""
    from fundpool.ledger.money import format_amount

    head = ("account", "名称", "debits", "credits", "balance Dr", "balance Cr")
    rows = [(line.account, line.name,
             *(format_amount(getattr(line, name), line.currency) for name in (
                 "debits", "credits", "balance_debit", "balance_credit")))
            for line in report.lines]
    for total in report.totals:
        c = total.currency
        into, out = max(total.boundary, 0), max(-total.boundary, 0)
        if total.boundary:
            rows.append((f"子树外拨入净额 {c}", "net allocated in from outside",
                         format_amount(out, c), format_amount(into, c),
                         format_amount(out, c), format_amount(into, c)))
        rows.append((f"合计 total {c}", "balanced" if total.balanced else "NOT BALANCED",
                     format_amount(total.debits + out, c),
                     format_amount(total.credits + into, c),
                     format_amount(total.balance_debit + out, c),
                     format_amount(total.balance_credit + into, c)))
    widths = [max(_width(str(row[i])) for row in (head, *rows)) for i in range(len(head))]

    def render(row) -> str:
        cells = []
        for i, value in enumerate(row):
            pad = " " * (widths[i] - _width(str(value)))
            cells.append(str(value) + pad if i < 2 else pad + str(value))
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return [render(head), rule, *(render(row) for row in rows[:len(report.lines)]), rule,
            *(render(row) for row in rows[len(report.lines):])]


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
