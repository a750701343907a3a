"""Posting balanced entries: the one way money moves in fundpool.

Guarantees, on SQLite and PostgreSQL alike:
- each entry balances per currency, every amount is positive and within the limit,
  each posting's currency is its account's, no account is closed, no date is after today;
- the touched accounts are locked in ascending id order before any check, so a
  no-overdraft account can never be taken below zero by concurrent writers, and
  two writers never deadlock on each other;
- entries of one call are checked and applied in order, as if posted one by one;
- balances, chain heads and the new rows are written in the caller's transaction:
  all of it lands, or none of it (an error names the entry: ``entries.<i>.…`` in a batch);
- an entry dated inside a closed period, or on or before the latest closed year's
  31 December, is refused (checked after the insert, so a period or year closing
  concurrently cannot let one slip in); the year-end close's own entries alone go into
  the closed December it closes (year_end.py), and into the accounts of a fund closed
  during the year, whose income it still closes into net assets.
How the rows reach the database is storage.py's business.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from fundpool.audit.log import Actor
from fundpool.db import utcnow
from fundpool.errors import Conflict, InsufficientFunds, InvalidInput, NotFound
from fundpool.ledger import hashing, storage
from fundpool.ledger.locking import Locked
from fundpool.ledger.money import format_amount
from fundpool.ledger.values import NewEntry, imbalance

LEDGER_TZ = ZoneInfo("Asia/Shanghai")
#: No fund pool's books go back further (the first street fund pools date from the 2010s).
EARLIEST_DATE = date(2000, 1, 1)


def today() -> date:
    """The ledger's calendar is China Standard Time's."""
    return datetime.now(LEDGER_TZ).date()


@dataclass(frozen=True, slots=True)
class Links:
    """What an entry points to, and the held amounts it releases (account code → minor)."""

    reverses_id: int | None = None
    hold_id: int | None = None
    releases: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PostedPosting:
    account: Locked
    side: str
    amount: int
    currency: str
    account_seq: int
    chain_hash: str


@dataclass(frozen=True, slots=True)
class PostedEntry:
    """An entry as written (the same attributes as a stored Entry)."""

    id: int
    effective_date: date
    recorded_at: datetime
    kind: str
    memo: str
    external_ref: str | None
    meta: dict[str, str]
    actor: str
    reverses_id: int | None
    hold_id: int | None
    entry_hash: str
    postings: tuple[PostedPosting, ...]


def post_entry(session: Session, actor: Actor, new: NewEntry, links: Links = Links()) -> PostedEntry:
    return _post(session, actor, [(new, links)], prefix=lambda _index: "")[0]


def post_batch(session: Session, actor: Actor, entries: Sequence[NewEntry], *,
               into_closed_periods: bool = False) -> list[PostedEntry]:
    """``into_closed_periods`` is for the year-end close alone (year_end.py): it closes the
    year's months itself, under a lock, and its entries are dated in the last of them. It
    also reaches closed accounts: a fund closes once its money is gone, but the income it
    had that year must still go into its net assets (funds/closing.py)."""
    return _post(session, actor, [(new, Links()) for new in entries],
                 prefix=lambda index: f"entries.{index}.", check_periods=not into_closed_periods)


def _post(session: Session, actor: Actor, items: list[tuple[NewEntry, Links]],
          prefix, check_periods: bool = True) -> list[PostedEntry]:
    if not items:
        return []
    codes = [line.account_code for new, _ in items for line in new.lines]
    accounts, ids = storage.lock_and_number(
        session, codes + [code for _, links in items for code in links.releases], len(items))
    for index, (new, links) in enumerate(items):
        check_entry(new, accounts, prefix(index), closed_ok=not check_periods)
        apply_balances(new, accounts, links.releases, prefix(index))
    recorded_at = utcnow()
    posted = [_chain(entry_id, new, links, recorded_at, actor, accounts)
              for entry_id, (new, links) in zip(ids, items)]
    storage.store(session, [_entry_row(e) for e in posted],
                  [_posting_row(e, p) for e in posted for p in e.postings],
                  list(accounts.values()),
                  [new.effective_date for new, _ in items] if check_periods else [])
    return posted


def check_entry_date(day: date, field: str = "effective_date") -> None:
    """An entry is dated from ``EARLIEST_DATE`` to today, China time."""
    if day > today():
        raise InvalidInput("an entry cannot be dated after today ({today})", field,
                           today=today())
    if day < EARLIEST_DATE:
        raise InvalidInput("an entry cannot be dated before {first}; {day} is surely a typing "
                           "mistake", field, first=EARLIEST_DATE, day=day)


def check_entry(new: NewEntry, accounts: dict[str, Locked], prefix: str = "",
                closed_ok: bool = False) -> None:
    """Accounts exist and are open (``closed_ok``: the year-end close), the date is not in
    the future, currencies balance."""
    for index, line in enumerate(new.lines):
        account = accounts.get(line.account_code)
        if account is None:
            raise NotFound(f"there is no account {line.account_code}",
                           f"{prefix}postings.{index}.account")
        if not account.is_open and not closed_ok:
            raise Conflict(f"account {account.code} is closed",
                           f"{prefix}postings.{index}.account")
    check_entry_date(new.effective_date, f"{prefix}effective_date")
    unbalanced = imbalance(new.lines, lambda code: accounts[code].currency)
    if unbalanced:
        said = ", ".join(f"{format_amount(v, c)} {c}" for c, v in unbalanced.items())
        raise InvalidInput(f"the entry does not balance: debits exceed credits by {said}",
                           f"{prefix}postings")


def apply_balances(new: NewEntry, accounts: dict[str, Locked], releases: dict[str, int],
                   prefix: str = "") -> None:
    """Move the locked accounts' balances (and release held amounts); refuse an overdraft."""
    deltas: dict[str, int] = defaultdict(int)
    for line in new.lines:
        account = accounts[line.account_code]
        deltas[account.code] += line.amount if line.side.value == account.normal_side \
            else -line.amount
    for code in sorted(set(deltas) | set(releases)):
        account = accounts[code]
        balance, pending = account.balance + deltas[code], account.pending - releases.get(code, 0)
        if account.no_overdraft and balance - pending < 0:
            raise InsufficientFunds(
                f"account {code} has {format_amount(account.available, account.currency)} "
                f"{account.currency} available; this needs "
                f"{format_amount(-(deltas[code] + releases.get(code, 0)), account.currency)}",
                f"{prefix}postings")
        account.balance, account.pending = balance, pending


