"""Balances of a fund, a pool or a pool's subtree, per chart code and currency.

Now: the sum of the maintained account balances, one GROUP BY over the accounts of
the pools in the code range (the subtree is one range of codes, so one indexed scan).
As of a date: the postings dated up to that day, one GROUP BY over postings joined to
their accounts and pools — the same rule as ``fundpool.ledger.balances.balance_as_of``
(effective date, not recording time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundpool.ledger.balances import DEBIT_MINUS_CREDIT
from fundpool.ledger.chart import BY_CODE
from fundpool.ledger.models import DEBIT_NORMAL, Account, Posting
from fundpool.pools.models import Pool
from fundpool.reports.scope import Scope


@dataclass(frozen=True, slots=True)
class BalanceLine:
    chart_code: str
    name: str
    type: str
    currency: str
    balance: int  # on the account's normal side
    pending: int | None  # held now; None as of a past date
    accounts: int

    @property
    def available(self) -> int | None:
        return None if self.pending is None else self.balance - self.pending


def _name(chart_code: str) -> str:
    item = BY_CODE.get(chart_code)
    return item.name if item else chart_code


def balances(session: Session, scope: Scope, as_of: date | None = None) -> list[BalanceLine]:
    """Per (chart code, currency), ordered so; ``as_of`` None means now."""
    if as_of is None:
        stmt = scope.where(
            select(Account.chart_code, Account.type, Account.currency,
                   func.sum(Account.balance), func.sum(Account.pending), func.count())
            .join(Pool, Pool.id == Account.pool_id))
        rows = session.execute(stmt.group_by(Account.chart_code, Account.type,
                                             Account.currency)).all()
        lines = [BalanceLine(chart, _name(chart), kind, currency, int(bal), int(pend), int(n))
                 for chart, kind, currency, bal, pend, n in rows]
    else:
        # Summed per account first (one pass over the postings of the scope's accounts),
        # then the few thousand sums grouped by chart code.
        in_scope = scope.where(select(Account.id).join(Pool, Pool.id == Account.pool_id))
        sums = (select(Posting.account_id, func.sum(DEBIT_MINUS_CREDIT).label("net"))
                .where(Posting.effective_date <= as_of, Posting.account_id.in_(in_scope))
                .group_by(Posting.account_id).subquery())
        rows = session.execute(
            select(Account.chart_code, Account.type, Account.currency, func.sum(sums.c.net),
                   func.count())
            .select_from(sums).join(Account, Account.id == sums.c.account_id)
            .group_by(Account.chart_code, Account.type, Account.currency)).all()
        lines = [BalanceLine(chart, _name(chart), kind, currency,
                             int(raw) if kind in DEBIT_NORMAL else -int(raw), None, int(n))
                 for chart, kind, currency, raw, n in rows]
    return sorted(lines, key=lambda line: (line.currency, line.chart_code))
