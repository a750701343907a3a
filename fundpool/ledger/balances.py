"""Balances: maintained on the account row (constant time), as of any past date
(summed from postings through the (account, date) index), and a full recheck."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from fundpool.errors import NotFound

from fundpool.ledger.models import DEBIT_NORMAL, Account, Hold, HoldLeg, Posting

DEBIT_MINUS_CREDIT = case((Posting.side == "debit", Posting.amount), else_=-Posting.amount)


@dataclass(frozen=True, slots=True)
class Balance:
    code: str
    currency: str
    balance: int
    pending: int

    @property
    def available(self) -> int:
        return self.balance - self.pending


_CURRENT = select(Account.code, Account.currency, Account.balance, Account.pending).where(
    Account.code == bindparam("code"))


def current(session: Session, code: str) -> Balance:
    """The maintained balances: one indexed row read, however long the history."""
    row = session.connection().execute(_CURRENT, {"code": code}).one_or_none()
    if row is None:
        raise NotFound(f"there is no account {code}", "code")
    return Balance(*row)


@dataclass(frozen=True, slots=True)
class Mismatch:
    account_code: str
    what: str  # "balance" or "pending"
    maintained: int
    recomputed: int


def balance_as_of(session: Session, account: Account, day: date) -> int:
    """The posted balance, on the account's normal side, counting entries dated up to ``day``."""
    debit_minus_credit = session.scalar(
        select(func.coalesce(func.sum(DEBIT_MINUS_CREDIT), 0))
        .where(Posting.account_id == account.id, Posting.effective_date <= day))
    return int(debit_minus_credit) if account.normal_side == "debit" else -int(debit_minus_credit)


def recheck(session: Session) -> list[Mismatch]:
    """Recompute every account's balance from its postings and its pending amount from
    its open holds; report each difference from the maintained figures.

    One statement, so one snapshot: the maintained figures and what they are recomputed
    from are read at the same instant. Read one after the other (as the ORM objects an
    earlier step of ``verify`` had loaded), a hold resolved or an entry posted in between
    on a live service showed as a difference that was never there."""
    posted = (select(Posting.account_id, func.sum(DEBIT_MINUS_CREDIT).label("amount"))
              .group_by(Posting.account_id).subquery())
    held = (select(HoldLeg.account_id, func.sum(HoldLeg.amount).label("amount")).join(Hold)
            .where(Hold.status == "pending").group_by(HoldLeg.account_id).subquery())
    rows = session.execute(
        select(Account.code, Account.type, Account.balance, Account.pending,
               posted.c.amount, held.c.amount)
        .outerjoin(posted, posted.c.account_id == Account.id)
        .outerjoin(held, held.c.account_id == Account.id).order_by(Account.id))
    mismatches = []
    for code, account_type, balance, pending, raw, on_hold in rows:
        recomputed = int(raw or 0) if account_type in DEBIT_NORMAL else -int(raw or 0)
        if recomputed != balance:
            mismatches.append(Mismatch(code, "balance", balance, recomputed))
        if int(on_hold or 0) != pending:
            mismatches.append(Mismatch(code, "pending", pending, int(on_hold or 0)))
    return mismatches


def totals_by_currency(session: Session) -> dict[str, int]:
    """Debits minus credits over every posting, per currency: zero in a sound ledger."""
    rows = session.execute(
        select(Posting.currency, func.sum(DEBIT_MINUS_CREDIT))
        .group_by(Posting.currency)).all()
    return {currency: int(total) for currency, total in rows}
