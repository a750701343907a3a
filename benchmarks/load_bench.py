"""Donations over HTTP against the real service, next to plain psycopg writing the same rows.

    python benchmarks/load_bench.py [--server URL] [--workers 4] [--seconds 20] [--rounds 2]
                                    [--profile]

A fresh database on the server (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres)
is migrated and loaded (Shenzhen's pools, a city admin token, donors, a receipt book per
street); gunicorn serves it with ``--workers`` sync workers (config/gunicorn.conf.py's
settings). Then, taking turns for ``--rounds`` rounds of ``--seconds`` each:

- service: as many client threads as workers, each posting donations to its own street
  (``POST /api/v1/donations`` with an Idempotency-Key and a receipt), one at a time;
- raw: as many psycopg connections, each writing in one transaction the rows such a
  request writes — the idempotency key and its stored answer, the entry and its two postings
  with their hashes, the two accounts' balances and chains, the donation, the receipt book's
  next number and the receipt, the audit event.

It prints each side's rate and p50/p99 latency, the ratio, PASS/FAIL against the targets
(service ≥ 0.5 of raw, p99 < 100 ms), how busy the machine was, and with ``--profile`` a
cProfile (CPU time) of the first gunicorn worker over the service rounds. Exit 1 if a target
fails.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import http.client
import json
import os
import platform
import pstats
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy.engine import make_url

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
FUNDPOOL = [sys.executable, "-c", "from fundpool.cli import main; main()"]
GUNICORN_CONF = Path(__file__).resolve().parent.parent / "config" / "gunicorn.conf.py"
DISTRICT = "440304"
AMOUNT = 100_00


def today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def cpu_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def processes(match) -> list[int]:
    """Pids whose command line (or parent pid) ``match(cmdline, ppid)`` accepts."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if match(cmdline, ppid):
            found.append(int(entry.name))
    return found


class Bench:
    def __init__(self, server: str, workers: int, workdir: Path) -> None:
        url = make_url(server).set(drivername="postgresql+psycopg")
        self.name = f"fundpool_loadbench_{uuid.uuid4().hex[:10]}"
        self.url = url.set(database=self.name).render_as_string(hide_password=False)
        self.admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.dsn = url.set(drivername="postgresql",
                           database=self.name).render_as_string(hide_password=False)
        self.workers = workers
        self.workdir = workdir
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.env = {**os.environ, "FUNDPOOL_DATABASE_URL": self.url,
                    "FUNDPOOL_SECRET_KEY": uuid.uuid4().hex, "FUNDPOOL_LOG_LEVEL": "WARNING",
                    "FUNDPOOL_INSTANCE_FOLDER": str(workdir)}
        self.env.pop("FUNDPOOL_CONFIG", None)
        self.server: subprocess.Popen | None = None

    def fundpool(self, *args: str) -> str:
        done = subprocess.run([*FUNDPOOL, *args], check=True, env=self.env, capture_output=True,
                              text=True)
        return done.stdout

    def create(self) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def serve(self, profile: bool, app: str = "fundpool:create_app()") -> None:
        """gunicorn with the production settings file, on loopback, with ``workers``, serving
        ``app`` (fundpool unless told; benchmarks/load_floor_bench.py serves minimal apps);
        with a profile, the first worker runs under cProfile and dumps it when stopped."""
        conf = self.workdir / "gunicorn_bench.py"
        text = GUNICORN_CONF.read_text() + (
            f"\nbind = '127.0.0.1:{self.port}'\nworkers = {self.workers}\n")
        if profile:
            text += PROFILE_HOOKS.format(path=str(self.workdir / "worker.prof"))
        conf.write_text(text)
        log = open(self.workdir / "gunicorn.log", "wb")  # noqa: SIM115
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(conf), app],
            env=self.env, stdout=log, stderr=subprocess.STDOUT)  # same session: see README
        log.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/api/v1/ready")
                if conn.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
            finally:
                conn.close()
        raise RuntimeError("gunicorn did not become ready")

    def cpu(self, side: str) -> float:
        """CPU seconds so far of this side's client-facing processes: the gunicorn workers
        (service) or this process (raw), plus the PostgreSQL backends of this database."""
        mine = processes(lambda cmd, ppid: ppid == self.server.pid) if side == "service" \
            else [os.getpid()]
        backends = processes(lambda cmd, ppid: cmd.startswith("postgres:") and self.name in cmd)
        return cpu_of(mine) + cpu_of(backends)

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)  # gunicorn stops its workers gracefully
            self.server.wait(timeout=60)


