"""Matching engine benchmark: realistic Shenzhen instances, run time, peak memory, objective, bound, gap.

    python benchmarks/matching_bench.py                    # 100, 1,000 and 10,000 proposals
    python benchmarks/matching_bench.py --sizes 1000 --methods auto exact
    python benchmarks/matching_bench.py --time-limit 50 --seed 1

Each instance (``matching_instances.generate``: N proposals, 10 N needs, 1,000 funds on the real
city, districts and streets, illustrative communities) is solved in a fresh child process, so its
peak resident memory (``ru_maxrss``) is its own; the time includes building the eligibility
graph, solving, whole-fen shares, reasons and the final check (``verify``), not generating the
instance. The script also reports how busy the machine was with *other* work during each run
(from ``/proc/stat``, less the child's own CPU), and calls a run quiet when that stayed under
0.1 core.

Targets (issue 5): 10,000 proposals x 100,000 needs x 1,000 funds in under 60 s and 2 GB with a
gap under 1 %; 1,000 proposals solved to proven optimality. Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(size: int, method: str, seed: int, time_limit: float) -> None:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    from matching_instances import generate

    from fundpool.matching.engine import match, verify

    problem = generate(size, seed=seed, time_limit=time_limit)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    solution = match(problem, method=method)
    seconds = time.perf_counter() - started
    errors = verify(problem, solution)
    parts = solution.stats["parts"]
    print(json.dumps({
        "size": size, "method_asked": method, "seconds": seconds, "engine_seconds": solution.seconds,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_before_mib": rss_before / 1024,
        "objective": solution.objective, "bound": solution.bound, "gap": solution.gap,
        "method": solution.method, "optimal": solution.optimal, "matches": len(solution.matches),
        "people": solution.stats["people"], "bounds": solution.stats["bounds"], "gaps": solution.stats["gaps"],
        "needs": len(problem.needs), "proposals": len(problem.proposals), "funds": len(problem.funds),
        "eligible": solution.stats["eligible"], "parts": len(parts),
        "stages": [p["stages"] for p in parts][:1], "secondary": [p["secondary"] for p in parts][:1],
        "errors": errors[:3],
        "heuristic": {k: v for k, v in (parts[0] if parts else {}).items()
                      if k in ("greedy_seconds", "refused_for_money", "added_by_rerouting", "flow_searches",
                               "seconds_before_bounds", "neighbourhoods")},
    }))


def busy_jiffies() -> tuple[int, int]:
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def run(size: int, method: str, seed: int, time_limit: float) -> dict:
    hz = os.sysconf("SC_CLK_TCK")
    before_busy, _ = busy_jiffies()
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", str(size), method, str(seed), str(time_limit)],
                         capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after_busy, _ = busy_jiffies()
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    own = (after_children.ru_utime + after_children.ru_stime) - (before_children.ru_utime + before_children.ru_stime)
    other = max(0.0, (after_busy - before_busy) / hz - own) / wall
    result["other_cores"] = other
    return result


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--methods", nargs="+", default=["auto"], choices=["auto", "exact", "heuristic"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=50.0)
    parser.add_argument("--json", action="store_true", help="print each result as JSON too")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; time limit {args.time_limit:g} s; seed {args.seed}")
    header = (f"{'proposals':>9} {'needs':>7} {'funds':>5} {'asked':>9} {'method':>9} {'time s':>7} {'peak MiB':>8} "
              f"{'objective':>12} {'bound':>12} {'gap':>7} {'optimal':>7} {'crisis':>13} {'priority':>13} "
              f"{'routine':>15} {'others':>6}")
    print(header)
    failed = []
    for size in args.sizes:
        for method in args.methods:
            r = run(size, method, args.seed, args.time_limit)
            ppl, bnd = r["people"], r["bounds"]
            cells = [f"{ppl[u]}/{bnd[u]:.0f}" for u in ("crisis", "priority", "routine")]
            print(f"{r['proposals']:>9} {r['needs']:>7} {r['funds']:>5} {method:>9} {r['method']:>9} "
                  f"{r['seconds']:>7.1f} {r['peak_mib']:>8.0f} {r['objective']:>12.0f} {r['bound']:>12.0f} "
                  f"{r['gap']:>7.2%} {r['optimal']!s:>7} {cells[0]:>13} {cells[1]:>13} {cells[2]:>15} "
                  f"{r['other_cores']:>6.2f}", flush=True)
            if args.json:
                print(json.dumps(r))
            if r["errors"]:
                failed.append(f"{size}: rule broken {r['errors']}")
            if size >= 10000 and method == "auto" and (r["seconds"] >= 60 or r["peak_mib"] >= 2048
                                                       or r["gap"] >= 0.01):
                failed.append(f"{size}: target 60 s / 2 GB / gap < 1 % missed")
            if size == 1000 and method in ("auto", "exact") and not r["optimal"]:
                failed.append(f"{size} ({method}): not proven optimal")
    print("crisis/priority/routine: people served / upper bound; others: CPU of other processes, in cores "
          "(quiet below 0.1)")
    for line in failed:
        print("MISSED", line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
