"""The bank workload with crashes: the real service (gunicorn on PostgreSQL and the
scheduler) under many concurrent clients, killed with SIGKILL and restarted while they
write, then every acknowledged write and every ledger invariant checked.

    python -m tests.reliability.workload --seconds 600 --clients 32 --crashes 20

The server is FUNDPOOL_TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/
postgres); a database of its own is made there and dropped at the end. Exit status 1 if
any check fails. See docs/reliability.md.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.reliability import checks
from tests.reliability.client import Api, Stats
from tests.reliability.cluster import Cluster, Database
from tests.reliability.operations import (
    COMMUNITIES,
    DISTRICT,
    Op,
    Read,
    Worker,
    fen,
    today,
)

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SEED_FEN = 1_000_000_00


@dataclass
class Result:
    seconds: float
    crashes: int
    stats: Stats
    ops: list[Op]
    reads: list[Read]
    failures: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.failures.values())


def _must(answer, what: str) -> dict:
    if not answer.ok:
        raise RuntimeError(f"setting up: {what} answered {answer.status}: {answer.body}")
    return answer.body


def load(cluster: Cluster, stats: Stats) -> tuple[str, str, list[str], list[int]]:
    """Pools and tokens from the command line; communities, donors, receipt books, the
    district's opening gift and a first need over the API. Returns the city admin and
    auditor secrets, the district's streets and the donors."""
    cluster.fundpool("db", "upgrade")
    cluster.fundpool("pools", "import")
    secret = re.compile(r"(fp_\S+)")
    admin = secret.search(cluster.fundpool("tokens", "create", "--role", "admin", "--pool",
                                           "440300", "--name", "可靠性测试 city admin")).group(1)
    auditor = secret.search(cluster.fundpool("tokens", "create", "--role", "auditor",
                                             "--name", "可靠性测试 auditor")).group(1)
    cluster.start()
    api = Api(cluster.port, admin, stats)
    streets = [p["code"] for p in _must(api.get("setup", f"/pools?parent={DISTRICT}&limit=500"),
                                        "listing streets")["items"]]
    for n, code in enumerate(COMMUNITIES, 1):
        _must(api.post("setup", "/pools", {"code": code, "name": f"测试社区{n}", "level":
                                          "community", "parent_code": code[:9]}), code)
    donors = [_must(api.post("setup", "/donors", {"kind": "individual", "name": f"捐赠人{n}"}),
                    "donor")["id"] for n in range(8)]
    for n, pool in enumerate([DISTRICT, *streets]):
        _must(api.post("setup", f"/pools/{pool}/receipt-books", {
            "code": f"{44030000 + n:08d}", "first_number": "0000000001",
            "last_number": "0099999999"}), f"receipt book of {pool}")
    _must(api.post("setup", "/donations", {
        "donor_id": donors[0], "fund": DISTRICT, "amount": f"{SEED_FEN // 100}.00",
        "channel": "bank_transfer", "channel_ref": "SEED-440304", "received_date": today(),
        "issue_receipt": True}), "the district's opening gift")
    return admin, auditor, streets, donors


def district_income(cluster: Cluster, auditor: str, stats: Stats) -> int:
    body = _must(Api(cluster.port, auditor, stats).get(
        "setup", f"/reports/balances?pool={DISTRICT}&subtree=true"), "district balances")
    return sum(fen(line["balance"]) for line in body["balances"]
               if line["currency"] == "CNY" and line["chart_code"].startswith("4101"))


MIN_UP = 2.0  # seconds the service stays up after a restart before the next crash, at least


def crash_loop(cluster: Cluster, seconds: float, crashes: int, rng: random.Random,
               done: list[int], log) -> None:
    """SIGKILL gunicorn (master and workers) and the scheduler at random moments, each a
    random while after the service came back from the last one, restarting both each time.

    The whiles share what is left of ``seconds`` once the restarts so far are taken off, so
    the run lasts about ``seconds`` however long the service takes to come back (several
    seconds a time on a loaded machine), yet each while is at least ``MIN_UP``."""
    begin = time.monotonic()
    for n in range(crashes):
        left = seconds - (time.monotonic() - begin)
        time.sleep(max(MIN_UP, rng.uniform(0.3, 1.0) * left / (crashes - n + 1)))
        cluster.crash()
        log(f"  crash {n + 1}: killed gunicorn and the scheduler at "
            f"{time.monotonic() - begin:5.1f} s")
        cluster.start()
        done.append(n + 1)