# CPU time, not wall time: on a busy machine a request mostly waits for its turn on a core,
# and a wall-clock profile shows that wait inside whatever call happened to be running.
PROFILE_HOOKS = """
import cProfile as _cProfile
import time as _time
_profile = {{}}

def pre_request(worker, req):
    if worker.age == 1 and "p" not in _profile:  # the first worker, once its app is loaded
        _profile["p"] = _cProfile.Profile(_time.process_time)
        _profile["p"].enable()

def worker_exit(server, worker):
    if "p" in _profile:
        _profile["p"].disable()
        _profile["p"].dump_stats({path!r})
"""


def request(port: int, token: str, method: str, path: str, body: dict | None = None,
            key: str | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, f"/api/v1{path}", body=json.dumps(body) if body is not None else None,
                     headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else {}
    finally:
        conn.close()


def load(bench: Bench) -> tuple[str, list[str], int, int]:
    """Pools, a city admin token, a donor and a receipt book per street of 福田区; returns the
    token, the streets, the donor and the token's id."""
    bench.fundpool("db", "upgrade")
    bench.fundpool("pools", "import")
    out = bench.fundpool("tokens", "create", "--role", "admin", "--pool", "440300",
                         "--name", "load bench")
    token = re.search(r"(fp_\S+)", out).group(1)
    token_id = int(re.search(r"token (\d+)", out).group(1))
    bench.serve(profile=False)
    _, pools = request(bench.port, token, "GET", f"/pools?parent={DISTRICT}&limit=500")
    streets = [p["code"] for p in pools["items"]][:bench.workers]
    status, donor = request(bench.port, token, "POST", "/donors",
                            {"kind": "enterprise", "name": "压测捐赠企业"})
    assert status == 201, donor
    for n, street in enumerate(streets):
        status, body = request(bench.port, token, "POST", f"/pools/{street}/receipt-books", {
            "code": f"{44030000 + n:08d}", "first_number": "0000000001",
            "last_number": "0099999999"})
        assert status == 201, body
    bench.stop()
    return token, streets, donor["id"], token_id


def run_threads(count: int, seconds: float, work) -> tuple[int, list[float], float]:
    """``count`` threads each calling ``work(n)`` until the time is up; (done, latencies,
    elapsed)."""
    latencies: list[list[float]] = [[] for _ in range(count)]
    stop = threading.Event()

    def loop(n: int) -> None:
        while not stop.is_set():
            began = time.perf_counter()
            work(n)
            latencies[n].append(time.perf_counter() - began)

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    flat = [x for part in latencies for x in part]
    return len(flat), flat, elapsed


def service_round(bench: Bench, token: str, streets: list[str], donor: int,
                  seconds: float) -> tuple[int, list[float], float]:
    def give(n: int) -> None:
        ref = uuid.uuid4().hex
        status, body = request(bench.port, token, "POST", "/donations", {
            "donor_id": donor, "fund": streets[n], "amount": f"{AMOUNT // 100}.00",
            "channel": "bank_transfer", "channel_ref": f"HTTP-{ref}", "received_date": today(),
            "purpose": "压测", "issue_receipt": True}, key=ref)
        if status != 201:
            raise RuntimeError(f"donation answered {status}: {body}")
    return run_threads(len(streets), seconds, give)


class RawWriter:
    """One connection writing a donation's rows by hand, as the service does in one
    transaction (same tables, columns, locks and hashes). ``conn`` lets several writers share
    one connection (or anything with psycopg's ``execute``/``commit``), as a worker of
    benchmarks/floor_app.py does."""

    def __init__(self, dsn: str, street: str, donor: int, token_id: int, conn=None) -> None:
        self.conn = conn if conn is not None else psycopg.connect(dsn)
        self.street, self.donor, self.token_id = street, donor, token_id
        self.bank_code, self.income_code = f"{street}:1002:CNY", f"{street}:410101:CNY"
        ids = dict(self.conn.execute("SELECT code, id FROM accounts WHERE code = ANY(%s)",
                                     ([self.bank_code, self.income_code],)).fetchall())
        self.bank, self.income = ids[self.bank_code], ids[self.income_code]
        self.fund = self.conn.execute("SELECT id FROM funds WHERE code = %s",
                                      (street,)).fetchone()[0]
        self.book = self.conn.execute(
            "SELECT b.id FROM receipt_books b JOIN pools p ON p.id = b.pool_id "
            "WHERE p.code = %s", (street,)).fetchone()[0]
        self.conn.commit()

    def write(self, _n: int) -> int:
        conn, now, day = self.conn, datetime.now(UTC), today()
        ref = uuid.uuid4().hex
        body = json.dumps({"channel_ref": f"RAW-{ref}", "fund": self.street})
        fingerprint = hashlib.sha256(f"POST /api/v1/donations\n{body}".encode()).hexdigest()
        key_id = conn.execute(
            "INSERT INTO idempotency_keys (token_id, key, fingerprint, created_at) "
            "VALUES (%s, %s, %s, %s) RETURNING id",
            (self.token_id, ref, fingerprint, now)).fetchone()[0]
        accounts = {row[0]: row for row in conn.execute(
            "SELECT id, balance, last_seq, head_hash FROM accounts WHERE id = ANY(%s) "
            "ORDER BY id FOR UPDATE", ([self.bank, self.income],))}
        entry_id = conn.execute("SELECT nextval('entries_id_seq')").fetchone()[0]
        placed = [(self.bank, self.bank_code, "debit"), (self.income, self.income_code, "credit")]
        document = {"id": entry_id, "effective_date": day,
                    "recorded_at": now.isoformat(timespec="microseconds"), "kind": "donation",
                    "memo": "压测", "external_ref": f"bank_transfer:RAW-{ref}", "metadata": {},
                    "actor": "bench-raw", "reverses": None, "hold": None,
                    "postings": [[code, side, AMOUNT, "CNY", accounts[aid][2] + 1]
                                 for aid, code, side in placed]}
        digest = hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False,
                                           separators=(",", ":")).encode()).hexdigest()
        conn.execute(
            "INSERT INTO entries (id, effective_date, recorded_at, kind, memo, external_ref, "
            "metadata, actor, entry_hash) VALUES (%s, %s, %s, 'donation', '压测', %s, '{}', "
            "'bench-raw', %s)", (entry_id, day, now, f"bank_transfer:RAW-{ref}", digest))
        rows, updates = [], []
        for aid, _code, side in placed:
            _, balance, seq, head = accounts[aid]
            chain = hashlib.sha256(f"{head}|{digest}|{seq + 1}".encode()).hexdigest()
            rows += [entry_id, aid, side, AMOUNT, "CNY", day, seq + 1, chain]
            updates += [aid, balance + AMOUNT, seq + 1, chain]
        conn.execute(
            "INSERT INTO postings (entry_id, account_id, side, amount, currency, effective_date,"
            " account_seq, chain_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s), "
            "(%s, %s, %s, %s, %s, %s, %s, %s)", rows)
        conn.execute(
            "UPDATE accounts a SET balance = v.balance, last_seq = v.seq, head_hash = v.head "
            "FROM (VALUES (%s::int, %s::bigint, %s::int, %s::text), "
            "(%s::int, %s::bigint, %s::int, %s::text)) AS v(id, balance, seq, head) "
            "WHERE a.id = v.id", updates)
        donation = conn.execute(
            "INSERT INTO donations (donor_id, fund_id, amount, currency, channel, channel_ref, "
            "received_date, purpose, entry_id, refunded, paid_on, created_at) VALUES "
            "(%s, %s, %s, 'CNY', 'bank_transfer', %s, %s, '压测', %s, 0, 0, %s) RETURNING id",
            (self.donor, self.fund, AMOUNT, f"RAW-{ref}", day, entry_id, now)).fetchone()[0]
        number = conn.execute(
            "UPDATE receipt_books SET next_number = next_number + 1 WHERE id = %s "
            "RETURNING next_number - 1", (self.book,)).fetchone()[0]
        conn.execute("INSERT INTO receipts (book_id, number, donation_id, amount, currency, "
                     "issued_at) VALUES (%s, %s, %s, %s, 'CNY', %s)",
                     (self.book, number, donation, AMOUNT, now))
        conn.execute(
            "INSERT INTO audit_events (occurred_at, actor, token_id, action, target_type, "
            "target_id, request_id, details) VALUES (%s, 'bench-raw', %s, 'donation.record', "
            "'donation', %s, %s, %s)",
            (now, self.token_id, str(donation), ref,
             json.dumps({"entry_id": entry_id, "fund": self.street})))
        conn.execute("UPDATE idempotency_keys SET status_code = 201, body = %s WHERE id = %s",
                     (body, key_id))
        conn.commit()
        return donation


