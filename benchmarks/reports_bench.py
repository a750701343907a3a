"""Reports benchmark on PostgreSQL: the city's trial balance and rollups over 1,000,000 postings.

Builds Shenzhen as the demo does (the city, its 9 districts and 79 streets from the NBS codes,
three communities per street: 326 pools, each with its general fund's 13 accounts) plus two
special funds per street (restricted and not), then seeds 500,000 two-posting entries —
1,000,000 postings — with COPY (like ``ledger_bench.seed_history``): donations (Dr 1002 /
Cr 410101 or 410102), costs (Dr 5101 / Cr 1002) and allocations from the city down (Dr a
pool's 1002 / Cr the city's 1002), spread over three years and all the funds; the account
rows are then set from the postings. Hashes are a constant: only reads are measured.

Timed through :mod:`fundpool.reports` (each the median of 5 runs after one warm-up, in a
fresh session): the city's trial balance as of today (target < 1 s), a district's, the
city's rollup now (maintained balances) and as of a year ago, the city's activity statement
for the last year, and a street's fund statement for the year; next to it, the plain GROUP BY
of every posting by account in psycopg (the floor any trial balance pays).

    python benchmarks/reports_bench.py \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--postings 1000000]

The script creates its own database (``fundpool_bench_<random>``) and drops it at the end.
Exit status 0 when the target holds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import ledger_bench as lb  # benchmarks/ is on sys.path when run as a script
import psycopg
from sqlalchemy.engine import make_url

from fundpool import migrate
from fundpool.audit.log import Actor
from fundpool.db import Database, make_engine
from fundpool.demo import communities
from fundpool.funds.service import NewFund, Restriction, create_fund, get_fund
from fundpool.ledger.posting import today
from fundpool.pools.codes import Level
from fundpool.pools.divisions import shenzhen
from fundpool.pools.service import import_pools
from fundpool.reports.activity import activity
from fundpool.reports.balances import balances
from fundpool.reports.scope import pool_scope
from fundpool.reports.statements import statement
from fundpool.reports.trial_balance import trial_balance

ACTOR = Actor("bench")
CITY, DISTRICT, STREET = "440300", "440304", "440304001"
TARGET_SECONDS = 1.0
RUNS = 5
DAYS = 3 * 365


def build(db: Database) -> int:
    """Shenzhen's pools and two special funds per street; the number of pools."""
    with db.transaction() as session:
        divisions = shenzhen()
        streets = [pool for pool in divisions if pool.level is Level.STREET]
        import_pools(session, ACTOR, divisions + communities(streets))
        for street in streets:
            for prefix, restricted in (("ELDER", True), ("CARE", False)):
                create_fund(session, ACTOR, NewFund(
                    code=f"{prefix}-{street.code}", name=f"{street.name}{prefix}专项基金",
                    kind="special", pool_code=street.code, restricted=restricted,
                    restriction=Restriction(categories=("elderly_in_difficulty",))
                    if restricted else Restriction()))
        return len(divisions) + len(streets) * 3


def seed(conn: psycopg.Connection, entries: int) -> dict[str, int]:
    """COPY ``entries`` two-posting entries; set every account row from its postings."""
    rows = conn.execute(
        "SELECT a.id, a.chart_code, f.code, f.restricted, f.id FROM accounts a "
        "JOIN funds f ON f.id = a.fund_id WHERE a.currency = 'CNY'").fetchall()
    funds: dict[str, dict[str, int]] = {}
    restricted: dict[str, bool] = {}
    fund_ids: dict[str, int] = {}
    for account_id, chart, fund, is_restricted, fund_id in rows:
        funds.setdefault(fund, {})[chart] = account_id
        restricted[fund] = is_restricted
        fund_ids[fund] = fund_id
    codes = sorted(funds)
    city_bank = funds[CITY]["1002"]
    seq: dict[int, int] = {}
    rng = random.Random(6)
    first = lb.reserve_ids(conn, entries)
    end, recorded_at, fake = today(), datetime.now(UTC), "f" * 64
    kinds = {"donation": 0, "grant": 0, "allocation": 0}
    conn.execute("SET LOCAL session_replication_role = replica")
    plan = []
    for n in range(entries):
        fund = codes[rng.randrange(len(codes))]
        day = end - timedelta(days=rng.randrange(DAYS))
        roll = rng.random()
        if roll < 0.6 or fund == CITY:
            income = "410102" if restricted[fund] else "410101"
            plan.append(("donation", day, funds[fund]["1002"], funds[fund][income],
                         rng.randrange(1_000, 100_000)))
        elif roll < 0.9:
            plan.append(("grant", day, funds[fund]["5101"], funds[fund]["1002"],
                         rng.randrange(1, 1_000)))
        else:
            plan.append(("allocation", day, funds[fund]["1002"], city_bank, 1, fund_ids[fund]))
        kinds[plan[-1][0]] += 1
    with conn.cursor().copy(f"COPY entries ({', '.join(lb.ENTRY_COLUMNS)}) FROM STDIN") as copy:
        for n, (kind, day, *_rest) in enumerate(plan):
            copy.write_row((first + n, day, recorded_at, kind, "", None, "{}", "bench-seed",
                            None, None, fake))
    with conn.cursor().copy(f"COPY postings ({', '.join(lb.POSTING_COLUMNS)}) FROM STDIN") as copy:
        for n, (_kind, day, debit, credit, amount, *_target) in enumerate(plan):
            for account, side in ((debit, "debit"), (credit, "credit")):
                seq[account] = seq.get(account, 0) + 1
                copy.write_row((first + n, account, side, amount, "CNY", day, seq[account], fake))
    # the allocation records, which the trial balance's boundary line reads
    columns = ("source_fund_id", "target_fund_id", "amount", "currency", "direction", "memo",
               "entry_id", "created_at")
    with conn.cursor().copy(f"COPY allocations ({', '.join(columns)}) FROM STDIN") as copy:
        for n, (kind, _day, _dr, _cr, amount, *target) in enumerate(plan):
            if kind == "allocation":
                copy.write_row((fund_ids[CITY], target[0], amount, "CNY", "down", "", first + n,
                                recorded_at))
    conn.execute(
        "UPDATE accounts a SET balance = s.balance, last_seq = s.n, head_hash = %s FROM ("
        " SELECT p.account_id, count(*) AS n, sum(CASE WHEN p.side = 'debit' THEN p.amount"
        " ELSE -p.amount END) * CASE WHEN max(acc.type) IN ('asset', 'expense') THEN 1 ELSE -1"
        " END AS balance FROM postings p JOIN accounts acc ON acc.id = p.account_id"
        " GROUP BY p.account_id) s WHERE a.id = s.account_id", (fake,))
    conn.commit()
    kinds["accounts"] = conn.execute("SELECT count(*) FROM accounts").fetchone()[0]
    kinds["postings"] = conn.execute("SELECT count(*) FROM postings").fetchone()[0]
    return kinds


