"""Reversals: the only correction. A new entry mirrors the original, side for side,
and links to it; the database's unique link makes a second reversal impossible.

Anyone with the right may reverse a manual entry (kind ``adjustment``) directly. An
entry an operation posted (a donation, an allocation, a payment, …) is corrected
through that operation (a refund, a return allocation, …), so the record beside it
(the donation's refunded amount, say) never disagrees with the ledger."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.errors import Conflict, NotFound
from fundpool.ledger.models import Entry
from fundpool.ledger.posting import Links, post_entry
from fundpool.ledger.values import Line, NewEntry, Side


def get_entry(session: Session, entry_id: int) -> Entry:
    entry = session.get(Entry, entry_id)
    if entry is None:
        raise NotFound(f"there is no entry {entry_id}", "entry_id")
    return entry


def reversal_of(session: Session, entry_id: int) -> int | None:
    return session.scalar(select(Entry.id).where(Entry.reverses_id == entry_id))


def reverse_manual_entry(session: Session, actor: Actor, entry_id: int, effective_date: date,
                         memo: str) -> Entry:
    """Reverse an entry posted by hand; refuse one an operation posted."""
    original = get_entry(session, entry_id)
    if original.kind not in ("adjustment", "reversal"):
        raise Conflict(f"entry {entry_id} is a {original.kind} entry, posted by that operation; "
                       "correct it through the operation (a refund, a return allocation, …) "
                       "so its record stays true — only manual adjustments are reversed "
                       "directly", "entry_id")
    return reverse_entry(session, actor, entry_id, effective_date, memo)


def reverse_entry(session: Session, actor: Actor, entry_id: int, effective_date: date,
                  memo: str) -> Entry:
    original = get_entry(session, entry_id)
    if original.kind == "reversal":
        raise Conflict(f"entry {entry_id} is itself a reversal; post a new entry instead",
                       "entry_id")
    already = reversal_of(session, entry_id)
    if already is not None:
        raise Conflict(f"entry {entry_id} was already reversed by entry {already}", "entry_id")
    lines = tuple(Line(p.account.code, Side(p.side).opposite, p.amount) for p in original.postings)
    new = NewEntry(kind="reversal", effective_date=effective_date, lines=lines,
                   memo=memo or f"reversal of entry {entry_id}",
                   external_ref=original.external_ref)
    try:
        entry = post_entry(session, actor, new, Links(reverses_id=entry_id))
    except IntegrityError:
        raise Conflict(f"entry {entry_id} was reversed by another request just now",
                       "entry_id") from None
    record(session, actor, "entry.reverse", "entry", entry_id, reversal_id=entry.id)
    return entry
