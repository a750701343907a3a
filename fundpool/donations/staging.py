"""The import's working tables: the file's rows, the parsed ones, the ones to record.

They are temporary tables on the import's one connection, created at its start and
dropped at its end, so an import never leaves anything behind and two imports never
see each other's rows. Rows go in with ``COPY`` on PostgreSQL and in batches of
multi-row inserts on SQLite.

Every cell is stripped as Python's ``str.strip()`` strips it before it is written here
(``importer._read``), so both paths read a cell padded with a tab or a full-width space
alike. On PostgreSQL, rows in the common shape (CNY amount such as ``12.50``, time such as
``2026-09-09 10:30:00`` from 2000-01-01 on and outside closed months, a fund the
importer may write to, valid that day) are parsed here in one statement. That fast path
accepts a strict subset of what the importer's Python parser accepts, with the same
result; every row it leaves is parsed in Python, which gives each bad row its reason.
"""

from __future__ import annotations

from datetime import date
from itertools import islice
from typing import Iterable, Iterator

from sqlalchemy import (BigInteger, Column, Date, Integer, MetaData, String, Table, Text,
                        insert, text)
from sqlalchemy.orm import Session

from fundpool.ledger.money import MAX_MINOR

metadata = MetaData()

rows = Table("import_rows", metadata,
             Column("line", BigInteger, primary_key=True, autoincrement=False),
             *(Column(name, Text) for name in ("ref", "time", "amount", "currency", "donor",
                                              "fund_code", "purpose")),
             prefixes=["TEMPORARY"])
funds = Table("import_funds", metadata,
              Column("code", String(40), primary_key=True),
              Column("fund_id", Integer), Column("valid_from", Date), Column("valid_to", Date),
              prefixes=["TEMPORARY"])
parsed = Table("import_parsed", metadata,
               Column("line", BigInteger, primary_key=True, autoincrement=False),
               Column("ref", String(100)), Column("day", Date), Column("minor", BigInteger),
               Column("currency", String(3)), Column("fund_id", Integer),
               Column("donor", String(200)), Column("purpose", String(500)),
               prefixes=["TEMPORARY"])
good = Table("import_good", metadata, *(Column(c.name, c.type) for c in parsed.columns),
             prefixes=["TEMPORARY"])
settlements = Table("import_settlements", metadata,
                    Column("fund_id", Integer), Column("currency", String(3)),
                    Column("day", Date), Column("entry_id", BigInteger),
                    prefixes=["TEMPORARY"])
donors = Table("import_donors", metadata,
               Column("name", String(200), primary_key=True), Column("donor_id", Integer),
               prefixes=["TEMPORARY"])

BATCH = 500


def create(session: Session) -> None:
    drop(session)
    metadata.create_all(session.connection())


def drop(session: Session) -> None:
    metadata.drop_all(session.connection(), checkfirst=True)


def is_postgres(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"


def load(session: Session, table: Table, values: Iterable[tuple]) -> int:
    """Write rows (tuples in the table's column order); the number written."""
    connection = session.connection()
    count = 0
    if connection.dialect.name == "postgresql":
        columns = ", ".join(c.name for c in table.columns)
        raw = connection.connection.driver_connection
        with raw.cursor().copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
                count += 1
        return count
    names = [c.name for c in table.columns]
    iterator: Iterator[tuple] = iter(values)
    while batch := list(islice(iterator, BATCH)):
        connection.execute(insert(table).values([dict(zip(names, row)) for row in batch]))
        count += len(batch)
    return count


# Every conversion sits behind the CASE that checks its text, so no row can make the
# statement fail; a row it cannot take is left for the Python parser. OFFSET 0 keeps
# the inner query whole, so each CASE runs once per row, not once per use. ``month`` is
# the time's YYYY-MM, the day's month wherever day is not NULL (a cheap text compare
# with the closed months, where formatting every row's date is not).
_FAST_PARSE = r"""
INSERT INTO import_parsed (line, ref, day, minor, currency, fund_id, donor, purpose)
SELECT line, ref, day, minor, 'CNY', fund_id, donor, purpose FROM (
  SELECT s.line, s.ref AS ref, upper(s.currency) AS currency,
         f.fund_id, f.valid_from, f.valid_to, substr(s.donor, 1, 200) AS donor,
         substr(s.purpose, 1, 500) AS purpose, substr(t, 1, 7) AS month,
         CASE WHEN a ~ '^[0-9]{1,15}(\.[0-9]{1,2})?$' THEN (a::numeric * 100)::bigint END
           AS minor,
         CASE WHEN t !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?$'
                THEN NULL
              WHEN substr(t, 1, 4)::int < 1 OR substr(t, 6, 2)::int NOT BETWEEN 1 AND 12
                THEN NULL
              WHEN substr(t, 9, 2)::int NOT BETWEEN 1 AND extract(day FROM
                   make_date(substr(t, 1, 4)::int, substr(t, 6, 2)::int, 1)
                   + interval '1 month - 1 day')::int
                THEN NULL
              ELSE make_date(substr(t, 1, 4)::int, substr(t, 6, 2)::int, substr(t, 9, 2)::int)
         END AS day
  FROM import_rows s
  CROSS JOIN LATERAL (SELECT s.time AS t, s.amount AS a) AS v
  JOIN import_funds f ON f.code = s.fund_code
  OFFSET 0
) p
WHERE ref <> '' AND length(ref) <= 100 AND currency IN ('', 'CNY')
  AND minor BETWEEN 1 AND :max_minor AND day BETWEEN :earliest AND :today
  AND NOT month = ANY(CAST(:closed AS text[]))
  AND (valid_from IS NULL OR day >= valid_from) AND (valid_to IS NULL OR day <= valid_to)
"""


def fast_parse(session: Session, today: date, earliest: date, closed: frozenset[str]) -> int:
    """Parse the rows in the common shape in SQL (PostgreSQL only); how many it took.
    Rows dated before ``earliest`` or in a ``closed`` month ("2026-08") are left to the
    Python parser, which rejects them with their reason."""
    if not is_postgres(session):
        return 0
    session.execute(text("ANALYZE import_rows"))
    session.execute(text("ANALYZE import_funds"))
    return session.execute(text(_FAST_PARSE), {
        "today": today, "earliest": earliest, "closed": sorted(closed),
        "max_minor": MAX_MINOR}).rowcount


def unparsed(session: Session, page: int = 1_000) -> Iterator[tuple]:
    """The rows the fast path left, in file order, a page at a time (so the caller may
    write between pages on the same connection)."""
    last = 0
    while True:
        batch = session.execute(text(
            "SELECT s.line, s.ref, s.time, s.amount, s.currency, s.donor, s.fund_code, "
            "s.purpose FROM import_rows s WHERE s.line > :last AND NOT EXISTS "
            "(SELECT 1 FROM import_parsed p WHERE p.line = s.line) ORDER BY s.line LIMIT :page"),
            {"last": last, "page": page}).all()
        yield from batch
        if len(batch) < page:
            return
        last = batch[-1][0]
