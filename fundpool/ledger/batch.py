"""Posting many entries in one transaction: the path for bulk imports.

The result is exactly what posting them one by one would give (same checks in
the same order, same balances, hashes and chains), but the accounts are locked
once and the rows go in with one bulk write (COPY on PostgreSQL). All or nothing:
if any entry is refused, none is written, and the error names it
(``entries.<index>.…``).
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from sqlalchemy import insert
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor
from fundpool.db import utcnow
from fundpool.ledger import hashing
from fundpool.ledger.accounts import lock_accounts
from fundpool.ledger.models import Account, Entry, Posting
from fundpool.ledger.periods import check_open
from fundpool.ledger.posting import apply_balances, check_entry, next_entry_ids
from fundpool.ledger.values import NewEntry

ENTRY_COLUMNS = ("id", "effective_date", "recorded_at", "kind", "memo", "external_ref",
                 "metadata", "actor", "reverses_id", "hold_id", "entry_hash")
POSTING_COLUMNS = ("entry_id", "account_id", "side", "amount", "currency", "effective_date",
                   "account_seq", "chain_hash")
COPY_FROM = 50  # below this many rows, plain multi-row INSERTs are as quick


def post_batch(session: Session, actor: Actor, entries: Sequence[NewEntry]) -> list[int]:
    if not entries:
        return []
    accounts = lock_accounts(session, {line.account_code for new in entries for line in new.lines})
    for index, new in enumerate(entries):
        check_entry(new, accounts, f"entries.{index}.")
        apply_balances(new, accounts, {}, f"entries.{index}.")
    ids = next_entry_ids(session, len(entries))
    recorded_at = utcnow()
    entry_rows, posting_rows = [], []
    for entry_id, new in zip(ids, entries):
        entry, postings = _rows(entry_id, new, recorded_at, actor, accounts)
        entry_rows.append(entry)
        posting_rows += postings
    _write(session, Entry.__table__.name, ENTRY_COLUMNS, entry_rows)
    _write(session, Posting.__table__.name, POSTING_COLUMNS, posting_rows)
    session.flush()
    for day in sorted({new.effective_date.replace(day=1) for new in entries}):
        check_open(session, day)
    return ids


def _rows(entry_id: int, new: NewEntry, recorded_at, actor: Actor,
          accounts: dict[str, Account]) -> tuple[tuple, list[tuple]]:
    placed = []
    for line in new.lines:
        account = accounts[line.account_code]
        account.last_seq += 1
        placed.append((account, line, account.last_seq))
    digest = hashing.entry_hash(hashing.canonical_entry(
        entry_id, new.effective_date, recorded_at, new.kind, new.memo, new.external_ref,
        dict(new.metadata), actor.name, None, None,
        ((a.code, line.side.value, line.amount, a.currency, seq) for a, line, seq in placed)))
    postings = []
    for account, line, seq in placed:
        account.head_hash = hashing.chain_step(account.head_hash, digest, seq)
        postings.append((entry_id, account.id, line.side.value, line.amount, account.currency,
                         new.effective_date, seq, account.head_hash))
    entry = (entry_id, new.effective_date, recorded_at, new.kind, new.memo, new.external_ref,
             dict(new.metadata), actor.name, None, None, digest)
    return entry, postings


def _write(session: Session, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        raw = connection.connection.driver_connection
        with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(_copyable(value) for value in row))
        return
    values: list[dict[str, Any]] = [dict(zip(columns, row)) for row in rows]
    target = Entry.__table__ if table == Entry.__table__.name else Posting.__table__
    session.execute(insert(target), values)


def _copyable(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