def raw_round(writers: list[RawWriter], seconds: float) -> tuple[int, list[float], float]:
    return run_threads(len(writers), seconds, lambda n: writers[n].write(n))


def in_process(bench: Bench, token: str, street: str, donor: int, count: int) -> None:
    """The same request without gunicorn or HTTP: the app in this process (Flask's test
    client) on the same database, one donation at a time. Prints the statements one
    donation sends, the CPU per donation of this process and of its database backend, and a
    cProfile (CPU time) of ``count`` more."""
    from fundpool import create_app
    app = create_app({"database_url": bench.url, "secret_key": uuid.uuid4().hex,
                      "log_level": "WARNING", "instance_folder": str(bench.workdir)})
    client = app.test_client()

    def give() -> None:
        ref = uuid.uuid4().hex
        response = client.post("/api/v1/donations", headers={
            "Authorization": f"Bearer {token}", "Idempotency-Key": ref}, json={
            "donor_id": donor, "fund": street, "amount": f"{AMOUNT // 100}.00",
            "channel": "bank_transfer", "channel_ref": f"INPROC-{ref}", "received_date": today(),
            "purpose": "压测", "issue_receipt": True})
        if response.status_code != 201:
            raise RuntimeError(f"donation answered {response.status_code}: {response.json}")

    for _ in range(50):
        give()
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counted(cursor, query, *args, **kwargs):
        sent.append(" ".join(str(query).split())[:100])
        return execute(cursor, query, *args, **kwargs)

    psycopg.Cursor.execute = counted
    try:
        give()
    finally:
        psycopg.Cursor.execute = execute
    print(f"\nin process: one donation sends {len(sent)} statements (besides BEGIN and COMMIT):")
    for text in sent:
        print(f"    {text}")
    backends = processes(lambda cmd, ppid: cmd.startswith("postgres:") and bench.name in cmd)
    began, cpu, server = time.perf_counter(), time.process_time(), cpu_of(backends)
    for _ in range(count):
        give()
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    server = cpu_of(backends) - server
    print(f"{count} donations: {1000 * wall / count:.2f} ms wall, {1000 * cpu / count:.2f} ms "
          f"CPU in this process and {1000 * server / count:.2f} ms in the backend, each; "
          f"load average {os.getloadavg()[0]:.1f}")
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(count):
        give()
    profile.disable()
    print(f"profile of {count} more (CPU time), by cumulative time:")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(r"fundpool|flask_smorest"
                                                                r"|session.py.*(commit|flush)", 40)
    app.extensions["fundpool.db"].engine.dispose()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=os.environ.get("FUNDPOOL_TEST_DATABASE_URL",
                                                           DEFAULT_SERVER))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--in-process", type=int, metavar="N", help="instead of the load "
                        "test: N donations through the app in this process, then N profiled")
    args = parser.parse_args(argv)
    print(f"load bench: {args.workers} gunicorn workers and as many clients / connections, "
          f"{args.rounds} rounds of {args.seconds:.0f} s each side; {platform.node()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="fundpool-loadbench-") as workdir:
        bench = Bench(args.server, args.workers, Path(workdir))
        bench.create()
        try:
            token, streets, donor, token_id = load(bench)
            if args.in_process:
                in_process(bench, token, streets[0], donor, args.in_process)
                return 0
            bench.serve(profile=args.profile)
            service_round(bench, token, streets, donor, 3)  # warm every worker up
            writers = [RawWriter(bench.dsn, street, donor, token_id) for street in streets]
            totals = {"service": [0, [], 0.0], "raw": [0, [], 0.0]}
            busy = {"service": [0, 0], "raw": [0, 0]}
            for n in range(args.rounds):
                for side in ("service", "raw"):
                    before, cpu_before = cpu_busy(), bench.cpu(side)
                    if side == "service":
                        done, lat, secs = service_round(bench, token, streets, donor,
                                                        args.seconds)
                    else:
                        done, lat, secs = raw_round(writers, args.seconds)
                    after, cpu_after = cpu_busy(), bench.cpu(side)
                    busy[side][0] += after[0] - before[0]
                    busy[side][1] += after[1] - before[1]
                    totals[side][0] += done
                    totals[side][1] += lat
                    totals[side][2] += secs
                    print(f"  round {n + 1} {side:<8} {done / secs:8.1f} donations/s  "
                          f"p50 {pct(lat, 50):6.1f} ms  p99 {pct(lat, 99):6.1f} ms  "
                          f"CPU {1000 * (cpu_after - cpu_before) / max(done, 1):5.1f} ms each "
                          f"(its processes and backends); machine "
                          f"{100 * (after[0] - before[0]) / (after[1] - before[1]):.0f}% busy",
                          flush=True)
            for writer in writers:
                writer.conn.close()
            bench.stop()
        finally:
            bench.stop()
            bench.drop()
        rate = {side: totals[side][0] / totals[side][2] for side in totals}
        p99 = pct(totals["service"][1], 99)
        ratio = rate["service"] / rate["raw"]
        print(f"\nservice {rate['service']:.1f} donations/s (p50 {pct(totals['service'][1], 50):.1f}"
              f" ms, p99 {p99:.1f} ms); raw psycopg {rate['raw']:.1f}/s (p50 "
              f"{pct(totals['raw'][1], 50):.1f} ms, p99 {pct(totals['raw'][1], 99):.1f} ms)")
        print(f"{'PASS' if ratio >= 0.5 else 'FAIL'} service / raw = {ratio:.2f} (target ≥ 0.5)")
        print(f"{'PASS' if p99 < 100 else 'FAIL'} service p99 = {p99:.1f} ms (target < 100 ms)")
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
        profile = Path(workdir) / "worker.prof"
        if args.profile and profile.exists():
            print("\nprofile of the first gunicorn worker (service rounds, CPU time), by "
                  "cumulative time:")
            pstats.Stats(str(profile)).sort_stats("cumulative").print_stats(30)
            print("by own time:")
            pstats.Stats(str(profile)).sort_stats("tottime").print_stats(20)
        return 0 if ratio >= 0.5 and p99 < 100 else 1


if __name__ == "__main__":
    sys.exit(main())
