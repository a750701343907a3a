"""Donations benchmark on PostgreSQL, each figure next to a raw one from the same run.

(1) donations recorded one per transaction through the service (``record_donation``:
    the donation row and its two-posting entry).
(2) a generated giving-day file of ROWS rows imported end to end (``import_donations``:
    both passes, settlement entries, donation rows) — next to COPY of the same file's
    rows into a bare table (read with Python's csv module, written with psycopg COPY).
    Targets: the import at least a quarter of the COPY rate; peak memory under 300 MB.
(3) receipts after a concurrent run: THREADS threads record RECEIPTED donations each, every
    one taking a receipt number from the street's one book; then the numbers must run from
    the book's first number with no gap and no duplicate.

    python benchmarks/import_bench.py [--rows 1000000] [--server postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import csv
import platform
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlalchemy import select, text

from fundpool import migrate
from fundpool.audit.log import Actor
from fundpool.db import Database, make_engine
from fundpool.donations import service
from fundpool.donations.importer import Settings, import_donations
from fundpool.funds.service import NewFund, create_fund, get_fund
from fundpool.ledger.posting import today
from fundpool.pools.codes import Level
from fundpool.pools.service import NewPool, create_pool

ACTOR = Actor("bench")
FUNDS = ("440304001", "440304002", "ELDER-440304001")
SINGLE = 2_000
THREADS, RECEIPTED = 8, 100


def setup(db: Database) -> int:
    with db.transaction() as session:
        create_pool(session, ACTOR, NewPool("440300", "深圳市", Level.CITY))
        create_pool(session, ACTOR, NewPool("440304", "福田区", Level.DISTRICT, "440300"))
        for code in FUNDS[:2]:
            create_pool(session, ACTOR, NewPool(code, code, Level.STREET, "440304"))
        create_fund(session, ACTOR, NewFund(code=FUNDS[2], name="助老", kind="special",
                                            pool_code="440304001", restricted=False))
        return service.create_donor(session, ACTOR, service.NewDonor("individual", "张三")).id


def write_file(path: Path, rows: int) -> None:
    day = today() - timedelta(days=1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("transaction_id", "time", "amount", "donor_name", "fund_code",
                         "purpose"))
        for n in range(rows):
            writer.writerow((f"TX{n:012d}", f"{day} {n % 24:02d}:{n % 60:02d}:{n % 59:02d}",
                             f"{1 + n % 500}.{n % 100:02d}", f"爱心网友{n % 50_000}",
                             FUNDS[n % 3], "99公益日"))


def single(db: Database, donor_id: int) -> float:
    started = time.perf_counter()
    for n in range(SINGLE):
        with db.transaction() as session:
            service.record_donation(session, ACTOR, service.NewDonation(
                donor_id=donor_id, fund=get_fund(session, FUNDS[n % 3]), amount=10_000,
                currency="CNY", channel="bank_transfer", channel_ref=f"BANK-{n}",
                received_date=today(), issue_receipt=False))
    return SINGLE / (time.perf_counter() - started)


def receipts_run(db: Database, donor_id: int) -> tuple[float, str]:
    """(donations/s, verdict) for THREADS writers each recording RECEIPTED gifts with receipts."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from fundpool.donations.models import Receipt
    from fundpool.donations.receipts import register_book
    from fundpool.pools.service import get_pool
    with db.transaction() as session:
        book = register_book(session, ACTOR, get_pool(session, FUNDS[0]), "44030126",
                             "0000000001", f"{THREADS * RECEIPTED * 10:010d}")
        book_id, first = book.id, book.first_number
    start = Barrier(THREADS)

    def writer(n: int) -> None:
        start.wait()
        for k in range(RECEIPTED):
            with db.transaction() as session:
                service.record_donation(session, ACTOR, service.NewDonation(
                    donor_id=donor_id, fund=get_fund(session, FUNDS[0]), amount=5_000,
                    currency="CNY", channel="bank_transfer", channel_ref=f"RCPT-{n}-{k}",
                    received_date=today(), issue_receipt=True))
    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(writer, range(THREADS)))
    rate = THREADS * RECEIPTED / (time.perf_counter() - started)
    with db.transaction() as session:
        numbers = sorted(session.scalars(select(Receipt.number).where(Receipt.book_id == book_id)))
    expected = list(range(first, first + THREADS * RECEIPTED))
    verdict = "PASS" if numbers == expected else (
        f"FAIL: {len(numbers)} numbers, {len(set(numbers))} distinct, "
        f"{len(set(expected) - set(numbers))} missing")
    return rate, verdict


def copy_rate(dsn: str, path: Path) -> float:
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE bare (transaction_id text, time text, amount text, "
                     "donor_name text, fund_code text, purpose text)")
        started = time.perf_counter()
        count = 0
        with path.open(encoding="utf-8", newline="") as handle, \
                conn.cursor().copy("COPY bare FROM STDIN") as copy:
            reader = csv.reader(handle)
            next(reader)
            for row in reader:
                copy.write_row(row)
                count += 1
        conn.commit()
        return count / (time.perf_counter() - started)


@contextmanager
def scratch_database(server: str) -> Iterator[tuple[Database, str]]:
    """A new migrated database on SERVER as (Database, libpq DSN); dropped afterwards, also
    on an error or Ctrl-C."""
    admin = make_engine(server)
    name = f"fundpool_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name)
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        migrate.upgrade(engine)
        yield Database(engine), url.set(drivername="postgresql").render_as_string(
            hide_password=False)
    finally:
        engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with scratch_database(args.server) as (db, dsn), tempfile.TemporaryDirectory() as folder:
        return run(db, dsn, Path(folder) / "giving-day.csv", args.rows)


def run(db: Database, dsn: str, path: Path, rows: int) -> int:
    donor_id = setup(db)
    write_file(path, rows)
    print(f"Python {platform.python_version()}, PostgreSQL on loopback; file "
          f"{path.stat().st_size / 2**20:.0f} MiB, {rows:,} rows")
    print(f"(1) one donation per transaction: {single(db, donor_id):8.0f} donations/s")
    started = time.perf_counter()
    report = import_donations(db, ACTOR, path, Settings())
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    raw = copy_rate(dsn, path)
    ratio = (report.imported / seconds) / raw
    print(f"(2) import: {report.imported:,} rows in {seconds:.1f} s = "
          f"{report.imported / seconds:8.0f} rows/s; COPY {raw:8.0f} rows/s; "
          f"ratio {ratio:.2f} (>= 0.25) {'PASS' if ratio >= 0.25 else 'FAIL'}")
    print(f"    peak memory {peak:.0f} MiB (< 300) {'PASS' if peak < 300 else 'FAIL'}; "
          f"rejected {len(report.rejected)}, duplicates {len(report.duplicates)}")
    rate, verdict = receipts_run(db, donor_id)
    print(f"(3) receipts: {THREADS} threads x {RECEIPTED} receipted donations, {rate:.0f}/s; "
          f"numbers gapless and unique: {verdict}")
    return 0 if ratio >= 0.25 and peak < 300 and verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
