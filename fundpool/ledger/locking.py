"""Account rows held for update: the one place balances are read for a write and saved.

Writers read the touched account rows with ``SELECT … FOR UPDATE`` in ascending
id order, work on plain values, and save them back with one statement. Plain
Core statements keep the hot path to a handful of round trips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from fundpool.ledger.models import DEBIT_NORMAL, Account

_TABLE = Account.__table__
_LOCK = (select(_TABLE.c.id, _TABLE.c.code, _TABLE.c.type, _TABLE.c.currency,
                _TABLE.c.no_overdraft, _TABLE.c.closed_at, _TABLE.c.balance, _TABLE.c.pending,
                _TABLE.c.last_seq, _TABLE.c.head_hash)
         .where(_TABLE.c.code.in_(bindparam("codes", expanding=True)))
         .order_by(_TABLE.c.id).with_for_update())
_SAVE = (update(_TABLE).where(_TABLE.c.id == bindparam("account_id"))
         .values(balance=bindparam("new_balance"), pending=bindparam("new_pending"),
                 last_seq=bindparam("new_last_seq"), head_hash=bindparam("new_head_hash")))


@dataclass(slots=True)
class Locked:
    """An account row this transaction holds; change the numbers, then ``save``."""

    id: int
    code: str
    type: str
    currency: str
    no_overdraft: bool
    closed: bool
    balance: int
    pending: int
    last_seq: int
    head_hash: str

    @property
    def normal_side(self) -> str:
        return "debit" if self.type in DEBIT_NORMAL else "credit"

    @property
    def available(self) -> int:
        return self.balance - self.pending

    @property
    def is_open(self) -> bool:
        return not self.closed


def lock(session: Session, codes: Iterable[str]) -> dict[str, Locked]:
    """Lock the named accounts (missing codes are absent from the result)."""
    rows = session.connection().execute(_LOCK, {"codes": sorted(set(codes))})
    return {row.code: Locked(row.id, row.code, row.type, row.currency, row.no_overdraft,
                             row.closed_at is not None, row.balance, row.pending, row.last_seq,
                             row.head_hash) for row in rows}


def save(session: Session, accounts: Iterable[Locked]) -> None:
    params = [{"account_id": a.id, "new_balance": a.balance, "new_pending": a.pending,
               "new_last_seq": a.last_seq, "new_head_hash": a.head_hash} for a in accounts]
    if params:
        session.connection().execute(_SAVE, params)