def _chain(entry_id: int, new: NewEntry, links: Links, recorded_at: datetime, actor: Actor,
           accounts: dict[str, Locked]) -> PostedEntry:
    placed = []
    for line in new.lines:
        account = accounts[line.account_code]
        account.last_seq += 1
        placed.append((account, line.side.value, line.amount, account.last_seq))
    digest = hashing.entry_hash(hashing.canonical_entry(
        entry_id, new.effective_date, recorded_at, new.kind, new.memo, new.external_ref,
        dict(new.metadata), actor.name, links.reverses_id, links.hold_id,
        ((a.code, side, amount, a.currency, seq) for a, side, amount, seq in placed)))
    postings = []
    for account, side, amount, seq in placed:
        account.head_hash = hashing.chain_step(account.head_hash, digest, seq)
        postings.append(PostedPosting(account, side, amount, account.currency, seq,
                                      account.head_hash))
    return PostedEntry(entry_id, new.effective_date, recorded_at, new.kind, new.memo,
                       new.external_ref, dict(new.metadata), actor.name, links.reverses_id,
                       links.hold_id, digest, tuple(postings))


def _entry_row(e: PostedEntry) -> tuple:
    return (e.id, e.effective_date, e.recorded_at, e.kind, e.memo, e.external_ref, e.meta,
            e.actor, e.reverses_id, e.hold_id, e.entry_hash)


def _posting_row(e: PostedEntry, p: PostedPosting) -> tuple:
    return (e.id, p.account.id, p.side, p.amount, p.currency, e.effective_date, p.account_seq,
            p.chain_hash)
