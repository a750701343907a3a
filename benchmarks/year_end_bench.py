"""Year-end close benchmark on PostgreSQL: closing each year of Shenzhen over 1,000,000 postings.

Builds the city and seeds its history exactly as ``reports_bench`` does (326 pools, two
special funds per street, 500,000 two-posting entries over three years, COPY), then closes
every year that is over, oldest first, through :func:`fundpool.ledger.year_end.close_year` —
the whole close: locks, the balances before, the closing entries, the check after, the
record. Each close is timed once (a year closes once); then closing the last year again
(nothing posted) is timed, and the city's trial balance as of the last 31 December is shown
to balance with every income and cost account at zero.

    python benchmarks/year_end_bench.py \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--postings 1000000]

The script creates its own database (``fundpool_bench_<random>``) and drops it at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

import ledger_bench as lb  # benchmarks/ is on sys.path when run as a script
import psycopg
import reports_bench as rb
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from fundpool import migrate
from fundpool.audit.log import Actor
from fundpool.db import Database, make_engine
from fundpool.ledger.models import Entry
from fundpool.ledger.posting import today
from fundpool.ledger.year_end import NOMINAL, close_year
from fundpool.reports.scope import pool_scope
from fundpool.reports.trial_balance import trial_balance

ACTOR = Actor("bench")


def run(url: str, dsn: str, postings: int) -> bool:
    db = Database(make_engine(url))
    try:
        migrate.upgrade(db.engine)
        pools = rb.build(db)
        with psycopg.connect(dsn) as conn:
            env = lb.environment(conn)
            counts = rb.seed(conn, postings // 2)
            lb.settle(conn)
        print(f"{counts['postings']:,} postings on {counts['accounts']:,} accounts "
              f"({pools} pools)", flush=True)
        with db.sessions() as session:
            first = session.scalar(select(func.min(Entry.effective_date))).year
        rows = []
        for year in range(first, today().year):
            started = time.perf_counter()
            with db.transaction() as session:
                outcome = close_year(session, ACTOR, year, today())
                entries = outcome.year_end.entries
            rows.append((f"close {year}", time.perf_counter() - started, entries))
            print(f"closed {year}: {entries} entries in {rows[-1][1]:.2f} s", flush=True)
        started = time.perf_counter()
        with db.transaction() as session:
            again = close_year(session, ACTOR, today().year - 1, today())
        rows.append((f"close {today().year - 1} again (already closed)",
                     time.perf_counter() - started, 0))
        with db.sessions() as session:
            trial = trial_balance(session, pool_scope(session, rb.CITY),
                                  date(today().year - 1, 12, 31))
    finally:
        db.engine.dispose()
    nominal_zero = all(not (line.balance_debit or line.balance_credit)
                       for line in trial.lines if line.chart_code in NOMINAL)
    print()
    for line in env:
        print(line)
    print("\n| what | seconds | closing entries |")
    print("| --- | --- | --- |")
    for label, seconds, entries in rows:
        print(f"| {label} | {seconds:.2f} | {entries} |")
    passed = trial.balanced and nominal_zero and not again.created
    print(f"\npost-closing trial balance of the city balanced: {trial.balanced}; every income "
          f"and cost account at zero: {nominal_zero}")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=lb.DEFAULT_SERVER)
    parser.add_argument("--postings", type=int, default=1_000_000)
    args = parser.parse_args()
    server = make_url(args.database_url)
    if server.get_backend_name() != "postgresql":
        parser.error("--database-url must be a PostgreSQL URL")
    name = lb.create_database(server)
    print(f"database {name} on {server.host}:{server.port or 5432}", flush=True)
    bench = server.set(database=name)
    try:
        passed = run(bench.render_as_string(hide_password=False), lb.psycopg_dsn(bench),
                     args.postings)
    finally:
        lb.drop_database(server, name)
        print(f"dropped database {name}", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
