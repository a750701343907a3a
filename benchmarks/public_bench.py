"""Public figures benchmark on PostgreSQL: monthly figures and a fund's annual report over a city
with many donations.

Builds Shenzhen and seeds its history exactly as ``reports_bench.py`` does (326 pools, two
special funds per street, two-posting entries over three years, 60 % of them donations), then
gives every seeded donation entry its donation row (one gift each, from 10,000 donors, a tenth
of them companies), so the donation counts and the largest donors read as many rows as the
ledger has gifts.

Timed through :mod:`fundpool.reports` (the median of 5 runs after a warm-up, each in a fresh
session): the city's and a district's figures for the last twelve months, one fund's, and the
annual report of the busiest fund for last year; and, for reference, the activity statement
of the city over the same months (a query of the same kind: postings joined to their entries,
accounts and pools).

    python benchmarks/public_bench.py \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--postings 1000000]

The script creates its own database and drops it at the end.
"""

from __future__ import annotations

import argparse
import sys
import time

import ledger_bench as lb  # benchmarks/ is on sys.path when run as a script
import psycopg
import reports_bench as rb
from sqlalchemy.engine import make_url

from fundpool import migrate
from fundpool.db import Database, make_engine
from fundpool.funds.service import get_fund
from fundpool.ledger.posting import today
from fundpool.reports.activity import activity
from fundpool.reports.disclosure import fund_year
from fundpool.reports.months import Month
from fundpool.reports.public_figures import fund_figures, pool_figures
from fundpool.reports.scope import pool_scope

DONORS = 10_000


def seed_donations(conn: psycopg.Connection) -> tuple[int, str]:
    """A donor row per 1/DONORS of the gifts and a donation row per seeded donation entry;
    the busiest fund's code."""
    conn.execute(
        "INSERT INTO donors (kind, name, anonymous, contact, created_at) "
        "SELECT CASE WHEN n %% 10 = 0 THEN 'enterprise' ELSE 'individual' END, "
        "'捐赠人' || n, n %% 7 = 0, '1380000' || n, now() FROM generate_series(1, %s) AS n",
        (DONORS,))
    first_donor = conn.execute("SELECT min(id) FROM donors").fetchone()[0]
    conn.execute(
        "INSERT INTO donations (donor_id, fund_id, amount, currency, channel, channel_ref, "
        "received_date, purpose, entry_id, refunded, paid_on, created_at) "
        "SELECT %s + e.id %% %s, a.fund_id, p.amount, 'CNY', 'bank_transfer', 'B-' || e.id, "
        "e.effective_date, '', e.id, 0, 0, now() "
        "FROM entries e JOIN postings p ON p.entry_id = e.id AND p.side = 'debit' "
        "JOIN accounts a ON a.id = p.account_id WHERE e.kind = 'donation'",
        (first_donor, DONORS))
    count = conn.execute("SELECT count(*) FROM donations").fetchone()[0]
    busiest = conn.execute(
        "SELECT f.code FROM donations d JOIN funds f ON f.id = d.fund_id "
        "GROUP BY f.code ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    conn.execute("ANALYZE donations")
    conn.execute("ANALYZE donors")
    conn.commit()
    return count, busiest


def run(url: str, dsn: str, postings: int) -> None:
    db = Database(make_engine(url))
    try:
        migrate.upgrade(db.engine)
        started = time.perf_counter()
        pools = rb.build(db)
        with psycopg.connect(dsn) as conn:
            env = lb.environment(conn)
            counts = rb.seed(conn, postings // 2)
            lb.settle(conn)
            donations, busiest = seed_donations(conn)
        print(f"built {pools} pools, {counts['postings']:,} postings and {donations:,} "
              f"donations in {time.perf_counter() - started:.1f} s", flush=True)
        now = Month.of(today())
        first = Month(now.year - 1, now.month)
        last_year = today().year - 1
        with db.sessions() as session:
            street, fund = get_fund(session, rb.STREET), get_fund(session, busiest)
        cases = [
            ("figures, city subtree, 13 months",
             lambda s: pool_figures(s, rb.CITY, first, now)),
            ("figures, 福田区 subtree, 13 months",
             lambda s: pool_figures(s, rb.DISTRICT, first, now)),
            ("figures, 南园街道 general fund, 13 months",
             lambda s: fund_figures(s, s.merge(street), first, now)),
            (f"annual report {last_year}, busiest fund {busiest}",
             lambda s: fund_year(s, s.merge(fund), last_year, today())),
            ("for reference: activity statement, city, the same 13 months",
             lambda s: activity(s, pool_scope(s, rb.CITY), first.first_day, today())),
        ]
        results = []
        for label, work in cases:
            median, worst, _ = rb.timed(db, work)
            results.append((label, median, worst))
            print(f"{label}: {median * 1000:.0f} ms", flush=True)
    finally:
        db.engine.dispose()
    print()
    for line in env:
        print(line)
    print(f"\n{counts['postings']:,} postings, {donations:,} donations, {pools} pools\n")
    print("| what | median | worst of 5 |")
    print("| --- | --- | --- |")
    for label, median, worst in results:
        print(f"| {label} | {median * 1000:.0f} ms | {worst * 1000:.0f} ms |")


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
        run(bench.render_as_string(hide_password=False), lb.psycopg_dsn(bench), args.postings)
    finally:
        lb.drop_database(server, name)
        print(f"dropped database {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
