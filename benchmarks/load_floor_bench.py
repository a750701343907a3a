"""The floor of the fixed stack: minimal Flask apps under gunicorn next to load_bench's raw
psycopg writer and the real service, in the same run.

    python benchmarks/load_floor_bench.py [--server URL] [--workers 4] [--seconds 15]
                                          [--rounds 2] [--sides service,raw,F1,F2,F2h,F3]

Everything but the minimal apps is load_bench.py's: the database it makes, migrates, loads and
drops, its gunicorn launch (config/gunicorn.conf.py, ``--workers`` sync workers, started in this
process's session), its client threads (``service_round``: as many clients as workers, each
posting a donation with an Idempotency-Key and a receipt over a new loopback connection, one at
a time), its raw writer (``RawWriter``, as many connections) and its CPU accounting. The sides:

- service: the real fundpool app (load_bench's service side);
- raw: load_bench's raw psycopg writer, one thread per connection;
- F1: benchmarks/floor_app.py with FLOOR_MODE=psycopg — bare Flask, JSON parsed, then
  ``RawWriter.write`` (the raw writer's exact transaction) on one psycopg connection per worker;
- F2: FLOOR_MODE=core — the same statements through SQLAlchemy Core (``text()``,
  ``engine.connect()`` per request, one engine per worker);
- F2h: FLOOR_MODE=core-held — F2 holding one Core connection for the worker's life;
- F3: FLOOR_MODE=none — the view answers after parsing, no database.

Every HTTP side is a gunicorn of its own with the same settings and worker count, all started
before the first round and idle when not measured. The sides take turns for ``--rounds`` rounds
of ``--seconds`` each, the order rotated by one each round. Per side and round it prints the
rate, the ratio to raw's rate in the same round, p50/p99, CPU per request of the serving
processes (gunicorn workers, or for raw this process) and of the PostgreSQL backends of the
database, this process's CPU per request for the HTTP sides (the clients), how busy the machine
was and how many cores the rest of the machine used ("others": the machine's busy time minus
this process, every gunicorn started here and the database's backends), and the load average.
Two ratios that hold still on a shared machine go with the plain one: "per free core" (each
side's rate over the cores others left it during its turn) and "CPU ratio" (raw's CPU per
request, everything included, over the side's).

    python benchmarks/load_floor_bench.py --in-process 300 --rounds 2

skips gunicorn and HTTP: each app in this process through Flask's test client (the real
service too), the raw transaction called directly, one request at a time; CPU per request of
this process and of its backend (``FLOOR_PROFILE=F2`` adds a cProfile of that side).
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import os
import platform
import pstats
import socket
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from load_bench import (
    DEFAULT_SERVER,
    Bench,
    RawWriter,
    cpu_busy,
    cpu_of,
    load,
    pct,
    processes,
    raw_round,
    service_round,
)

HERE = Path(__file__).resolve().parent
MODES = {"F1": "psycopg", "F2": "core", "F2h": "core-held", "F3": "none"}
ALL_SIDES = ["service", "raw", "F1", "F2", "F2h", "F3"]


def floor_server(bench: Bench, mode: str, streets: list[str], donor: int,
                 token_id: int) -> Bench:
    """A gunicorn serving floor_app.py in ``mode`` on the bench's database, started like the
    service (same settings file, workers, session)."""
    floor = copy.copy(bench)
    floor.server = None
    floor.workdir = bench.workdir / mode
    floor.workdir.mkdir()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        floor.port = sock.getsockname()[1]
    floor.env = {**bench.env, "FLOOR_MODE": mode, "FLOOR_DSN": bench.dsn, "FLOOR_URL": bench.url,
                 "FLOOR_STREETS": ",".join(streets), "FLOOR_DONOR": str(donor),
                 "FLOOR_TOKEN_ID": str(token_id),
                 "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE),
                                                             bench.env.get("PYTHONPATH")]))}
    floor.serve(profile=False, app="floor_app:create_app()")
    return floor


def our_cpu(bench: Bench, servers: list[Bench]) -> float:
    """CPU seconds so far of this process, every gunicorn started here (masters and workers)
    and the database's backends."""
    masters = {s.server.pid for s in servers}
    mine = [os.getpid(), *masters, *processes(lambda cmd, ppid: ppid in masters)]
    backends = processes(lambda cmd, ppid: cmd.startswith("postgres:") and bench.name in cmd)
    return cpu_of(mine) + cpu_of(backends)


def split_cpu(bench: Bench, server: Bench | None) -> tuple[float, float]:
    """(serving processes, database backends) CPU seconds so far: a server's gunicorn workers,
    or this process for the raw writer; as load_bench's ``Bench.cpu`` but in two parts."""
    mine = processes(lambda cmd, ppid: ppid == server.server.pid) if server else [os.getpid()]
    backends = processes(lambda cmd, ppid: cmd.startswith("postgres:") and bench.name in cmd)
    return cpu_of(mine), cpu_of(backends)


