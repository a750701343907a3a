"""Where posting meets the database: lock and number, then store, each in one round trip.

On PostgreSQL the statements of each step go out together in a psycopg pipeline
(and large batches with COPY), so posting one entry costs about as many round trips
as writing its rows by hand. SQLite, in-process, takes the same steps as plain
SQLAlchemy statements. Both paths keep the same order: lock, number, insert, save
the accounts, then check the periods.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Sequence

import sqlalchemy.exc
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from fundpool.errors import PeriodClosed
from fundpool.ledger import locking
from fundpool.ledger.locking import Locked
from fundpool.ledger.models import Entry, Period, Posting

ENTRY_COLUMNS = ("id", "effective_date", "recorded_at", "kind", "memo", "external_ref",
                 "metadata", "actor", "reverses_id", "hold_id", "entry_hash")
POSTING_COLUMNS = ("entry_id", "account_id", "side", "amount", "currency", "effective_date",
                   "account_seq", "chain_hash")
COPY_FROM = 50  # rows; below this, pipelined INSERTs are as quick as COPY

# The ids come from an uncorrelated subquery, evaluated once per statement.
_PG_LOCK = ("SELECT id, code, type, currency, no_overdraft, closed_at IS NOT NULL, balance, "
            "pending, last_seq, head_hash, (SELECT array_agg(nextval('entries_id_seq')) "
            "FROM generate_series(1, %s)) FROM accounts WHERE code = ANY(%s) ORDER BY id "
            "FOR UPDATE")
_PG_SAVE = ("UPDATE accounts SET balance = %s, pending = %s, last_seq = %s, head_hash = %s "
            "WHERE id = %s")
_PG_CLOSED = "SELECT month FROM periods WHERE closed AND month = ANY(%s) ORDER BY month LIMIT 1"


def lock_and_number(session: Session, codes: Sequence[str],
                    count: int) -> tuple[dict[str, Locked], list[int]]:
    """Lock the accounts (ascending id) and draw ``count`` entry ids."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        accounts = locking.lock(session, codes)
        first = (connection.execute(select(func.max(Entry.id))).scalar() or 0) + 1
        return accounts, list(range(first, first + count))  # under SQLite's write lock
    raw = connection.connection.driver_connection
    with _translated(_PG_LOCK):
        rows = raw.execute(_PG_LOCK, (count, sorted(set(codes)))).fetchall()
    accounts = {row[1]: Locked(*row[:10]) for row in rows}
    return accounts, sorted(rows[0][10]) if rows else []


def store(session: Session, entries: list[tuple], postings: list[tuple],
          accounts: Sequence[Locked], months: Sequence[date]) -> None:
    """Insert the rows, save the accounts, then refuse if any month is closed."""
    names = sorted({f"{day.year:04d}-{day.month:02d}" for day in months})
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(Entry.__table__), [dict(zip(ENTRY_COLUMNS, r)) for r in entries])
        connection.execute(insert(Posting.__table__),
                           [dict(zip(POSTING_COLUMNS, r)) for r in postings])
        locking.save(session, accounts)
        closed = connection.execute(select(Period.month).where(
            Period.closed, Period.month.in_(names)).order_by(Period.month)).scalar()
    else:
        closed = _store_postgres(connection.connection.driver_connection, entries, postings,
                                 accounts, names)
    if closed:
        raise PeriodClosed(f"{closed} is closed; entries dated in it are refused (post in an "
                           "open month, or have the period reopened)", "effective_date")


def _store_postgres(raw, entries, postings, accounts, months) -> str | None:
    if len(postings) >= COPY_FROM:
        with _translated("COPY"):
            _copy(raw, "entries", ENTRY_COLUMNS, entries)
            _copy(raw, "postings", POSTING_COLUMNS, postings)
    with _translated("INSERT/UPDATE"), raw.pipeline():
        cursor = raw.cursor()
        if len(postings) < COPY_FROM:
            cursor.executemany(_insert_sql("entries", ENTRY_COLUMNS),
                               [_plain(row) for row in entries])
            cursor.executemany(_insert_sql("postings", POSTING_COLUMNS), postings)
        cursor.executemany(_PG_SAVE, [(a.balance, a.pending, a.last_seq, a.head_hash, a.id)
                                      for a in accounts])
        closed = raw.execute(_PG_CLOSED, (list(months),))
    row = closed.fetchone()
    return row[0] if row else None


def _copy(raw, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(_plain(row))


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})")


def _plain(row: tuple) -> tuple:
    return tuple(json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for v in row)


class _translated:
    """Raise psycopg's errors as SQLAlchemy's, as every other statement does."""

    def __init__(self, statement: str) -> None:
        self.statement = statement

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error: Any, _traceback) -> bool:
        import psycopg
        if isinstance(error, psycopg.Error):
            raise sqlalchemy.exc.DBAPIError.instance(self.statement, None, error,
                                                     psycopg.Error) from error
        return False