def run(server_url: str, seconds: float, clients: int, crashes: int, workers: int = 4,
        seed: int | None = None, log=print) -> Result:
    seed = seed if seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    log(f"reliability workload: {seconds:.0f} s, {clients} clients, {crashes} crashes, "
        f"{workers} gunicorn workers, seed {seed}")
    database = Database(server_url)
    database.create()
    stats = Stats()  # the run's own figures; setting up counts elsewhere
    with tempfile.TemporaryDirectory(prefix="fundpool-reliability-") as workdir:
        cluster = Cluster(database, Path(workdir), workers)
        try:
            admin, auditor, streets, donors = load(cluster, Stats())
            baseline = district_income(cluster, auditor, Stats())
            team = [Worker(n, Api(cluster.port, admin, stats), Api(cluster.port, auditor, stats),
                           streets, donors, rng.randrange(1 << 30)) for n in range(clients)]
            begin = time.monotonic()
            stop = threading.Event()
            threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in team]
            for thread in threads:
                thread.start()
            survived: list[int] = []
            crash_loop(cluster, seconds, crashes, rng, survived, log)
            # the clients keep going for the whole time, and a while after the last restart
            time.sleep(max(seconds - (time.monotonic() - begin), seconds / (crashes + 1) / 2))
            stop.set()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - begin
            ops = [op for w in team for op in w.ops]
            reads = [r for w in team for r in w.reads]
            result = Result(elapsed, len(survived), stats, ops, reads)
            result.failures = checks.run_all(database.dsn, ops, reads, baseline)
            result.failures["clients saw what they were promised"] = [
                p for w in team for p in w.problems]
            result.failures["no server errors (500)"] = [
                f"{kind} {path}: {status} {body}" for kind, path, status, body
                in stats.server_errors if status != 503]
            result.failures["fundpool verify passes"] = _verify(cluster)
            result.failures[f"at least {crashes} crashes survived"] = (
                [] if len(survived) >= crashes else [f"only {len(survived)} crashes"])
            if not result.ok:
                tail = cluster.logs()[-6000:]
                log(f"service logs (tail):\n{tail}")
            return result
        finally:
            cluster.stop()
            database.drop()


def _verify(cluster: Cluster) -> list[str]:
    try:
        cluster.fundpool("verify")
    except RuntimeError as exc:
        return [str(exc)]
    return []


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(result: Result, log=print) -> None:
    stats = result.stats
    kinds = sorted(stats.attempted, key=lambda k: -stats.attempted[k])
    log(f"\n{'operation':<20}{'attempted':>10}{'acked':>8}{'refused':>9}{'unknown':>9}"
        f"{'retried':>9}{'acked/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for kind in kinds:
        lat = stats.latencies.get(kind) or [0.0]
        log(f"{kind:<20}{stats.attempted[kind]:>10}{stats.acknowledged[kind]:>8}"
            f"{stats.refused[kind]:>9}{stats.unknown[kind]:>9}{stats.retried[kind]:>9}"
            f"{stats.acknowledged[kind] / result.seconds:>9.1f}"
            f"{percentile(lat, 50) * 1000:>9.1f}{percentile(lat, 99) * 1000:>9.1f}")
    total = sum(stats.attempted.values())
    acked = sum(stats.acknowledged.values())
    retried = sum(stats.retried.values())
    busy = sum(1 for e in stats.server_errors if e[2] == 503)
    log(f"{'all':<20}{total:>10}{acked:>8}{sum(stats.refused.values()):>9}"
        f"{sum(stats.unknown.values()):>9}{retried:>9}{acked / result.seconds:>9.1f}")
    log(f"\n{result.seconds:.1f} s, {result.crashes} crashes survived, {len(result.reads)} "
        f"balance reads checked, {busy} answers of 503 busy (retried)")
    log("(refused: a 4xx, e.g. insufficient funds or a duplicate reference, meant to happen;"
        " p50/p99: the answered request, not counting retries)\n")
    for name, problems in result.failures.items():
        log(f"{'ok  ' if not problems else 'FAIL'} {name}")
        for problem in problems[:20]:
            log(f"       {problem}")
        if len(problems) > 20:
            log(f"       … and {len(problems) - 20} more")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--crashes", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--server", default=os.environ.get("FUNDPOOL_TEST_DATABASE_URL",
                                                           DEFAULT_SERVER))
    args = parser.parse_args(argv)
    result = run(args.server, args.seconds, args.clients, args.crashes, args.workers, args.seed,
                 log=lambda line: print(line, flush=True))
    report(result)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