def in_process(bench: Bench, token: str, streets: list[str], donor: int, token_id: int,
               sides: list[str], count: int, rounds: int) -> None:
    """Without gunicorn or HTTP, one request at a time in this process: the raw writer's
    transaction called directly, each floor app and the real service through Flask's test
    client, on the same database. CPU per request of this process and of its backend over
    ``count`` requests (after 50 for warm-up), the sides in turns for ``rounds`` rounds: the
    figure that does not depend on how the load shares two cores."""
    import floor_app

    from fundpool import create_app

    apps = {}
    for side in sides:
        if side in MODES:
            os.environ.update({"FLOOR_MODE": MODES[side], "FLOOR_DSN": bench.dsn,
                               "FLOOR_URL": bench.url, "FLOOR_STREETS": ",".join(streets),
                               "FLOOR_DONOR": str(donor), "FLOOR_TOKEN_ID": str(token_id)})
            apps[side] = floor_app.create_app().test_client()
        elif side == "service":
            apps[side] = create_app({"database_url": bench.url, "secret_key": uuid.uuid4().hex,
                                     "log_level": "WARNING",
                                     "instance_folder": str(bench.workdir)}).test_client()
    writer = RawWriter(bench.dsn, streets[0], donor, token_id)

    def one(side: str) -> None:
        if side == "raw":
            writer.write(0)
            return
        ref = uuid.uuid4().hex
        response = apps[side].post("/api/v1/donations", headers={
            "Authorization": f"Bearer {token}", "Idempotency-Key": ref}, json={
            "donor_id": donor, "fund": streets[0], "amount": "100.00",
            "channel": "bank_transfer", "channel_ref": f"INPROC-{ref}",
            "received_date": date.today().isoformat(), "purpose": "压测",
            "issue_receipt": True})
        assert response.status_code == 201, response.get_data(as_text=True)

    def backend_cpu() -> float:
        return cpu_of(processes(lambda cmd, ppid: cmd.startswith("postgres:")
                                and bench.name in cmd))

    for side in sides:
        for _ in range(50):
            one(side)
    print(f"in process, {count} requests per side and round (CPU per request):")
    for n in range(rounds):
        for side in sides[n % len(sides):] + sides[:n % len(sides)]:
            load_before = os.getloadavg()[0]
            began, cpu, server = time.perf_counter(), time.process_time(), backend_cpu()
            for _ in range(count):
                one(side)
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu
            server = backend_cpu() - server
            print(f"  round {n + 1} {side:<8} {1000 * wall / count:6.2f} ms wall, "
                  f"{1000 * cpu / count:5.2f} ms CPU here + {1000 * server / count:5.2f} ms in "
                  f"the backend, load {load_before:.1f}→{os.getloadavg()[0]:.1f}", flush=True)
    if os.environ.get("FLOOR_PROFILE") in apps:
        side = os.environ["FLOOR_PROFILE"]
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(count):
            one(side)
        profile.disable()
        print(f"profile of {count} more {side} requests (CPU time):")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    writer.conn.close()


def total_cpu(r: dict) -> float:
    """CPU seconds per request of everything a side runs on the machine: serving processes,
    backends and, for the HTTP sides, the client threads (the raw writer's ``app`` already
    holds its threads). raw's total over a side's is the ratio the two would have if both
    kept the same cores busy — what the rates' ratio tends to on a machine of their own."""
    return r["app"] + r["db"] + (r["client"] or 0.0)


