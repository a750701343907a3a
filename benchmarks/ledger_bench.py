"""Ledger benchmark on PostgreSQL: every figure next to a raw figure from the same run.

(a) two-posting entries, one per transaction, through ``post_entry`` — next to plain
    psycopg writing the same rows (entry, two postings, two account updates) one
    transaction each. Target: service >= 0.5 x raw.
(b) entries posted 1,000 per transaction through ``post_batch`` — next to COPY writing
    the same rows in batches of 1,000. Target: service >= 0.5 x COPY.
(c) median and p99 of reading an account's balance through the service
    (``balances.current``, in a session of its own each time), with 1,000 and
    with 1,000,000 postings in its history. Targets: p99 < 2 ms; p99 at 1,000,000 no more
    than 1.2 x p99 at 1,000.
(d) peak memory of this process.

    python benchmarks/ledger_bench.py [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

It makes its own database on the server and drops it at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import resource
import statistics
import sys
import time
import uuid
from datetime import datetime, timezone

import psycopg
from sqlalchemy import text

from fundpool import migrate
from fundpool.audit.log import Actor
from fundpool.db import Database, make_engine
from fundpool.ledger.balances import current
from fundpool.ledger.posting import post_batch, post_entry, today
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.pools.codes import Level
from fundpool.pools.service import NewPool, create_pool

ACTOR = Actor("bench")
STREETS = ("440304001", "440304002", "440304003", "440304004")
SINGLE, BATCHES, BATCH, READS = 2_000, 5, 1_000, 5_000
BIG_HISTORY = 1_000_000


def donation(street: str, amount: int = 100) -> NewEntry:
    return NewEntry("donation", today(), (Line(f"{street}:1002:CNY", Side.DEBIT, amount),
                                          Line(f"{street}:410101:CNY", Side.CREDIT, amount)))


def rate(count: int, seconds: float) -> float:
    return count / seconds


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def setup(db: Database) -> None:
    with db.transaction() as session:
        create_pool(session, ACTOR, NewPool("440300", "深圳市", Level.CITY))
        create_pool(session, ACTOR, NewPool("440304", "福田区", Level.DISTRICT, "440300"))
        for code in STREETS:
            create_pool(session, ACTOR, NewPool(code, code, Level.STREET, "440304"))


def service_single(db: Database, street: str, count: int) -> float:
    entry = donation(street)

    def run():
        for _ in range(count):
            with db.transaction() as session:
                post_entry(session, ACTOR, entry)
    return rate(count, timed(run))


def raw_single(dsn: str, street: str, count: int) -> float:
    """The same rows, written by hand with psycopg, one transaction per entry."""
    with psycopg.connect(dsn) as conn:
        ids = dict(conn.execute("SELECT code, id FROM accounts WHERE code LIKE %s",
                                (f"{street}:%",)).fetchall())
        bank, income = ids[f"{street}:1002:CNY"], ids[f"{street}:410101:CNY"]
        done = conn.execute("SELECT last_seq FROM accounts WHERE id = %s", (bank,)).fetchone()[0]
        conn.commit()

        def run():
            for seq in range(done + 1, done + count + 1):
                digest = hashlib.sha256(str(seq).encode()).hexdigest()
                with conn.transaction():
                    entry_id = conn.execute(
                        "INSERT INTO entries (effective_date, recorded_at, kind, memo, metadata, "
                        "actor, entry_hash) VALUES (%s, %s, 'donation', '', '{}', 'raw', %s) "
                        "RETURNING id", (today(), datetime.now(timezone.utc), digest)).fetchone()[0]
                    with conn.cursor() as cursor:
                        cursor.executemany(
                            "INSERT INTO postings (entry_id, account_id, side, amount, currency, "
                            "effective_date, account_seq, chain_hash) "
                            "VALUES (%s, %s, %s, 100, 'CNY', %s, %s, %s)",
                            [(entry_id, bank, "debit", today(), seq, digest),
                             (entry_id, income, "credit", today(), seq, digest)])
                        cursor.executemany(
                            "UPDATE accounts SET balance = balance + 100, last_seq = %s, "
                            "head_hash = %s WHERE id = %s", [(seq, digest, bank),
                                                             (seq, digest, income)])
        return rate(count, timed(run))


def service_batches(db: Database, street: str) -> float:
    entries = [donation(street) for _ in range(BATCH)]

    def run():
        for _ in range(BATCHES):
            with db.transaction() as session:
                post_batch(session, ACTOR, entries)
    return rate(BATCHES * BATCH, timed(run))


def copy_batches(dsn: str, street: str) -> float:
    """COPY of the same rows (entries and postings), 1,000 entries per transaction."""
    with psycopg.connect(dsn) as conn:
        ids = dict(conn.execute("SELECT code, id FROM accounts WHERE code LIKE %s",
                                (f"{street}:%",)).fetchall())
        bank, income = ids[f"{street}:1002:CNY"], ids[f"{street}:410101:CNY"]
        first = conn.execute("SELECT nextval('entries_id_seq')").fetchone()[0] + 1_000_000
        conn.commit()

        def run():
            entry_id, seq = first, 10_000_000
            for _ in range(BATCHES):
                with conn.transaction():
                    entries, postings = [], []
                    for _ in range(BATCH):
                        entry_id, seq = entry_id + 1, seq + 1
                        digest = hashlib.sha256(str(entry_id).encode()).hexdigest()
                        entries.append((entry_id, today(), datetime.now(timezone.utc),
                                        "donation", "", json.dumps({}), "copy", digest))
                        postings += [(entry_id, bank, "debit", 100, "CNY", today(), seq, digest),
                                     (entry_id, income, "credit", 100, "CNY", today(), seq,
                                      digest)]
                    copy_rows(conn, "entries", "id, effective_date, recorded_at, kind, memo, "
                              "metadata, actor, entry_hash", entries)
                    copy_rows(conn, "postings", "entry_id, account_id, side, amount, currency, "
                              "effective_date, account_seq, chain_hash", postings)
        return rate(BATCHES * BATCH, timed(run))


def copy_rows(conn, table: str, columns: str, rows) -> None:
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed_history(dsn: str, street: str, count: int) -> None:
    """Give one account ``count`` postings fast (COPY; hashes are not valid: reads only)."""
    with psycopg.connect(dsn) as conn:
        ids = dict(conn.execute("SELECT code, id FROM accounts WHERE code LIKE %s",
                                (f"{street}:%",)).fetchall())
        bank, income = ids[f"{street}:1002:CNY"], ids[f"{street}:410101:CNY"]
        start = conn.execute("SELECT coalesce(max(id), 0) FROM entries").fetchone()[0] + 10_000_000
        day, now, digest = today(), datetime.now(timezone.utc), "0" * 64
        with conn.cursor().copy("COPY entries (id, effective_date, recorded_at, kind, memo, "
                                "metadata, actor, entry_hash) FROM STDIN") as copy:
            for n in range(count):
                copy.write_row((start + n, day, now, "donation", "", "{}", "seed", digest))
        with conn.cursor().copy("COPY postings (entry_id, account_id, side, amount, currency, "
                                "effective_date, account_seq, chain_hash) FROM STDIN") as copy:
            for n in range(count):
                copy.write_row((start + n, bank, "debit", 100, "CNY", day, n + 1, digest))
                copy.write_row((start + n, income, "credit", 100, "CNY", day, n + 1, digest))
        conn.execute("UPDATE accounts SET balance = %s, last_seq = %s WHERE id IN (%s, %s)",
                     (100 * count, count, bank, income))
        conn.execute("ANALYZE")


def balance_reads(db: Database, streets: tuple[str, ...]) -> list[tuple[float, float]]:
    """Read each street's bank balance in turn (interleaved, so drift hits all alike);
    (median, p99) in ms per street."""
    samples: dict[str, list[float]] = {street: [] for street in streets}
    for _ in range(READS):
        for street in streets:
            started = time.perf_counter()
            with db.sessions() as session:
                account = current(session, f"{street}:1002:CNY")
                _ = (account.balance, account.pending, account.available)
            samples[street].append((time.perf_counter() - started) * 1000)
    return [(statistics.median(s), sorted(s)[int(len(s) * 0.99) - 1])
            for s in samples.values()]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    admin = make_engine(args.server)
    name = f"fundpool_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        return run_all(Database(engine), dsn, engine)
    finally:
        engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_all(db: Database, dsn: str, engine) -> int:
    migrate.upgrade(engine)
    setup(db)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
    print(f"PostgreSQL {version}, Python {platform.python_version()}, "
          f"{platform.machine()}, loopback")
    service_single(db, STREETS[0], 200)  # warm-up
    raw_single(dsn, STREETS[1], 200)
    service_a, raw_a = service_single(db, STREETS[0], SINGLE), raw_single(dsn, STREETS[1], SINGLE)
    service_b, copy_b = service_batches(db, STREETS[0]), copy_batches(dsn, STREETS[1])
    seed_history(dsn, STREETS[2], BIG_HISTORY)
    seed_history(dsn, STREETS[3], 1_000)
    small, big = balance_reads(db, (STREETS[3], STREETS[2]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    checks = [
        ("(a) one per transaction", f"{service_a:8.0f} entries/s", f"raw {raw_a:.0f}/s",
         service_a / raw_a, 0.5),
        ("(b) 1,000 per transaction", f"{service_b:8.0f} entries/s", f"COPY {copy_b:.0f}/s",
         service_b / copy_b, 0.5),
    ]
    for label, figure, raw, ratio, target in checks:
        print(f"{label:28} {figure}   {raw:16}  ratio {ratio:.2f}  (>= {target})  "
              f"{verdict(ratio >= target)}")
    print(f"(c) balance read, 1,000 postings:     median {small[0]:.3f} ms, p99 {small[1]:.3f} ms  "
          f"p99 < 2 ms {verdict(small[1] < 2)}")
    print(f"(c) balance read, 1,000,000 postings: median {big[0]:.3f} ms, p99 {big[1]:.3f} ms  "
          f"p99 < 2 ms {verdict(big[1] < 2)}, ratio {big[1] / small[1]:.2f} (<= 1.2) "
          f"{verdict(big[1] <= 1.2 * small[1])}")
    print(f"(d) peak memory: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
