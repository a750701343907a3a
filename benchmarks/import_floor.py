"""The floor under issue 4's import target, on PostgreSQL: how fast can donation rows be
written at all, with nothing else done?

Issue 4 asks the import to reach a quarter of the rate of COPY into a bare table. This script
takes that COPY (``import_bench.copy_rate``, the same file of ROWS rows) and, in turns with it,
the least any import must do for each gift: one row in the real ``donations`` table, its
donor, fund and settlement entry already there. The rows are built in memory before the clock
starts (no file read, no parsing, no checks, no donors, no entries) and written with one
text-format ``COPY donations … FROM STDIN`` in one transaction, then deleted and the table
vacuumed for the next turn. A third variant writes the same rows with the foreign-key
triggers off (``session_replication_role = replica``) to show what the three foreign keys
cost; the ledger never runs like that.

    python benchmarks/import_floor.py [--rows 1000000] [--turns 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
from import_bench import ACTOR, copy_rate, scratch_database, setup, write_file

from fundpool.donations.importer import Settings, import_donations
from fundpool.ledger.posting import today

COLUMNS = ("donor_id, fund_id, amount, currency, channel, channel_ref, received_date, purpose, "
           "entry_id, refunded, paid_on, created_at")


def ready_rows(dsn: str, count: int) -> list[tuple]:
    """COUNT donation rows pointing at the donors, funds and settlement entries already there."""
    with psycopg.connect(dsn) as conn:
        donors = [r[0] for r in conn.execute("SELECT id FROM donors ORDER BY id")]
        funds = [r[0] for r in conn.execute("SELECT DISTINCT fund_id FROM donations")]
        entries = [r[0] for r in conn.execute("SELECT DISTINCT entry_id FROM donations")]
    day, now = today() - timedelta(days=1), datetime.now(timezone.utc)
    return [(donors[n % len(donors)], funds[n % len(funds)], 100 + n % 50_000, "CNY",
             "platform", f"FLOOR{n:012d}", day, "99公益日", entries[n % len(entries)], 0, 0, now)
            for n in range(count)]


def copy_donations(dsn: str, rows: list[tuple], foreign_keys: bool) -> float:
    """Rows/s of COPY into ``donations``; the rows are removed again afterwards."""
    with psycopg.connect(dsn) as conn:
        if not foreign_keys:
            conn.execute("SET session_replication_role = replica")
        started = time.perf_counter()
        with conn.cursor().copy(f"COPY donations ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        rate = len(rows) / (time.perf_counter() - started)
        conn.execute("SET session_replication_role = origin")
        conn.execute("DELETE FROM donations WHERE channel_ref LIKE 'FLOOR%'")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM donations")
    return rate


def drop_bare(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("DROP TABLE bare")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with scratch_database(args.server) as (db, dsn), tempfile.TemporaryDirectory() as folder:
        setup(db)
        seed, big = Path(folder) / "seed.csv", Path(folder) / "giving-day.csv"
        write_file(seed, 3_000)
        import_donations(db, ACTOR, seed, Settings())
        write_file(big, args.rows)
        rows = ready_rows(dsn, args.rows)
        print(f"{args.rows:,} rows; ratio = donations COPY / bare-table COPY, same turn")
        for turn in range(args.turns):
            for foreign_keys in (True, False):
                raw = copy_rate(dsn, big)
                drop_bare(dsn)
                rate = copy_donations(dsn, rows, foreign_keys)
                print(f"turn {turn + 1}, foreign keys {'on ' if foreign_keys else 'off'}: "
                      f"bare table {raw:9,.0f} rows/s, donations {rate:9,.0f} rows/s, "
                      f"ratio {rate / raw:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
