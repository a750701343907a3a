"""Ledger benchmark on PostgreSQL: each service figure next to a raw figure from the same run.

(a) Two-posting entries (debit a street's bank deposits, credit its donation income, 100 fen)
    posted one per transaction through ``post_entry`` by this one process, next to plain
    psycopg writing the same rows one transaction per entry (insert the entry, insert its two
    postings, update the two accounts' balance / last_seq / head_hash, hashes from hashlib).
    Target: service >= 0.5 x raw. Also shown: wall and client CPU time per entry, and the
    ratio in each of the rounds the two sides take in turn (how noisy the figure is).
(b) Entries posted 1,000 per transaction through ``fundpool.ledger.posting.post_batch``, next
    to ``COPY`` writing the same entry and posting rows 1,000 entries per transaction.
    Target: service >= 0.5 x COPY.
(c) Median and p99 time to read an account's balance, pending and available amounts through
    ``fundpool.ledger.balances.current``, each read in a fresh short transaction, for an
    account with 1,000 postings and one with 1,000,000 (seeded with COPY; their hashes are not
    valid). Targets: p99 < 2 ms; p99 at 1,000,000 <= 1.2 x p99 at 1,000. The same row read
    with plain psycopg is shown for information.
(d) Peak resident memory of this process (``ru_maxrss``), reported, no target.

Every target is a ratio to, or a bound on, a figure taken in the same run. The script creates
its own database on the server (``fundpool_bench_<random>``), migrates it, and drops it at the
end, also on error or Ctrl-C. It reports how much CPU other processes on the machine took during
each step: a run they disturbed is not a quiet one. Exit status: 0 when every target passes,
1 otherwise.

    python benchmarks/ledger_bench.py \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--profile]

``--profile`` adds a cProfile of the service side of (a), after the measurements.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import math
import os
import platform
import pstats
import resource
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import psycopg
import sqlalchemy
from sqlalchemy.engine import URL, make_url

from fundpool import migrate
from fundpool.audit.log import Actor
from fundpool.db import Database, make_engine
from fundpool.ledger.balances import current
from fundpool.ledger.posting import post_batch, post_entry, today
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.pools.codes import Level
from fundpool.pools.service import NewPool, create_pool

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ACTOR = Actor("bench")
AMOUNT = 100  # fen
CITY, DISTRICT = "440300", "440304"
SERVICE_STREET, RAW_STREET = "440304001", "440304002"  # (a) and (b)
BIG_STREET, SMALL_STREET = "440304003", "440304004"  # (c)
STREETS = (SERVICE_STREET, RAW_STREET, BIG_STREET, SMALL_STREET)

SINGLE_WARMUP, SINGLE_ROUNDS, SINGLE_PER_ROUND = 200, 10, 200  # (a): 2,000 entries a side
BATCH_SIZE, BATCHES = 1_000, 5  # (b): 5,000 entries a side, after one warm-up batch each
BIG_HISTORY, SMALL_HISTORY = 1_000_000, 1_000  # (c)
READ_WARMUP, READS = 200, 2_000  # (c), per account
PROFILE_ENTRIES = 500

ENTRY_COLUMNS = ("id", "effective_date", "recorded_at", "kind", "memo", "external_ref",
                 "metadata", "actor", "reverses_id", "hold_id", "entry_hash")
POSTING_COLUMNS = ("entry_id", "account_id", "side", "amount", "currency", "effective_date",
                   "account_seq", "chain_hash")
INSERT_ENTRY = (f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) "
                f"VALUES ({', '.join(['%s'] * len(ENTRY_COLUMNS))})")
INSERT_TWO_POSTINGS = (f"INSERT INTO postings ({', '.join(POSTING_COLUMNS)}) VALUES "
                       + ", ".join([f"({', '.join(['%s'] * len(POSTING_COLUMNS))})"] * 2))
UPDATE_TWO_ACCOUNTS = ("UPDATE accounts SET balance = v.balance, last_seq = v.last_seq, "
                       "head_hash = v.head_hash FROM (VALUES (%s::bigint, %s::bigint, "
                       "%s::bigint, %s), (%s::bigint, %s::bigint, %s::bigint, %s)) "
                       "AS v (id, balance, last_seq, head_hash) WHERE accounts.id = v.id")
DRAW_IDS = "SELECT nextval('entries_id_seq') FROM generate_series(1, %s)"


# --- the database the benchmark owns -------------------------------------------------------

def psycopg_dsn(url: URL) -> str:
    """A SQLAlchemy URL as a libpq connection string for plain psycopg."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(server: URL) -> str:
    name = f"fundpool_bench_{secrets.token_hex(5)}"
    with psycopg.connect(psycopg_dsn(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(server: URL, name: str) -> None:
    with psycopg.connect(psycopg_dsn(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def set_up_pools(db: Database) -> None:
    """A city, a district, and the streets whose accounts the measurements use."""
    with db.transaction() as session:
        create_pool(session, ACTOR, NewPool(CITY, "深圳市", Level.CITY))
        create_pool(session, ACTOR, NewPool(DISTRICT, "福田区", Level.DISTRICT, CITY))
        for code in STREETS:
            create_pool(session, ACTOR, NewPool(code, f"街道 {code}", Level.STREET, DISTRICT))


def bank_code(street: str) -> str:
    return f"{street}:1002:CNY"


def income_code(street: str) -> str:
    return f"{street}:410101:CNY"


def donation(street: str) -> NewEntry:
    return NewEntry("donation", today(), (Line(bank_code(street), Side.DEBIT, AMOUNT),
                                          Line(income_code(street), Side.CREDIT, AMOUNT)))


def environment(conn: psycopg.Connection) -> list[str]:
    server = conn.execute("SHOW server_version").fetchone()[0]
    conn.commit()
    return [
        f"PostgreSQL {server} ({conn.info.host}:{conn.info.port})",
        (f"Python {platform.python_version()} ({platform.python_implementation()}), "
         f"SQLAlchemy {sqlalchemy.__version__}, psycopg {psycopg.__version__} "
         f"(libpq {psycopg.pq.version()}, {psycopg.pq.__impl__})"),
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
    ]


# --- the raw writer's rows: the same columns and the same kind of values as the service's -----

@dataclass
class RawAccount:
    id: int
    code: str
    balance: int
    last_seq: int
    head_hash: str


def load_raw_accounts(conn: psycopg.Connection, street: str) -> tuple[RawAccount, RawAccount]:
    rows = {row[1]: row for row in conn.execute(
        "SELECT id, code, balance, last_seq, head_hash FROM accounts WHERE code = ANY(%s)",
        ([bank_code(street), income_code(street)],))}
    conn.commit()
    return RawAccount(*rows[bank_code(street)]), RawAccount(*rows[income_code(street)])


def raw_rows(entry_id: int, day: date, recorded_at: datetime, bank: RawAccount,
             income: RawAccount) -> tuple[tuple, list[tuple]]:
    """One donation's entry row and posting rows; moves the two accounts (balance, seq, chain).
    Hashed like the service: SHA-256 of a canonical JSON, then one chain step per posting."""
    placed = []
    for account, side in ((bank, "debit"), (income, "credit")):
        account.balance += AMOUNT  # both grow: an asset debited, income credited
        account.last_seq += 1
        placed.append((account, side, account.last_seq))
    document = {"id": entry_id, "effective_date": day.isoformat(),
                "recorded_at": recorded_at.isoformat(timespec="microseconds"),
                "kind": "donation", "memo": "", "external_ref": None, "metadata": {},
                "actor": "bench-raw", "reverses": None, "hold": None,
                "postings": [[a.code, side, AMOUNT, "CNY", seq] for a, side, seq in placed]}
    digest = hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False,
                                       separators=(",", ":")).encode()).hexdigest()
    postings = []
    for account, side, seq in placed:
        account.head_hash = hashlib.sha256(
            f"{account.head_hash}|{digest}|{seq}".encode()).hexdigest()
        postings.append((entry_id, account.id, side, AMOUNT, "CNY", day, seq, account.head_hash))
    entry = (entry_id, day, recorded_at, "donation", "", None, "{}", "bench-raw", None, None,
             digest)
    return entry, postings


def account_params(bank: RawAccount, income: RawAccount) -> tuple:
    return (bank.id, bank.balance, bank.last_seq, bank.head_hash,
            income.id, income.balance, income.last_seq, income.head_hash)


def draw_ids(conn: psycopg.Connection, count: int) -> list[int]:
    return [row[0] for row in conn.execute(DRAW_IDS, (count,))]


# --- (a) one entry per transaction ---------------------------------------------------------

def service_single(db: Database, street: str, count: int) -> float:
    """Seconds to post ``count`` entries through post_entry, one transaction each."""
    entry = donation(street)
    started = time.perf_counter()
    for _ in range(count):
        with db.transaction() as session:
            post_entry(session, ACTOR, entry)
    return time.perf_counter() - started


def raw_single(conn: psycopg.Connection, street: str, count: int) -> float:
    """Seconds to write the same rows by hand, one transaction each: BEGIN, INSERT entry,
    INSERT its two postings, UPDATE the two accounts, COMMIT. The entry ids are drawn from
    the sequence before the clock starts (the writer needs them for the hash)."""
    bank, income = load_raw_accounts(conn, street)
    ids = draw_ids(conn, count)
    conn.commit()
    day = today()
    started = time.perf_counter()
    for entry_id in ids:
        entry, postings = raw_rows(entry_id, day, datetime.now(UTC), bank, income)
        conn.execute(INSERT_ENTRY, entry)
        conn.execute(INSERT_TWO_POSTINGS, postings[0] + postings[1])
        conn.execute(UPDATE_TWO_ACCOUNTS, account_params(bank, income))
        conn.commit()
    return time.perf_counter() - started


@dataclass
class Rate:
    """Entries written, wall seconds per round, and this process's CPU seconds meanwhile."""

    entries: int = 0
    rounds: list[float] = field(default_factory=list)
    cpu: float = 0.0

    def add(self, entries: int, write: Callable[[], float]) -> None:
        cpu = time.process_time()
        self.rounds.append(write())
        self.cpu += time.process_time() - cpu
        self.entries += entries

    @property
    def wall(self) -> float:
        return sum(self.rounds)

    @property
    def per_second(self) -> float:
        return self.entries / self.wall

    @property
    def cpu_ms_per_entry(self) -> float:
        return self.cpu * 1000 / self.entries


def measure_single(db: Database, conn: psycopg.Connection) -> tuple[Rate, Rate]:
    """(service, raw): a warm-up each, then rounds taken in turn so that drift in the
    machine's load falls on both sides alike."""
    service_single(db, SERVICE_STREET, SINGLE_WARMUP)
    raw_single(conn, RAW_STREET, SINGLE_WARMUP)
    service, raw = Rate(), Rate()
    for _ in range(SINGLE_ROUNDS):
        service.add(SINGLE_PER_ROUND,
                    lambda: service_single(db, SERVICE_STREET, SINGLE_PER_ROUND))
        raw.add(SINGLE_PER_ROUND, lambda: raw_single(conn, RAW_STREET, SINGLE_PER_ROUND))
    return service, raw


# --- (b) 1,000 entries per transaction -----------------------------------------------------

def batch_poster() -> tuple[str, Callable]:
    def post(session, entries):
        posted = post_batch(session, ACTOR, entries)
        assert len(posted) == len(entries), "post_batch returned the wrong number of entries"
    return "posting.post_batch", post


def service_batch(db: Database, street: str, post: Callable) -> float:
    """Seconds to post one batch of BATCH_SIZE entries in one transaction."""
    entries = [donation(street) for _ in range(BATCH_SIZE)]
    started = time.perf_counter()
    with db.transaction() as session:
        post(session, entries)
    return time.perf_counter() - started


def copy_batch(conn: psycopg.Connection, street: str) -> float:
    """Seconds to write one batch of the same rows with COPY, one transaction: draw the ids,
    hash, COPY the entries, COPY the postings, save the two accounts once, COMMIT."""
    bank, income = load_raw_accounts(conn, street)
    day = today()
    started = time.perf_counter()
    recorded_at = datetime.now(UTC)
    entries, postings = [], []
    for entry_id in draw_ids(conn, BATCH_SIZE):
        entry, rows = raw_rows(entry_id, day, recorded_at, bank, income)
        entries.append(entry)
        postings.extend(rows)
    copy_rows(conn, "entries", ENTRY_COLUMNS, entries)
    copy_rows(conn, "postings", POSTING_COLUMNS, postings)
    conn.execute(UPDATE_TWO_ACCOUNTS, account_params(bank, income))
    conn.commit()
    return time.perf_counter() - started


def copy_rows(conn: psycopg.Connection, table: str, columns: tuple[str, ...],
              rows: list[tuple]) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def measure_batches(db: Database, conn: psycopg.Connection) -> list[tuple[str, float, float]]:
    """(label, service entries/s, COPY entries/s) for the service's batch writer (first) and
    any informational one: one warm-up batch each, then batches taken in turn."""
    posters = [batch_poster()]
    for _, post in posters:
        service_batch(db, SERVICE_STREET, post)
    copy_batch(conn, RAW_STREET)
    seconds = [0.0] * len(posters)
    copy_seconds = 0.0
    for _ in range(BATCHES):
        for index, (_, post) in enumerate(posters):
            seconds[index] += service_batch(db, SERVICE_STREET, post)
        copy_seconds += copy_batch(conn, RAW_STREET)
    total = BATCHES * BATCH_SIZE
    return [(label, total / spent, total / copy_seconds)
            for (label, _), spent in zip(posters, seconds)]


# --- (c) balance reads against a short and a long history ----------------------------------

def seed_history(conn: psycopg.Connection, street: str, count: int) -> None:
    """Give the street's bank account ``count`` postings (each entry credits its income
    account too), with COPY, and set both account rows to match. The hashes are a constant,
    not a valid chain: (c) only reads. Foreign keys are not checked while loading
    (``session_replication_role = replica``; the rows are known good), which makes it
    several times quicker."""
    bank, income = load_raw_accounts(conn, street)
    first = reserve_ids(conn, count)
    day, recorded_at, fake = today(), datetime.now(UTC), "f" * 64
    conn.execute("SET LOCAL session_replication_role = replica")
    with conn.cursor().copy(f"COPY entries ({', '.join(ENTRY_COLUMNS)}) FROM STDIN") as copy:
        for entry_id in range(first, first + count):
            copy.write_row((entry_id, day, recorded_at, "donation", "", None, "{}", "bench-seed",
                            None, None, fake))
    with conn.cursor().copy(f"COPY postings ({', '.join(POSTING_COLUMNS)}) FROM STDIN") as copy:
        for n in range(count):
            copy.write_row((first + n, bank.id, "debit", AMOUNT, "CNY", day,
                            bank.last_seq + 1 + n, fake))
            copy.write_row((first + n, income.id, "credit", AMOUNT, "CNY", day,
                            income.last_seq + 1 + n, fake))
    for account in (bank, income):
        account.balance += AMOUNT * count
        account.last_seq += count
        account.head_hash = fake
    conn.execute(UPDATE_TWO_ACCOUNTS, account_params(bank, income))
    conn.commit()


def reserve_ids(conn: psycopg.Connection, count: int) -> int:
    """The first of ``count`` consecutive entry ids taken from the sequence (nobody else
    writes to this database, so moving the sequence on by hand is safe)."""
    first = conn.execute("SELECT nextval('entries_id_seq')").fetchone()[0]
    conn.execute("SELECT setval('entries_id_seq', %s)", (first + count - 1,))
    return first


def settle(conn: psycopg.Connection) -> None:
    """Fresh statistics and a checkpoint, so the seeding's aftermath does not land in (c)."""
    conn.commit()
    conn.autocommit = True
    try:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
    finally:
        conn.autocommit = False


def read_balance(db: Database, code: str) -> float:
    """Seconds for one balance read through the service, in a transaction of its own."""
    started = time.perf_counter()
    with db.transaction() as session:
        account = current(session, code)
        _ = (account.balance, account.pending, account.available)
    return time.perf_counter() - started


def raw_read(conn: psycopg.Connection, code: str) -> float:
    """Seconds for the same row read by hand (BEGIN, SELECT, COMMIT): a reference, no target."""
    started = time.perf_counter()
    conn.execute("SELECT balance, pending FROM accounts WHERE code = %s", (code,)).fetchone()
    conn.commit()
    return time.perf_counter() - started


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def measure_reads(db: Database, conn: psycopg.Connection,
                  codes: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """(median, p99) in ms per account read through the service, and under the key "raw"
    for the first account read by hand. The readers take turns (order alternating), so
    that drift and hiccups fall on all of them alike."""
    readers = [(code, lambda code=code: read_balance(db, code)) for code in codes]
    readers.append(("raw", lambda: raw_read(conn, codes[0])))
    samples: dict[str, list[float]] = {key: [] for key, _ in readers}
    for index in range(READ_WARMUP + READS):
        for key, read in (readers if index % 2 else readers[::-1]):
            seconds = read()
            if index >= READ_WARMUP:
                samples[key].append(seconds * 1000)
    return {key: (statistics.median(s), percentile(s, 0.99)) for key, s in samples.items()}


# --- checks, profile, report ---------------------------------------------------------------

def consistency(conn: psycopg.Connection) -> str:
    """Every maintained balance equals its postings' sum (the raw rows were right too)."""
    wrong = conn.execute(
        "SELECT a.code FROM accounts a LEFT JOIN (SELECT account_id, "
        "sum(CASE side WHEN 'debit' THEN amount ELSE -amount END) AS dmc FROM postings "
        "GROUP BY account_id) p ON p.account_id = a.id "
        "WHERE a.balance <> CASE WHEN a.type IN ('asset', 'expense') THEN coalesce(p.dmc, 0) "
        "ELSE -coalesce(p.dmc, 0) END").fetchall()
    entries, postings = conn.execute(
        "SELECT (SELECT count(*) FROM entries), (SELECT count(*) FROM postings)").fetchone()
    conn.commit()
    state = "every account balance matches its postings" if not wrong else \
        f"MISMATCH on {', '.join(row[0] for row in wrong)}"
    return f"{entries:,} entries, {postings:,} postings; {state}"


class Contention:
    """CPU time other processes on this machine took while a step ran, in cores: a quiet run
    is one where they took next to none. Ours are this process and the server sessions of
    the benchmark's database; the rest (tests, other benchmarks, the server's own background
    work) counts as others. Linux only (``/proc``); elsewhere it records nothing."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.steps: list[tuple[str, float, bool]] = []
        self.last = self.sample()

    def sample(self) -> tuple[float, float, float] | None:
        """(wall clock, busy CPU seconds of the whole machine, CPU seconds of ours)."""
        try:
            with open("/proc/stat") as stat:
                user, nice, system, _idle, _iowait, irq, softirq, steal = map(
                    int, stat.readline().split()[1:9])
        except OSError:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        pids = [row[0] for row in self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")]
        self.conn.commit()
        ours = sum(process_cpu(pid) for pid in pids) + time.process_time()
        return (time.perf_counter(), (user + nice + system + irq + softirq + steal) / ticks, ours)

    def mark(self, step: str, timed: bool = True) -> None:
        """End of a step; only timed steps decide whether the run was quiet."""
        now = self.sample()
        if now is not None and self.last is not None:
            seconds, busy, ours = (b - a for a, b in zip(self.last, now))
            self.steps.append((step, max(0.0, busy - ours) / seconds, timed))
        self.last = now

    def summary(self, quiet_below: float = 0.1) -> str:
        if not self.steps:
            return "CPU taken by other processes: not measured (no /proc)"
        shown = ", ".join(f"{step} {cores:.2f}" for step, cores, _ in self.steps)
        noisy = any(cores >= quiet_below for _, cores, timed in self.steps if timed)
        return (f"CPU taken by other processes, in cores: {shown}"
                + ("  <- NOT A QUIET RUN" if noisy else "  (quiet)"))


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a local process has used; 0 if it is not on this machine."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profile_single(db: Database) -> str:
    """cProfile of the service side of (a): top 10 functions by cumulative, then own time."""
    profiler = cProfile.Profile()
    profiler.runcall(service_single, db, SERVICE_STREET, PROFILE_ENTRIES)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(10)
    stats.sort_stats("tottime").print_stats(10)
    return out.getvalue()


@dataclass(frozen=True)
class Row:
    name: str
    figure: str
    reference: str = ""
    ratio: float | None = None
    target: str = "(info)"
    ok: bool | None = None  # None: for information, no target


def result_rows(single: tuple[Rate, Rate], batches: list[tuple[str, float, float]],
                reads: dict[str, tuple[float, float]]) -> list[Row]:
    service, raw = single[0].per_second, single[1].per_second
    label, batched, copied = batches[0]
    (small_median, small_p99), (big_median, big_p99) = (reads[bank_code(SMALL_STREET)],
                                                        reads[bank_code(BIG_STREET)])
    raw_median, raw_p99 = reads["raw"]
    return [
        Row("(a) post_entry, 1 entry/tx", f"{service:,.0f}/s", f"raw psycopg {raw:,.0f}/s",
            service / raw, ">= 0.50", service >= 0.5 * raw),
        Row(f"(b) {label}", f"{batched:,.0f}/s", f"COPY {copied:,.0f}/s", batched / copied,
            ">= 0.50", batched >= 0.5 * copied),
        *[Row(f"    (info) {label}", f"{rate:,.0f}/s", f"COPY {copy:,.0f}/s", rate / copy)
          for label, rate, copy in batches[1:]],
        Row("(c) read, 1,000 postings", f"p99 {small_p99:.3f} ms",
            f"median {small_median:.3f} ms", None, "p99 < 2 ms", small_p99 < 2.0),
        Row("(c) read, 1,000,000 postings", f"p99 {big_p99:.3f} ms",
            f"median {big_median:.3f} ms", None, "p99 < 2 ms", big_p99 < 2.0),
        Row("    (info) raw psycopg read, 1,000", f"p99 {raw_p99:.3f} ms",
            f"median {raw_median:.3f} ms"),
        Row("(c) p99 1,000,000 / 1,000", "", "", big_p99 / small_p99, "<= 1.20",
            big_p99 <= 1.2 * small_p99),
    ]


def report(env: list[str], single: tuple[Rate, Rate], batches: list[tuple[str, float, float]],
           reads: dict[str, tuple[float, float]], peak_mib: float) -> bool:
    """Print the environment and the table; True when every target passes."""
    rows = result_rows(single, batches, reads)
    print()
    for line in env:
        print(f"  {line}")
    print()
    print(f"  {'measurement':<40} {'service':>14}   {'reference':<24} {'ratio':>6}  "
          f"{'target':<11} result")
    print(f"  {'-' * 40} {'-' * 14}   {'-' * 24} {'-' * 6}  {'-' * 11} ------")
    for row in rows:
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else ""
        result = "" if row.ok is None else "PASS" if row.ok else "FAIL"
        print(f"  {row.name:<40} {row.figure:>14}   {row.reference:<24} {ratio:>6}  "
              f"{row.target:<11} {result}".rstrip())
    print(f"  {'(d) peak RSS of this process':<40} {peak_mib:>10.0f} MiB")
    service, raw = single
    print(f"\n  (a) per entry: service {1000 * service.wall / service.entries:.2f} ms wall, "
          f"{service.cpu_ms_per_entry:.2f} ms client CPU; raw "
          f"{1000 * raw.wall / raw.entries:.2f} ms wall, {raw.cpu_ms_per_entry:.2f} ms client CPU")
    ratios = [r / s for s, r in zip(service.rounds, raw.rounds)]  # equal entries per round
    print(f"  (a) ratio in each of the {len(ratios)} rounds: {min(ratios):.2f} to "
          f"{max(ratios):.2f} (median {statistics.median(ratios):.2f})")
    passed = all(row.ok for row in rows if row.ok is not None)
    print(f"\n  overall: {'PASS' if passed else 'FAIL'}")
    return passed


def run(db: Database, dsn: str, profile: bool) -> bool:
    started = time.perf_counter()
    migrate.upgrade(db.engine)
    set_up_pools(db)
    with psycopg.connect(dsn) as conn:
        env = environment(conn)
        contention = Contention(conn)
        step("(a) one entry per transaction", started)
        single = measure_single(db, conn)
        contention.mark("(a)")
        step("(b) 1,000 entries per transaction", started)
        batches = measure_batches(db, conn)
        contention.mark("(b)")
        step(f"(c) seeding {BIG_HISTORY:,} + {SMALL_HISTORY:,} postings with COPY", started)
        seed_history(conn, BIG_STREET, BIG_HISTORY)
        seed_history(conn, SMALL_STREET, SMALL_HISTORY)
        settle(conn)
        contention.mark("(c) seeding", timed=False)
        step(f"(c) {READS:,} balance reads per account", started)
        reads = measure_reads(db, conn, (bank_code(SMALL_STREET), bank_code(BIG_STREET)))
        contention.mark("(c) reads")
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        step("consistency check", started)
        print(f"  {consistency(conn)}")
    env.append(contention.summary())
    if profile:
        step(f"profile of (a), {PROFILE_ENTRIES} entries (not part of the figures)", started)
        print(profile_single(db))
    step("done", started)
    return report(env, single, batches, reads, peak_mib)


def step(what: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:6.1f} s] {what}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_SERVER,
                        help="a server URL; the benchmark makes (and drops) its own database "
                             f"there (default {DEFAULT_SERVER})")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of the service side of (a)")
    args = parser.parse_args()
    server = make_url(args.database_url)
    if server.get_backend_name() != "postgresql":
        parser.error("--database-url must be a PostgreSQL URL")
    name = create_database(server)
    print(f"database {name} on {server.host}:{server.port or 5432}", flush=True)
    bench = server.set(database=name)
    try:
        engine = make_engine(bench.render_as_string(hide_password=False))
        try:
            passed = run(Database(engine), psycopg_dsn(bench), args.profile)
        finally:
            engine.dispose()
    finally:
        drop_database(server, name)
        print(f"dropped database {name}", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
