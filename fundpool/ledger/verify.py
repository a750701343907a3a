"""Verification: recompute every entry hash, walk every account's chain, recheck
every balance, and compare against a checkpoint an auditor kept.

What it proves: an entry or posting changed or inserted with SQL behind the
service's back breaks an entry hash or an account chain, and a deleted one
leaves a gap in its account's sequence when a later posting of that account
remains; each is reported with the first entry concerned. What is copied
outside the hashes is compared with what is hashed: each posting's date with
its entry's, its currency with its account's, and each account row's chart
code and currency with its code, its type with the chart.

What it cannot prove alone: that an account's newest postings were not deleted
with the account row wound back to the previous head (plain SQL: the previous
head is in the table), nor that someone holding both the database and this
code did not rewrite history and recompute every hash. A checkpoint (every
account's chain head at a moment) kept outside the database closes both doors
for everything before it: the shortened or rewritten chains no longer reach
the heads the auditor holds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.db import utcnow
from fundpool.ledger import hashing
from fundpool.ledger.balances import Mismatch, recheck
from fundpool.ledger.chart import BY_CODE
from fundpool.ledger.models import GENESIS, Account, Entry, Posting

BATCH = 5000


@dataclass(frozen=True, slots=True)
class Problem:
    entry_id: int | None
    account_code: str | None
    message: str


@dataclass
class Report:
    entries: int = 0
    postings: int = 0
    accounts: int = 0
    problems: list[Problem] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.mismatches

    @property
    def first_problem(self) -> Problem | None:
        """The problem at the lowest entry id (history's earliest damage)."""
        with_entry = [p for p in self.problems if p.entry_id is not None]
        if with_entry:
            return min(with_entry, key=lambda p: p.entry_id)
        return self.problems[0] if self.problems else None


def verify(session: Session, checkpoint: dict[str, Any] | None = None) -> Report:
    report = Report()
    _check_entries(session, report)
    accounts = {a.id: a for a in session.scalars(select(Account))}
    _check_accounts(accounts.values(), report)
    wanted = _checkpoint_seqs(checkpoint, report) if checkpoint is not None else {}
    reached = _check_chains(session, report, wanted, accounts)
    report.mismatches = recheck(session)
    if checkpoint is not None and wanted:
        _compare(checkpoint, reached, report)
    return report


def _check_entries(session: Session, report: Report) -> None:
    """Each entry's hash over its postings, in one pass over the postings. The same pass
    checks what the hash does not hold but every report reads: a posting's date is its
    entry's, and its currency is its account's (the account row is not hashed)."""
    rows = session.execute(
        select(Entry, Posting.side, Posting.amount, Posting.currency, Posting.account_seq,
               Account.code, Posting.effective_date, Account.currency)
        .outerjoin(Posting, Posting.entry_id == Entry.id)
        .outerjoin(Account, Account.id == Posting.account_id)
        .order_by(Entry.id, Posting.id)
        .execution_options(yield_per=BATCH))
    for entry, group in groupby(rows, key=lambda row: row[0]):
        group = [row[1:] for row in group if row[1] is not None]
        postings = [(code, side, amount, currency, seq)
                    for side, amount, currency, seq, code, _day, _kept in group]
        report.entries += 1
        report.postings += len(postings)
        digest = hashing.entry_hash(hashing.canonical_entry(
            entry.id, entry.effective_date, entry.recorded_at, entry.kind, entry.memo,
            entry.external_ref, entry.meta, entry.actor, entry.reverses_id, entry.hold_id,
            postings))
        if len(postings) < 2:
            report.problems.append(Problem(entry.id, None, "entry has fewer than two postings"))
        elif digest != entry.entry_hash:
            report.problems.append(Problem(entry.id, None, "entry or its postings changed "
                                                           "since it was posted"))
        _check_copies(entry, group, report)
        session.expunge(entry)


def _check_copies(entry: Entry, postings: list[tuple], report: Report) -> None:
    if any(day != entry.effective_date for *_rest, day, _kept in postings):
        report.problems.append(Problem(entry.id, None, "a posting's date differs from its "
                                                       "entry's"))
    for code in sorted({code for _s, _a, currency, _q, code, _d, kept in postings
                        if kept is not None and currency != kept}):
        report.problems.append(Problem(entry.id, code, "a posting's currency is not its "
                                                       "account's"))


def _check_accounts(accounts: Iterable[Account], report: Report) -> None:
    """An account row is not hashed, but its chart code, type and currency decide how every
    report reads its postings: they must agree with its code, which the entry hashes carry,
    and with the chart."""
    for account in sorted(accounts, key=lambda a: a.code):
        for message in _disagreements(account):
            report.problems.append(Problem(None, account.code, message))


def _disagreements(account: Account) -> list[str]:
    parts = account.code.rsplit(":", 2)
    if len(parts) != 3:
        return ["the account's code is not <fund>:<chart>:<currency>"]
    found = []
    _owner, chart_code, currency = parts
    if (chart_code, currency) != (account.chart_code, account.currency):
        found.append(f"the code says chart {chart_code} in {currency}, the row says chart "
                     f"{account.chart_code} in {account.currency}")
    item = BY_CODE.get(account.chart_code)
    if item is None:
        found.append(f"chart code {account.chart_code} is not in the chart of accounts")
    elif item.type != account.type:
        found.append(f"the account is of type {account.type}, but chart {item.code} is "
                     f"{item.type}")
    return found


def _check_chains(session: Session, report: Report, wanted: dict[str, int],
                  accounts: dict[int, Account]) -> dict[str, str]:
    """Walk each account's postings in sequence; return the chain hash reached at each
    wanted (account code → seq)."""
    report.accounts = len(accounts)
    rows = session.execute(
        select(Posting.account_id, Posting.account_seq, Posting.chain_hash, Posting.entry_id,
               Entry.entry_hash)
        .join(Entry, Entry.id == Posting.entry_id)
        .order_by(Posting.account_id, Posting.account_seq).execution_options(yield_per=BATCH))
    reached: dict[str, str] = {}
    walked = set()
    for account_id, group in groupby(rows, key=lambda r: r[0]):
        account = accounts.get(account_id)
        if account is None:
            _orphaned(account_id, group, report)
            continue
        walked.add(account_id)
        _walk(account, group, wanted.get(account.code), reached, report)
    for account_id in accounts.keys() - walked:
        _walk(accounts[account_id], [], wanted.get(accounts[account_id].code), reached, report)
    return reached


def _orphaned(account_id: int, rows, report: Report) -> None:
    """Postings whose account row is gone (deleted with SQL, foreign keys off): there is no
    head to compare with, and the damage must be reported, not crash the check."""
    first_entry = min(entry_id for _, _, _, entry_id, _ in rows)
    report.problems.append(Problem(first_entry, None, f"postings on account id {account_id}, "
                                                      "which does not exist"))


def _walk(account: Account, rows, wanted_seq: int | None, reached: dict[str, str],
          report: Report) -> None:
    head, count = GENESIS, 0
    if wanted_seq == 0:
        reached[account.code] = GENESIS
    for expected, (_, seq, chain_hash, entry_id, entry_digest) in enumerate(rows, start=1):
        count = expected
        if seq != expected:
            report.problems.append(Problem(entry_id, account.code,
                                           f"posting {expected} of the account is missing"))
            return
        head = hashing.chain_step(head, entry_digest, seq)
        if head != chain_hash:
            report.problems.append(Problem(entry_id, account.code, "the account's hash chain "
                                                                   "breaks at this entry"))
            return
        if seq == wanted_seq:
            reached[account.code] = head
    if (count, head) != (account.last_seq, account.head_hash):
        report.problems.append(Problem(None, account.code, "the account's chain head does not "
                                                           "match its last posting"))


def take_checkpoint(session: Session) -> dict[str, Any]:
    """Every account's (seq, head) now, with a digest over them, for an auditor to keep."""
    heads = [{"account": code, "seq": seq, "head": head} for code, seq, head in session.execute(
        select(Account.code, Account.last_seq, Account.head_hash).order_by(Account.code))]
    return {"taken_at": utcnow().isoformat(), "accounts": heads, "digest": _digest(heads)}


def is_checkpoint(data: Any) -> bool:
    """Whether ``data`` has the shape :func:`take_checkpoint` gives (its digest aside, which
    :func:`verify` checks): what a file handed in must be before it is compared."""
    heads = data.get("accounts") if isinstance(data, dict) else None
    return (isinstance(heads, list) and isinstance(data.get("digest"), str)
            and all(isinstance(item, dict) and isinstance(item.get("account"), str)
                    and isinstance(item.get("seq"), int) and isinstance(item.get("head"), str)
                    for item in heads))


def _digest(heads: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(heads, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def _checkpoint_seqs(checkpoint: dict[str, Any], report: Report) -> dict[str, int]:
    listed = checkpoint.get("accounts", [])
    if _digest(listed) != checkpoint.get("digest"):
        report.problems.append(Problem(None, None, "the checkpoint's digest does not match its "
                                                   "contents; it was edited"))
        return {}
    return {item["account"]: item["seq"] for item in listed}


def _compare(checkpoint: dict[str, Any], reached: dict[str, str], report: Report) -> None:
    for item in checkpoint["accounts"]:
        if reached.get(item["account"]) != item["head"]:
            report.problems.append(Problem(None, item["account"], f"history up to posting "
                                           f"{item['seq']} differs from the checkpoint"))