def free_ratio(r: dict, raw: dict) -> float:
    """The rates' ratio with each side's rate divided by the cores the rest of the machine
    left it (CPUs minus ``others``): on this shared machine the ratio of one round swings with
    what other work happened to run during each side's turn (0.1 to 1.1 for the same code);
    this one does not, and stays near the CPU ratio."""
    cpus = os.cpu_count()
    return (r["done"] / r["secs"] / (cpus - r["others"])) / (
        raw["done"] / raw["secs"] / (cpus - raw["others"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=os.environ.get("FUNDPOOL_TEST_DATABASE_URL",
                                                           DEFAULT_SERVER))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sides", default=",".join(ALL_SIDES))
    parser.add_argument("--in-process", type=int, metavar="N", help="instead of the load "
                        "test: N requests per side and round through each app in this process")
    args = parser.parse_args(argv)
    sides = args.sides.split(",")
    assert "raw" in sides and set(sides) <= set(ALL_SIDES), sides
    ticks = os.sysconf("SC_CLK_TCK")
    print(f"floor bench: {args.workers} gunicorn workers and as many clients / connections, "
          f"{args.rounds} rounds of {args.seconds:.0f} s each side ({', '.join(sides)}); "
          f"{platform.node()}, {os.cpu_count()} CPUs, load average "
          f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    results: dict[str, list[dict]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory(prefix="fundpool-floorbench-") as workdir:
        bench = Bench(args.server, args.workers, Path(workdir))
        bench.create()
        servers: dict[str, Bench] = {}
        writers: list[RawWriter] = []
        try:
            token, streets, donor, token_id = load(bench)
            if args.in_process:
                in_process(bench, token, streets, donor, token_id, sides, args.in_process,
                           args.rounds)
                return 0
            if "service" in sides:
                bench.serve(profile=False)
                servers["service"] = bench
            for side in sides:
                if side in MODES:
                    servers[side] = floor_server(bench, MODES[side], streets, donor, token_id)
            for server in servers.values():
                service_round(server, token, streets, donor, 3)  # warm every worker up
            writers = [RawWriter(bench.dsn, street, donor, token_id) for street in streets]
            for n in range(args.rounds):
                order = sides[n % len(sides):] + sides[:n % len(sides)]
                for side in order:
                    server = servers.get(side)
                    load_before = os.getloadavg()[0]
                    before, ours_before = cpu_busy(), our_cpu(bench, list(servers.values()))
                    app_before, db_before = split_cpu(bench, server)
                    client_before = cpu_of([os.getpid()])
                    if server:
                        done, lat, secs = service_round(server, token, streets, donor,
                                                        args.seconds)
                    else:
                        done, lat, secs = raw_round(writers, args.seconds)
                    app_after, db_after = split_cpu(bench, server)
                    client_after = cpu_of([os.getpid()])
                    after, ours_after = cpu_busy(), our_cpu(bench, list(servers.values()))
                    machine = (after[0] - before[0]) / ticks
                    results[side].append({
                        "done": done, "lat": lat, "secs": secs,
                        "app": (app_after - app_before) / max(done, 1),
                        "db": (db_after - db_before) / max(done, 1),
                        "client": (client_after - client_before) / max(done, 1) if server
                        else None,
                        "busy": (after[0] - before[0]) / (after[1] - before[1]),
                        "others": max(0.0, machine - (ours_after - ours_before)) / secs,
                        "load": (load_before, os.getloadavg()[0])})
                raw_rate = results["raw"][n]["done"] / results["raw"][n]["secs"]
                raw_cpu = total_cpu(results["raw"][n])
                for side in sides:
                    r = results[side][n]
                    rate = r["done"] / r["secs"]
                    client = f"{1000 * r['client']:4.1f}" if r["client"] is not None else "   -"
                    print(f"  round {n + 1} {side:<8} {rate:7.1f}/s  ratio {rate / raw_rate:4.2f}"
                          f" (per free core {free_ratio(r, results['raw'][n]):4.2f}, CPU ratio "
                          f"{raw_cpu / total_cpu(r):4.2f})"
                          f"  p50 {pct(r['lat'], 50):6.1f} ms  p99 {pct(r['lat'], 99):6.1f} ms"
                          f"  CPU {1000 * (r['app'] + r['db']):4.1f} ms each = app "
                          f"{1000 * r['app']:4.2f} + db {1000 * r['db']:4.2f} (client {client})"
                          f"  machine {100 * r['busy']:3.0f}% busy, others "
                          f"{r['others']:.2f} cores, load {r['load'][0]:.1f}→{r['load'][1]:.1f}",
                          flush=True)
        finally:
            for writer in writers:
                writer.conn.close()
            for server in servers.values():
                server.stop()
            bench.drop()
    raw_total = sum(r["done"] for r in results["raw"]) / sum(r["secs"] for r in results["raw"])
    print(f"\nall rounds (ratio = rate / raw's {raw_total:.1f}/s over the same rounds; "
          "per-round ratios in brackets):")
    print("| side | rate /s | ratio to raw | per free core (median) | p50 / p99 ms | CPU ms per "
          "request, app + db (+ client) | CPU ratio | others, cores | load average |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for side in sides:
        rounds = results[side]
        rate = sum(r["done"] for r in rounds) / sum(r["secs"] for r in rounds)
        per_round = [(r["done"] / r["secs"]) / (w["done"] / w["secs"])
                     for r, w in zip(rounds, results["raw"])]
        lat = [x for r in rounds for x in r["lat"]]
        app = "/".join(f"{1000 * r['app']:.2f}" for r in rounds)
        db = "/".join(f"{1000 * r['db']:.2f}" for r in rounds)
        others = "/".join(f"{r['others']:.2f}" for r in rounds)
        client = "/".join(f"{1000 * r['client']:.2f}" for r in rounds if r["client"] is not None)
        free = [free_ratio(r, w) for r, w in zip(rounds, results["raw"])]
        free_text = (f"{', '.join(f'{x:.2f}' for x in free)} "
                     f"({statistics.median(free):.2f})")
        cpu_ratio = ", ".join(f"{total_cpu(w) / total_cpu(r):.2f}"
                              for r, w in zip(rounds, results["raw"]))
        print(f"| {side} | {rate:.1f} | {rate / raw_total:.2f} "
              f"({', '.join(f'{x:.2f}' for x in per_round)}) | {free_text} | "
              f"{pct(lat, 50):.1f} / "
              f"{pct(lat, 99):.1f} | {app} + {db}{f' (+ {client})' if client else ''} | "
              f"{cpu_ratio} | "
              f"{others} | "
              f"{min(r['load'][0] for r in rounds):.1f}–{max(r['load'][1] for r in rounds):.1f} |")
    print(f"load average at the end {'/'.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
