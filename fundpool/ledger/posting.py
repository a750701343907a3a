"""Posting a balanced entry: the one way money moves in fundpool.

Guarantees, on SQLite and PostgreSQL alike:
- the entry balances per currency, every amount is positive and within the limit,
  each posting's currency is its account's, and no account is closed;
- the touched accounts are locked in ascending id order before any check, so a
  no-overdraft account can never be taken below zero by concurrent writers, and
  two entries never deadlock on each other;
- balances, hash-chain heads and the new rows are written in the caller's
  transaction: all of it lands, or none of it;
- an entry dated inside a closed period is refused (checked after the insert, so a
  period closing concurrently cannot let one slip in).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor
from fundpool.db import utcnow
from fundpool.errors import Conflict, InsufficientFunds, InvalidInput, NotFound
from fundpool.ledger import hashing
from fundpool.ledger.accounts import lock_accounts
from fundpool.ledger.models import Account, Entry, Posting
from fundpool.ledger.money import format_amount
from fundpool.ledger.periods import check_open
from fundpool.ledger.values import NewEntry, Side, imbalance

LEDGER_TZ = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """The ledger's calendar is China Standard Time's."""
    return datetime.now(LEDGER_TZ).date()


@dataclass(frozen=True, slots=True)
class Links:
    """What an entry points to, and the held amounts it releases (account code → minor)."""

    reverses_id: int | None = None
    hold_id: int | None = None
    releases: dict[str, int] = field(default_factory=dict)


def post_entry(session: Session, actor: Actor, new: NewEntry, links: Links = Links()) -> Entry:
    accounts = lock_accounts(session, [line.account_code for line in new.lines] +
                             list(links.releases))
    check_entry(new, accounts)
    apply_balances(new, accounts, links.releases)
    entry = _insert(session, actor, new, accounts, links)
    check_open(session, new.effective_date)
    return entry


def check_entry(new: NewEntry, accounts: dict[str, Account], prefix: str = "") -> None:
    """Accounts exist and are open, the date is not in the future, currencies balance."""
    for index, line in enumerate(new.lines):
        account = accounts.get(line.account_code)
        if account is None:
            raise NotFound(f"there is no account {line.account_code}",
                           f"{prefix}postings.{index}.account")
        if not account.is_open:
            raise Conflict(f"account {account.code} is closed",
                           f"{prefix}postings.{index}.account")
    if new.effective_date > today():
        raise InvalidInput(f"an entry cannot be dated after today ({today()})",
                           f"{prefix}effective_date")
    unbalanced = imbalance(new.lines, {code: a.currency for code, a in accounts.items()})
    if unbalanced:
        said = ", ".join(f"{format_amount(v, c)} {c}" for c, v in unbalanced.items())
        raise InvalidInput(f"the entry does not balance: debits exceed credits by {said}",
                           f"{prefix}postings")


def apply_balances(new: NewEntry, accounts: dict[str, Account], releases: dict[str, int],
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


def _insert(session: Session, actor: Actor, new: NewEntry, accounts: dict[str, Account],
            links: Links) -> Entry:
    entry = Entry(id=_next_entry_id(session), effective_date=new.effective_date,
                  recorded_at=utcnow(), kind=new.kind, memo=new.memo,
                  external_ref=new.external_ref, meta=dict(new.metadata), actor=actor.name,
                  reverses_id=links.reverses_id, hold_id=links.hold_id)
    rows = []
    for line in new.lines:
        account = accounts[line.account_code]
        account.last_seq += 1
        rows.append(Posting(account=account, side=line.side.value, amount=line.amount,
                            currency=account.currency, effective_date=new.effective_date,
                            account_seq=account.last_seq))
    entry.postings = rows
    entry.entry_hash = hashing.hash_of(entry)
    for posting in rows:
        posting.chain_hash = hashing.chain_step(posting.account.head_hash, entry.entry_hash,
                                                posting.account_seq)
        posting.account.head_hash = posting.chain_hash
    session.add(entry)
    session.flush()
    return entry


def _next_entry_id(session: Session) -> int:
    return next_entry_ids(session, 1)[0]


def next_entry_ids(session: Session, count: int) -> list[int]:
    """Ids are part of the hash, so they are drawn before the (never updated) rows are written."""
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(text(
            "SELECT nextval(pg_get_serial_sequence('entries', 'id')) "
            "FROM generate_series(1, :n)").bindparams(n=count)))
    first = (session.scalar(select(func.max(Entry.id))) or 0) + 1  # under SQLite's write lock
    return list(range(first, first + count))


