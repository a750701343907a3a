"""General-ledger export benchmark on PostgreSQL: each format next to COPY in the same run.

Seeds 1,000,000 postings (500,000 two-posting donations of one street, with COPY, like
``ledger_bench.seed_history``), then exports the district's subtree for the day in each format
through :mod:`fundpool.exports.ledger_export` — every row made, written to a sink that only
counts bytes (XLSX: the workbook in its temporary file) — and reads the same rows (same joins,
columns and order) with PostgreSQL's own ``COPY (SELECT …) TO STDOUT``, the raw limit. Each
export runs in a child process of its own, so the peak resident memory (``ru_maxrss``) shown is
that format's alone. Targets: CSV >= 1/3 of the COPY rate; peak memory < 200 MB for every
format. Exit status 0 when both hold.

    python benchmarks/export_bench.py \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] \
        [--postings 1000000] [--formats csv jsonl xlsx beancount]

The script creates its own database (``fundpool_bench_<random>``) and drops it at the end.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date

import psycopg
from sqlalchemy.engine import make_url

from fundpool import migrate
from fundpool.db import Database, make_engine
from fundpool.exports import ledger_export
from fundpool.ledger.queries import CodeRange
from fundpool.pools.codes import Level, subtree_bounds

import ledger_bench as lb  # benchmarks/ is on sys.path when run as a script

TARGET_RATIO, TARGET_MB = 1 / 3, 200
COPY_SQL = """
COPY (SELECT p.entry_id, p.effective_date, e.recorded_at, e.kind, a.code, a.name, a.name_en,
             coalesce(f.code, pl.code), pl.code,
             CASE WHEN p.side = 'debit' THEN p.amount END,
             CASE WHEN p.side = 'credit' THEN p.amount END,
             p.currency, e.memo, e.external_ref, e.entry_hash
      FROM postings p JOIN entries e ON e.id = p.entry_id
      JOIN accounts a ON a.id = p.account_id JOIN pools pl ON pl.id = a.pool_id
      LEFT JOIN funds f ON f.id = a.fund_id
      WHERE p.effective_date BETWEEN %s AND %s AND pl.code BETWEEN %s AND %s
      ORDER BY p.effective_date, p.entry_id, p.id) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def scope(day: date) -> ledger_export.LedgerRange:
    return ledger_export.LedgerRange(day, day,
                                     CodeRange(*subtree_bounds(lb.DISTRICT, Level.DISTRICT)))


def child(url: str, kind: str, day: date) -> None:
    """One export in this process; prints rows, bytes, seconds, peak MiB as JSON."""
    engine = make_engine(url)
    db = Database(engine)
    rows = 0

    def progress(done: int) -> None:
        nonlocal rows
        rows = done

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    size = 0
    with db.sessions() as session:
        if kind == "xlsx":
            with ledger_export.xlsx_export(session, scope(day), progress) as workbook:
                workbook.seek(0, 2)
                size = workbook.tell()
        else:
            for chunk in ledger_export.chunks(session, scope(day), kind, progress):
                size += len(chunk)
    seconds = time.perf_counter() - started
    engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "bytes": size, "seconds": seconds, "peak_mib": peak,
                      "start_mib": before}))


def copy_out(dsn: str, day: date) -> tuple[int, int, float]:
    """(rows, bytes, seconds) of COPY (SELECT …) TO STDOUT of the same rows."""
    low, high = subtree_bounds(lb.DISTRICT, Level.DISTRICT)
    size = lines = 0
    with psycopg.connect(dsn) as conn:
        started = time.perf_counter()
        with conn.cursor().copy(COPY_SQL, (day, day, low, high)) as copy:
            for block in copy:
                size += len(block)
                lines += bytes(block).count(b"\n")
        seconds = time.perf_counter() - started
    return lines - 1, size, seconds


def run(url: str, dsn: str, postings: int, formats: list[str]) -> bool:
    engine = make_engine(url)
    db = Database(engine)
    try:
        migrate.upgrade(db.engine)
        lb.set_up_pools(db)
    finally:
        engine.dispose()
    with psycopg.connect(dsn) as conn:
        env = lb.environment(conn)
        print(f"seeding {postings:,} postings with COPY …", flush=True)
        lb.seed_history(conn, lb.BIG_STREET, postings // 2)
        lb.settle(conn)
    day = lb.today()
    results = {}
    rows, size, seconds = copy_out(dsn, day)
    results["COPY"] = {"rows": rows, "bytes": size, "seconds": seconds, "peak_mib": None,
                       "start_mib": None}
    for kind in formats:
        print(f"exporting {kind} …", flush=True)
        out = subprocess.run([sys.executable, __file__, "--child", kind, "--child-url", url,
                              "--day", day.isoformat()], capture_output=True, text=True,
                             check=True)
        results[kind] = json.loads(out.stdout.strip().splitlines()[-1])
    # COPY again after the exports, so a warm or cold cache favours neither side.
    rows, size, seconds = copy_out(dsn, day)
    results["COPY"]["seconds"] = min(results["COPY"]["seconds"], seconds)
    print()
    for line in env:
        print(line)
    print("\n| what | rows | MB | seconds | rows/s | of COPY | peak memory | before export |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    copy_rate = results["COPY"]["rows"] / results["COPY"]["seconds"]
    passed = same_rows = memory_ok = True
    for kind, figures in results.items():
        rate = figures["rows"] / figures["seconds"]
        peak = f"{figures['peak_mib']:.0f} MiB" if figures["peak_mib"] is not None else "—"
        start = f"{figures['start_mib']:.0f} MiB" if figures["start_mib"] is not None else "—"
        print(f"| {kind} | {figures['rows']:,} | {figures['bytes'] / 1e6:.0f} | "
              f"{figures['seconds']:.1f} | {rate:,.0f} | {rate / copy_rate:.2f} | {peak} | "
              f"{start} |")
        if kind != "COPY":
            same_rows &= figures["rows"] == results["COPY"]["rows"]
            memory_ok &= figures["peak_mib"] * 1024 * 1024 < TARGET_MB * 1_000_000
    if "csv" in results:
        ratio = results["csv"]["rows"] / results["csv"]["seconds"] / copy_rate
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"\nCSV at {ratio:.2f} of COPY (target >= {TARGET_RATIO:.2f}): {verdict}")
        passed &= ratio >= TARGET_RATIO
    print(f"peak memory < {TARGET_MB} MB for every format: {'met' if memory_ok else 'NOT met'}")
    print(f"every format wrote the rows COPY did: {'yes' if same_rows else 'NO'}")
    return passed and memory_ok and same_rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=lb.DEFAULT_SERVER)
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--formats", nargs="+", default=list(ledger_export.FORMATS),
                        choices=ledger_export.FORMATS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-url", help=argparse.SUPPRESS)
    parser.add_argument("--day", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child_url, args.child, date.fromisoformat(args.day))
        return 0
    server = make_url(args.database_url)
    if server.get_backend_name() != "postgresql":
        parser.error("--database-url must be a PostgreSQL URL")
    name = lb.create_database(server)
    print(f"database {name} on {server.host}:{server.port or 5432}", flush=True)
    bench = server.set(database=name)
    try:
        passed = run(bench.render_as_string(hide_password=False), lb.psycopg_dsn(bench),
                     args.postings, args.formats)
    finally:
        lb.drop_database(server, name)
        print(f"dropped database {name}", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
