"""What grant instalments paid, by project (match) and fund, read from the ledger.

A grant's payment is a ``disbursement`` entry committing the grant's hold: Dr 2209 /
Cr 1002 of each paying fund (docs/grants.md). Every hold a grant takes — at approval and
again after each instalment — carries the memo ``<title> (proposal P, match M)``, so the
hold tells which project a payment was for. One ``GROUP BY`` per question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundpool.ledger.models import Account, Entry, Hold, Posting

_GRANT_MEMO = re.compile(r"\(proposal (\d+), match (\d+)\)$")


@dataclass(frozen=True, slots=True)
class Paid:
    proposal_id: int
    match_id: int
    fund_id: int
    currency: str
    amount: int  # minor units


def grant_payments(session: Session, low: date | None, high: date, *,
                   fund_id: int | None = None, proposal_id: int | None = None) -> list[Paid]:
    """Grant money paid out of funds' bank accounts with effective dates ``low``..``high``
    (from the beginning if ``low`` is None), per project and fund; narrowed to one fund or
    one proposal."""
    stmt = (select(Hold.memo, Account.fund_id, Posting.currency, func.sum(Posting.amount))
            .select_from(Posting).join(Entry, Entry.id == Posting.entry_id)
            .join(Hold, Hold.id == Entry.hold_id)
            .join(Account, Account.id == Posting.account_id)
            .where(Entry.kind == "disbursement", Hold.kind == "disbursement",
                   Account.chart_code == "1002", Posting.side == "credit",
                   Posting.effective_date <= high))
    if low is not None:
        stmt = stmt.where(Posting.effective_date >= low)
    if fund_id is not None:
        stmt = stmt.where(Account.fund_id == fund_id)
    if proposal_id is not None:
        stmt = stmt.where(Hold.memo.like(f"%(proposal {int(proposal_id)}, match %"))
    rows = session.execute(stmt.group_by(Hold.memo, Account.fund_id, Posting.currency)).all()
    totals: dict[tuple[int, int, int, str], int] = {}
    for memo, paying_fund, currency, amount in rows:
        found = _GRANT_MEMO.search(memo)
        if found is None:
            continue
        key = (int(found.group(1)), int(found.group(2)), paying_fund, currency)
        if proposal_id is not None and key[0] != proposal_id:
            continue
        totals[key] = totals.get(key, 0) + int(amount)
    return [Paid(*key, amount) for key, amount in sorted(totals.items())]
