"""Holds: two-phase transfers. Create reserves money; commit posts it; void releases it.

A hold has one or more legs (a project paid by three funds is one hold with three
legs) and resolves exactly once, as a unit: its row is locked and its status
moves from ``pending`` to ``committed``, ``voided`` or ``expired``, never back.
An expired hold can no longer be committed; ``expire_holds`` voids them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.db import utcnow
from fundpool.errors import Conflict, InsufficientFunds, InvalidInput, NotFound
from fundpool.ledger.locking import Locked, lock, save
from fundpool.ledger.models import Hold, HoldLeg
from fundpool.ledger.money import check_minor, format_amount
from fundpool.ledger.posting import Links, PostedEntry, post_entry
from fundpool.ledger.values import KINDS, Line, NewEntry, Side


@dataclass(frozen=True, slots=True)
class NewLeg:
    account_code: str
    counter_account_code: str
    amount: int


#: Holds of these kinds belong to an operation — a grant approved from matching — and are
#: paid or released through it, never directly, so its record stays true.
OPERATION_KINDS = ("disbursement",)


def check_manual(kind: str, hold_id: int | None = None) -> None:
    """Refuse to make, commit or void by hand a hold an operation owns."""
    if kind == "closing":
        raise InvalidInput("kind 'closing' is kept for the year-end close, whose entries the "
                           "activity statement leaves out", "kind")
    if kind not in OPERATION_KINDS:
        return
    if hold_id is None:
        raise InvalidInput(f"kind {kind!r} is kept for grants approved from matching", "kind")
    raise Conflict(f"hold {hold_id} holds a grant's money; pay or release it through its "
                   "match (/api/v1/matching/matches/…)", "hold_id")


def create_hold(session: Session, actor: Actor, legs: list[NewLeg], *, kind: str, memo: str = "",
                expires_at: datetime | None = None) -> Hold:
    if not legs:
        raise InvalidInput("a hold has at least one leg", "legs")
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", "kind")
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("a hold cannot expire in the past", "expires_at")
    codes = [code for leg in legs for code in (leg.account_code, leg.counter_account_code)]
    accounts = lock(session, codes)
    hold = Hold(kind=kind, memo=memo, created_by=actor.name, expires_at=expires_at)
    for index, leg in enumerate(legs):
        account, counter = _leg_accounts(accounts, leg, index)
        check_minor(leg.amount, f"legs.{index}.amount")
        if account.no_overdraft and account.available < leg.amount:
            raise InsufficientFunds(
                f"account {account.code} has {format_amount(account.available, account.currency)} "
                f"{account.currency} available; the hold needs "
                f"{format_amount(leg.amount, account.currency)}", f"legs.{index}.amount")
        account.pending += leg.amount
        hold.legs.append(HoldLeg(account_id=account.id, counter_account_id=counter.id,
                                 amount=leg.amount))
    save(session, accounts.values())
    session.add(hold)
    session.flush()
    record(session, actor, "hold.create", "hold", hold.id, kind=kind,
           legs=[[leg.account_code, leg.counter_account_code, leg.amount] for leg in legs])
    return hold


def _leg_accounts(accounts: dict[str, Locked], leg: NewLeg, index: int):
    for code, name in ((leg.account_code, "account"), (leg.counter_account_code, "counter_account")):
        if code not in accounts:
            raise NotFound(f"there is no account {code}", f"legs.{index}.{name}")
        if not accounts[code].is_open:
            raise Conflict(f"account {code} is closed", f"legs.{index}.{name}")
    account, counter = accounts[leg.account_code], accounts[leg.counter_account_code]
    if account.id == counter.id:
        raise InvalidInput("a leg needs two different accounts", f"legs.{index}.counter_account")
    if account.currency != counter.currency:
        raise InvalidInput(f"{account.code} is in {account.currency} but {counter.code} is in "
                           f"{counter.currency}", f"legs.{index}.counter_account")
    return account, counter


def get_hold(session: Session, hold_id: int, *, lock: bool = False) -> Hold:
    stmt = select(Hold).where(Hold.id == hold_id)
    if lock:
        stmt = stmt.with_for_update(of=Hold).execution_options(populate_existing=True)
    hold = session.scalar(stmt)
    if hold is None:
        raise NotFound(f"there is no hold {hold_id}", "hold_id")
    return hold


def commit_hold(session: Session, actor: Actor, hold_id: int, effective_date: date,
                amounts: list[int] | None = None, memo: str | None = None) -> PostedEntry:
    """Post the held money (all, or ``amounts`` per leg, each at most what is held);
    whatever is not committed is released."""
    hold = _pending(session, hold_id, for_commit=True)
    amounts = [leg.amount for leg in hold.legs] if amounts is None else amounts
    if len(amounts) != len(hold.legs):
        raise InvalidInput(f"the hold has {len(hold.legs)} legs; give one amount per leg",
                           "amounts")
    lines: list[Line] = []
    for index, (leg, amount) in enumerate(zip(hold.legs, amounts)):
        if amount < 0 or amount > leg.amount:
            raise InvalidInput(f"leg {index} holds {leg.amount} minor units; commit between 0 "
                               "and that", f"amounts.{index}")
        leg.committed = amount
        if amount:
            side = Side(leg.account.normal_side).opposite
            lines += [Line(leg.account.code, side, amount),
                      Line(leg.counter_account.code, side.opposite, amount)]
    if not lines:
        raise InvalidInput("nothing to commit; void the hold instead", "amounts")
    releases = _releases(hold)
    entry = post_entry(session, actor, NewEntry(kind=hold.kind, effective_date=effective_date,
                                                lines=tuple(lines), memo=memo or hold.memo),
                       Links(hold_id=hold.id, releases=releases))
    _resolve(session, actor, hold, "committed", entry_id=entry.id)
    return entry


def void_hold(session: Session, actor: Actor, hold_id: int, status: str = "voided") -> Hold:
    hold = _pending(session, hold_id, for_commit=False)
    accounts = lock(session, _releases(hold))
    for code, amount in _releases(hold).items():
        accounts[code].pending -= amount
    save(session, accounts.values())
    _resolve(session, actor, hold, status)
    return hold


def expire_holds(session: Session, actor: Actor, now: datetime | None = None) -> list[int]:
    """Void every pending hold past its expiry (the scheduler runs this)."""
    now = now or utcnow()
    due = session.scalars(select(Hold.id).where(Hold.status == "pending",
                                                Hold.expires_at <= now).order_by(Hold.id)).all()
    expired = []
    for hold_id in due:
        hold = get_hold(session, hold_id, lock=True)
        if hold.status == "pending":
            void_hold(session, actor, hold_id, status="expired")
            expired.append(hold_id)
    return expired


def _pending(session: Session, hold_id: int, *, for_commit: bool) -> Hold:
    hold = get_hold(session, hold_id, lock=True)
    if hold.status != "pending":
        raise Conflict(f"hold {hold_id} is already {hold.status}", "hold_id")
    if for_commit and hold.expires_at is not None and hold.expires_at <= utcnow():
        raise Conflict(f"hold {hold_id} expired at {hold.expires_at:%Y-%m-%d %H:%M} UTC and can "
                       "no longer be committed", "hold_id")
    return hold


def _releases(hold: Hold) -> dict[str, int]:
    released: dict[str, int] = {}
    for leg in hold.legs:
        released[leg.account.code] = released.get(leg.account.code, 0) + leg.amount
    return released


def _resolve(session: Session, actor: Actor, hold: Hold, status: str,
             entry_id: int | None = None) -> None:
    hold.status, hold.resolved_at, hold.resolved_by = status, utcnow(), actor.name
    session.flush()
    action = {"committed": "commit", "voided": "void", "expired": "expire"}[status]
    record(session, actor, f"hold.{action}", "hold", hold.id, entry_id=entry_id)