def timed(db: Database, work) -> tuple[float, float, object]:
    """(median, max) seconds over RUNS runs after a warm-up, each in a fresh session."""
    with db.sessions() as session:
        result = work(session)
    times = []
    for _ in range(RUNS):
        with db.sessions() as session:
            start = time.perf_counter()
            result = work(session)
            times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), result


def raw_group_by(dsn: str) -> float:
    with psycopg.connect(dsn) as conn:
        sql = ("SELECT account_id, sum(CASE WHEN side = 'debit' THEN amount ELSE 0 END), "
               "sum(CASE WHEN side = 'credit' THEN amount ELSE 0 END) FROM postings "
               "WHERE effective_date <= %s GROUP BY account_id")
        conn.execute(sql, (today(),)).fetchall()
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            conn.execute(sql, (today(),)).fetchall()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(url: str, dsn: str, postings: int) -> bool:
    db = Database(make_engine(url))
    try:
        migrate.upgrade(db.engine)
        started = time.perf_counter()
        pools = build(db)
        print(f"built {pools} pools with their funds in {time.perf_counter() - started:.1f} s",
              flush=True)
        with psycopg.connect(dsn) as conn:
            env = lb.environment(conn)
            print(f"seeding {postings:,} postings with COPY …", flush=True)
            started = time.perf_counter()
            counts = seed(conn, postings // 2)
            print(f"seeded in {time.perf_counter() - started:.1f} s: {counts}", flush=True)
            lb.settle(conn)
        day, year_ago = today(), today() - timedelta(days=365)
        with db.sessions() as session:
            street_fund = get_fund(session, STREET)

        def city(session):
            return pool_scope(session, CITY)

        cases = [
            ("trial balance, city, as of today",
             lambda s: trial_balance(s, city(s), day), "target < 1 s"),
            ("trial balance, 福田区 subtree", lambda s: trial_balance(
                s, pool_scope(s, DISTRICT), day), ""),
            ("rollup, city, now (maintained balances)", lambda s: balances(s, city(s)), ""),
            ("rollup, city, as of a year ago", lambda s: balances(s, city(s), year_ago), ""),
            ("activity statement, city, last 365 days",
             lambda s: activity(s, city(s), year_ago, day), ""),
            ("fund statement, 南园街道 general fund, last 365 days",
             lambda s: statement(s, s.merge(street_fund), year_ago, day), ""),
        ]
        results = []
        for label, work, note in cases:
            median, worst, result = timed(db, work)
            results.append((label, median, worst, note, result))
            print(f"{label}: {median * 1000:.0f} ms", flush=True)
        floor = raw_group_by(dsn)
    finally:
        db.engine.dispose()
    trial = results[0][4]
    print()
    for line in env:
        print(line)
    print(f"\n{counts['postings']:,} postings on {counts['accounts']:,} accounts "
          f"({pools} pools); the city's trial balance has {len(trial.lines):,} lines, "
          f"balanced: {trial.balanced}\n")
    print("| what | median | worst of 5 | note |")
    print("| --- | --- | --- | --- |")
    for label, median, worst, note, _ in results:
        print(f"| {label} | {median * 1000:.0f} ms | {worst * 1000:.0f} ms | {note} |")
    print(f"| plain GROUP BY of every posting by account (psycopg) | {floor * 1000:.0f} ms | | "
          "the floor |")
    district = results[1][4]
    print(f"福田区's trial balance balanced with its boundary line: {district.balanced} "
          f"(allocated in from the city: {district.totals[0].boundary:,} fen)")
    passed = results[0][1] < TARGET_SECONDS and trial.balanced and district.balanced
    print(f"\ntrial balance for the city under {TARGET_SECONDS:.0f} s: "
          f"{'PASS' if passed else 'FAIL'}")
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
