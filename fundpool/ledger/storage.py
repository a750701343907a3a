"""Where posting meets the database: lock and number, then store, each in one round trip.

On PostgreSQL the statements of each step go out together in a psycopg pipeline
(and large batches with COPY), so posting one entry costs about as many round trips
as writing its rows by hand. SQLite, in-process, takes the same steps as plain
SQLAlchemy statements. Both paths keep the same order: lock, number, insert, save
the accounts, then check the periods: in the same statement, the first closed month
among the entries' and the latest closed year, since nothing may be dated on or
before a closed year's 31 December (also before its first month, when the books
began in it).
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
from fundpool.ledger.year_end_models import YearEnd

ENTRY_COLUMNS = ("id", "effective_date", "recorded_at", "kind", "memo", "external_ref",
                 "metadata", "actor", "reverses_id", "hold_id", "entry_hash")
POSTING_COLUMNS = ("entry_id", "account_id", "side", "amount", "currency", "effective_date",
                   "account_seq", "chain_hash")
COPY_FROM = 50  # rows; below this, pipelined INSERTs are as quick as COPY

# The ids come from an uncorrelated subquery, evaluated once per statement. Drawing
# one id needs no parameter, which lets PostgreSQL keep one generic plan for the
# commonest statement instead of planning it afresh every time.
_PG_LOCK = ("SELECT id, code, type, currency, no_overdraft, closed_at IS NOT NULL, balance, "
            "pending, last_seq, head_hash, {ids} FROM accounts WHERE code = ANY(%s) "
            "ORDER BY id FOR UPDATE")
_PG_LOCK_ONE = _PG_LOCK.format(ids="(SELECT ARRAY[nextval('entries_id_seq')])")
_PG_LOCK_MANY = _PG_LOCK.format(
    ids="(SELECT array_agg(nextval('entries_id_seq')) FROM generate_series(1, %s::int))")
_PG_CLOSED_TAIL = ("SELECT (SELECT month FROM periods WHERE closed AND month = ANY(%s) "
                   "ORDER BY month LIMIT 1), (SELECT max(year) FROM year_ends)")


def lock_and_number(session: Session, codes: Sequence[str],
                    count: int) -> tuple[dict[str, Locked], list[int]]:
    """Lock the accounts (ascending id) and draw ``count`` entry ids."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        accounts = locking.lock(session, codes)
        first = (connection.execute(select(func.max(Entry.id))).scalar() or 0) + 1
        return accounts, list(range(first, first + count))  # under SQLite's write lock
    raw = connection.connection.driver_connection
    statement, params = (_PG_LOCK_ONE, (sorted(set(codes)),)) if count == 1 else \
        (_PG_LOCK_MANY, (count, sorted(set(codes))))
    with _translated(statement):
        rows = raw.execute(statement, params).fetchall()
    accounts = {row[1]: Locked(*row[:10]) for row in rows}
    return accounts, sorted(rows[0][10]) if rows else []


def store(session: Session, entries: list[tuple], postings: list[tuple],
          accounts: Sequence[Locked], months: Sequence[date]) -> None:
    """Insert the rows, save the accounts, then refuse if any of the days ``months`` is in a
    closed month or on or before the latest closed year's end (none given: no check)."""
    names = sorted({f"{day.year:04d}-{day.month:02d}" for day in months})
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(Entry.__table__), [dict(zip(ENTRY_COLUMNS, r)) for r in entries])
        connection.execute(insert(Posting.__table__),
                           [dict(zip(POSTING_COLUMNS, r)) for r in postings])
        locking.save(session, accounts)
        closed, closed_year = connection.execute(select(
            select(Period.month).where(Period.closed, Period.month.in_(names))
            .order_by(Period.month).limit(1).scalar_subquery(),
            select(func.max(YearEnd.year)).scalar_subquery())).one()
    else:
        closed, closed_year = _store_postgres(connection.connection.driver_connection, entries,
                                              postings, accounts, names)
    _refuse_closed(months, closed, closed_year)


def _refuse_closed(days: Sequence[date], closed: str | None, closed_year: int | None) -> None:
    """A closed year is final, and also for what lies before it: when the books began in
    it, its twelve closed months alone would let an entry be dated in the year before."""
    if days and closed_year is not None and min(days) <= date(closed_year, 12, 31):
        raise PeriodClosed(f"{closed_year} is closed for the year (年度结账): nothing can be "
                           f"dated on or before {closed_year}-12-31, and {min(days)} is (date "
                           "a correction in an open month after it)", "effective_date")
    if closed:
        raise PeriodClosed(f"{closed} is closed; entries dated in it are refused (post in an "
                           "open month, or have the period reopened)", "effective_date")


def _store_postgres(raw, entries, postings, accounts, months) -> tuple[str | None, int | None]:
    """Small writes go as one statement (no pipeline to enter, one round trip); large
    ones with COPY. Either way the period check runs after the rows are in; it answers
    (first closed month among ``months``, latest closed year)."""
    saved = [value for a in accounts for value in (a.id, a.balance, a.pending, a.last_seq,
                                                   a.head_hash)]
    if len(postings) >= COPY_FROM:
        with _translated("COPY"):
            _copy(raw, "entries", ENTRY_COLUMNS, [_plain(row) for row in entries])
            _copy(raw, "postings", POSTING_COLUMNS, postings)
            row = raw.execute(f"WITH a AS ({_pg_save_sql(len(accounts))}) {_PG_CLOSED_TAIL}",
                              saved + [list(months)]).fetchone()
        return row[0], row[1]
    statement = (f"WITH e AS ({_values_sql('entries', ENTRY_COLUMNS, len(entries))}), "
                 f"p AS ({_values_sql('postings', POSTING_COLUMNS, len(postings))}), "
                 f"a AS ({_pg_save_sql(len(accounts))}) {_PG_CLOSED_TAIL}")
    params = [v for row in entries for v in _plain(row)] + [v for row in postings for v in row]
    with _translated(statement):
        row = raw.execute(statement, params + saved + [list(months)]).fetchone()
    return row[0], row[1]


def _values_sql(table: str, columns: tuple[str, ...], count: int) -> str:
    one = f"({', '.join(['%s'] * len(columns))})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * count)}"


def _pg_save_sql(count: int) -> str:
    rows = ", ".join(["(%s::bigint, %s::bigint, %s::bigint, %s::bigint, %s)"] * count)
    return ("UPDATE accounts SET balance = v.balance, pending = v.pending, "
            "last_seq = v.last_seq, head_hash = v.head_hash "
            f"FROM (VALUES {rows}) AS v (id, balance, pending, last_seq, head_hash) "
            "WHERE accounts.id = v.id")


def _copy(raw, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


METADATA = ENTRY_COLUMNS.index("metadata")


def _plain(entry: tuple) -> tuple:
    """An entry row with its metadata as JSON text, for psycopg."""
    metadata = entry[METADATA]
    text = json.dumps(metadata, ensure_ascii=False) if metadata else "{}"
    return entry[:METADATA] + (text,) + entry[METADATA + 1:]


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
