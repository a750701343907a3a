"""Can OR-Tools CP-SAT prove the matching stages optimal? A measurement, not engine code.

    pip install ortools                       # not a dependency of fundpool
    python benchmarks/matching_cpsat_probe.py --size 100 --params cp_model_presolve=false
    python benchmarks/matching_cpsat_probe.py --size 1000 --stages 2 3 --hold 1421 \
        --limits 0 240 600 --params cp_model_presolve=false --log /tmp/cpsat_1000.log
    python benchmarks/matching_cpsat_probe.py --size 1000 --stages 3 --hold 1421 8028 \
        --limits 0 0 600 --params cp_model_presolve=false,linearization_level=2
    python benchmarks/matching_cpsat_probe.py --size 10000 --build-only

For one generated instance (``matching_instances.generate(size, seed)``), on the engine's own
pruned eligibility graph (``eligibility.Graph.build``, so the rules are exactly the engine's),
solves the three primary stages lexicographically with CP-SAT (crisis, then priority holding
crisis, then routine holding both; the secondary money stage is left out) and prints per stage:
status, value, best bound, wall time, model size; at the end the process's peak resident memory.

Model (an exact reformulation of ``solver.solve`` for stages 1-3, as in
``matching_decomposition.py``): needs of one cell with the same urgency and number of people
form a *class* and are interchangeable, so an integer count ``Y[p, class]`` replaces the binaries
``y[p, n]``; ``x[p]`` bool funded; ``z[p, f]`` money in whole fen (integer: the money polytope
for fixed ``x`` is a transportation polytope with integer data, so integer fen lose nothing).
Rows: class counts; capacity ``Σ people·Y ≤ capacity·x``; ``Y ≤ ub·x``; ``x ≤ Σ Y``;
``Σ_f z = budget·x``; ``z ≤ cap·x``; each fund ``Σ_p z ≤ available``; the held levels. Stage k
holds only the classes of urgencies up to k, as the engine's model does.

A stage's level is held as ``≥ value`` for the next stage: the value found (a bound for the
next stage is only valid when that value was proven) or the ``--hold`` values given (pass only
values proven elsewhere). ``--hint engine`` runs ``engine.match`` on the instance first (cached
in /tmp) and gives CP-SAT its solution (or the previous stage's, when better) as a hint.

``--params`` sets CP-SAT parameters; ``cp_model_presolve=false`` is needed: with CP-SAT's
presolve on (ortools 9.15), the 100-proposal routine stage's bound stalls at 1,522 (its LP
relaxation is about 1,048; the optimum 863), with it off the stage is proven in 4.3 s.

Measured 2026-11-28 01:20-02:12 UTC (ortools 9.15.6755, 2 workers, seed 1; not adopted; the 2 cores
shared with other agents' test runs, load average 6-10, so times are pessimistic):
- 100 proposals: 27 / 356 / 863, each proven (0.0 s, 0.3 s, 4.3 s with the engine's solution
  as hint; 0.0 s, 0.9 s, 13.6 s without) — the engine's proven optimum.
- 400: crisis 394 and priority 2,253 proven in 0.5 s and 0.1 s; routine 6,689 against a bound
  of 6,788 after 300 s (the bound flat from 38 s; engine 6,677 / bound 6,773).
- 1,000: crisis 1,421 proven in 15.6 s; priority 8,028 proven in 195 s (bound 8,028 reached at
  163 s); routine after 600 s 18,789 against 26,141 (bound above the trivial 37,616 until 532 s);
  with ``linearization_level=2`` no solution at all (with or without the engine's 7,995-priority
  solution as a hint to repair), bound 25,370 after 300 s and 25,128 after 600 s.
  HiGHS: 1,421 / 8,028 (proven) / 24,645 against 25,055; Lagrangian bound 24,926.
- 10,000: the routine model alone has 1,964,606 variables and 2,026,505 constraints, 62 s to
  build in Python and 2.4 GB resident before solving.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from matching_instances import generate  # noqa: E402

from fundpool.matching.eligibility import Graph  # noqa: E402
from fundpool.matching.solver import URANK  # noqa: E402

NAMES = ("crisis", "priority", "routine")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Classes:
    """Need classes (cell, urgency, people) and class edges of the graph."""

    def __init__(self, graph: Graph):
        key_of: dict[tuple[int, int, int], int] = {}
        self.needs: list[list[int]] = []
        self.u: list[int] = []
        self.v: list[int] = []
        self.of_need = [0] * len(graph.needs)
        by_cell: dict[int, list[int]] = defaultdict(list)
        for ci, cell in enumerate(graph.cell_needs):
            for ni in cell:
                n = graph.needs[ni]
                key = (ci, URANK[n.urgency], n.people)
                if key not in key_of:
                    key_of[key] = len(self.needs)
                    self.needs.append([])
                    self.u.append(key[1])
                    self.v.append(key[2])
                    by_cell[ci].append(key_of[key])
                self.needs[key_of[key]].append(ni)
                self.of_need[ni] = key_of[key]
        self.count = [len(lst) for lst in self.needs]
        self.edges: list[tuple[int, int, int]] = []  # (proposal, class, ub)
        for pi, p in enumerate(graph.proposals):
            for ci in graph.prop_cells[pi]:
                for c in sorted(by_cell[ci]):
                    if self.v[c] <= p.capacity:
                        self.edges.append((pi, c, min(self.count[c], p.capacity // self.v[c])))


def engine_hint(size: int, seed: int, time_limit: float, graph: Graph, cls: Classes):
    """The engine's solution as (Y counts per (p, class), z per (p, f), people per urgency);
    cached in /tmp."""
    cache = Path(f"/tmp/cpsat_hint_{size}_{seed}_{time_limit:g}.json")
    if cache.exists():
        data = json.loads(cache.read_text())
    else:
        from fundpool.matching.engine import match

        t0 = time.perf_counter()
        sol = match(generate(size, seed=seed, time_limit=time_limit))
        data = {
            "seconds": time.perf_counter() - t0,
            "people": sol.stats["people"],
            "bounds": sol.stats["bounds"],
            "optimal": sol.optimal,
            "method": sol.method,
            "matches": [
                [m.proposal_id, list(m.need_ids), [[s.fund_id, s.amount] for s in m.shares]]
                for m in sol.matches
            ],
        }
        cache.write_text(json.dumps(data))
    p_idx = {p.id: i for i, p in enumerate(graph.proposals)}
    n_idx = {n.id: i for i, n in enumerate(graph.needs)}
    f_idx = {f.id: i for i, f in enumerate(graph.funds)}
    Y: dict[tuple[int, int], int] = defaultdict(int)
    Z: dict[tuple[int, int], int] = {}
    people = [0, 0, 0]
    for pid, nids, shares in data["matches"]:
        pi = p_idx[pid]
        for nid in nids:
            c = cls.of_need[n_idx[nid]]
            Y[(pi, c)] += 1
            people[cls.u[c]] += cls.v[c]
        for fid, amount in shares:
            Z[(pi, f_idx[fid])] = amount
    return dict(Y), Z, people, data


def solve_stage(
    graph: Graph,
    cls: Classes,
    k: int,
    held: list[int],
    limit: float,
    hint,
    log_path: Path | None,
    workers: int = 2,
    build_only: bool = False,
    params: str = "",
) -> dict:
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    m = cp_model.CpModel()
    P = len(graph.proposals)
    x = [m.new_bool_var(f"x{pi}") for pi in range(P)]
    edges = [(e, pi, c, ub) for e, (pi, c, ub) in enumerate(cls.edges) if cls.u[c] <= k]
    Y = {}
    by_p: dict[int, list] = defaultdict(list)
    by_c: dict[int, list] = defaultdict(list)
    for _, pi, c, ub in edges:
        var = m.new_int_var(0, ub, f"y{pi}_{c}")
        Y[(pi, c)] = var
        by_p[pi].append((c, var, ub))
        by_c[c].append(var)
    for c, vs in by_c.items():
        m.add(sum(vs) <= cls.count[c])
    for pi in range(P):
        lst = by_p.get(pi, [])
        if not lst:
            m.add(x[pi] == 0)
            continue
        m.add(sum(cls.v[c] * var for c, var, _ in lst) <= graph.proposals[pi].capacity * x[pi])
        m.add(x[pi] <= sum(var for _, var, _ in lst))
        for _, var, ub in lst:
            m.add(var <= ub * x[pi])
    Z = {}
    z_by_p: dict[int, list] = defaultdict(list)
    z_by_f: dict[int, list] = defaultdict(list)
    for pi, fi, cap in graph.pay:
        var = m.new_int_var(0, cap, f"z{pi}_{fi}")
        Z[(pi, fi)] = var
        z_by_p[pi].append(var)
        z_by_f[fi].append(var)
        m.add(var <= cap * x[pi])
    for pi in range(P):
        m.add(sum(z_by_p[pi]) == graph.proposals[pi].budget * x[pi])
    cap_sum: dict[int, int] = defaultdict(int)
    for _, fi, cap in graph.pay:
        cap_sum[fi] += cap
    for fi, vs in z_by_f.items():
        if cap_sum[fi] > graph.funds[fi].available:
            m.add(sum(vs) <= graph.funds[fi].available)

    def people(u):
        pairs = [(var, cls.v[c]) for (pi, c), var in Y.items() if cls.u[c] == u]
        return cp_model.LinearExpr.weighted_sum([v for v, _ in pairs], [w for _, w in pairs])

    for u, level in enumerate(held):
        if level > 0:
            m.add(people(u) >= level)
    m.maximize(people(k))
    used_hint = False
    if hint is not None:
        hy, hz = hint
        for key, var in Y.items():
            m.add_hint(var, hy.get(key, 0))
        # a proposal the hint funds only for needs of later urgencies is not funded here
        funded = {pi for (pi, c), n in hy.items() if n > 0 and cls.u[c] <= k}
        for key, var in Z.items():
            m.add_hint(var, hz.get(key, 0) if key[0] in funded else 0)
        for pi in range(P):
            m.add_hint(x[pi], pi in funded)
        used_hint = True
    proto = m.proto
    build = time.perf_counter() - t0
    out = {
        "stage": NAMES[k],
        "held": list(held),
        "variables": len(proto.variables),
        "constraints": len(proto.constraints),
        "params": params,
        "class_edges": len(edges),
        "fund_edges": len(Z),
        "build_s": round(build, 2),
        "hint": used_hint,
        "peak_mib_after_build": round(peak_mib()),
    }
    if build_only:
        return out
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.log_search_progress = log_path is not None
    solver.parameters.log_to_stdout = False
    for item in filter(None, params.split(",")):
        key, value = item.split("=")
        value = {"true": True, "false": False}.get(value.strip(), value.strip())
        if isinstance(value, str):
            value = float(value) if "." in value else int(value)
        setattr(solver.parameters, key.strip(), value)
    if log_path is not None:
        handle = open(log_path, "a")
        handle.write(f"\n===== stage {NAMES[k]} held {held} limit {limit}\n")
        solver.log_callback = lambda line: (handle.write(line + "\n"), handle.flush())
    trace = []

    class Trace(cp_model.CpSolverSolutionCallback):
        def __init__(self):
            super().__init__()
            self.t = time.perf_counter()

        def on_solution_callback(self):
            trace.append(
                (
                    round(time.perf_counter() - self.t, 1),
                    self.objective_value,
                    self.best_objective_bound,
                )
            )

    t1 = time.perf_counter()
    status = solver.solve(m, Trace())
    wall = time.perf_counter() - t1
    out.update(
        {
            "status": solver.status_name(status),
            "wall_s": round(wall, 1),
            "value": solver.objective_value
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
            else None,
            "bound": solver.best_objective_bound,
            "first_solutions": trace[:3],
            "last_solutions": trace[-3:],
            "n_solutions": len(trace),
            "peak_mib": round(peak_mib()),
        }
    )
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        sy = {key: solver.value(var) for key, var in Y.items()}
        sx = [solver.value(v) for v in x]
        sy = {key: n for key, n in sy.items() if n > 0 and sx[key[0]]}
        sz = {key: solver.value(var) for key, var in Z.items() if solver.value(var) > 0}
        out["solution"] = (sy, sz)
        vals = [0, 0, 0]
        for (pi, c), n in sy.items():
            vals[cls.u[c]] += cls.v[c] * n
        out["people"] = vals
    if log_path is not None:
        handle.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limits", type=float, nargs=3, default=[60, 60, 60], help="seconds per stage")
    ap.add_argument("--stages", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument(
        "--hold",
        type=int,
        nargs="*",
        default=[],
        help="levels to hold (crisis, priority), proven elsewhere",
    )
    ap.add_argument("--hint", choices=["none", "engine"], default="engine")
    ap.add_argument(
        "--engine-time", type=float, default=50.0, help="time limit of the engine run used as hint"
    )
    ap.add_argument(
        "--force-hint",
        action="store_true",
        help="give the engine's solution as hint even when it is below a held level "
        "(CP-SAT repairs it)",
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument(
        "--params",
        default="",
        help="extra CP-SAT parameters, e.g. 'linearization_level=2,cp_model_presolve=false'",
    )
    ap.add_argument("--log", default=None, help="CP-SAT search log file")
    args = ap.parse_args()
    t0 = time.perf_counter()
    problem = generate(args.size, seed=args.seed)
    t1 = time.perf_counter()
    graph = Graph.build(problem)
    cls = Classes(graph)
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "size": args.size,
                "generate_s": round(t1 - t0, 1),
                "graph_s": round(t2 - t1, 1),
                "proposals": len(graph.proposals),
                "needs": len(graph.needs),
                "funds": len(graph.funds),
                "fund_edges": len(graph.pay),
                "classes": len(cls.needs),
                "class_edges": len(cls.edges),
                "peak_mib": round(peak_mib()),
            }
        ),
        flush=True,
    )
    hint_y = hint_z = None
    hint_people = None
    if args.hint == "engine" and not args.build_only:
        hint_y, hint_z, hint_people, data = engine_hint(
            args.size, args.seed, args.engine_time, graph, cls
        )
        print(
            json.dumps(
                {
                    "engine": data["people"],
                    "engine_bounds": data["bounds"],
                    "optimal": data["optimal"],
                    "method": data["method"],
                    "engine_s": round(data["seconds"], 1),
                    "hint_people_from_classes": hint_people,
                }
            ),
            flush=True,
        )
    held = list(args.hold)
    prev = None  # previous stage's (Y, Z, people)
    log = Path(args.log) if args.log else None
    for k in range(3):
        if k + 1 not in args.stages:
            continue
        held = held[:k]
        hint = None
        if args.hint == "engine" and not args.build_only:
            cands = []
            if hint_y is not None and (
                args.force_hint or all(hint_people[u] >= held[u] for u in range(k))
            ):
                cands.append((hint_people[k], 1, (hint_y, hint_z)))
            if prev is not None and all(prev[2][u] >= held[u] for u in range(k)):
                cands.append((prev[2][k], 0, prev[:2]))
            if cands:
                hint = max(cands, key=lambda t: (t[0], t[1]))[2]
        r = solve_stage(
            graph,
            cls,
            k,
            held,
            args.limits[k],
            hint,
            log,
            args.workers,
            args.build_only,
            args.params,
        )
        sol = r.pop("solution", None)
        print(json.dumps(r), flush=True)
        if args.build_only:
            held.append(0)
            continue
        if sol is None:
            print("no solution; stop", flush=True)
            break
        prev = (sol[0], sol[1], r["people"])
        if len(held) <= k:
            held.append(int(round(r["value"])))
    print(
        json.dumps({"peak_mib": round(peak_mib()), "total_s": round(time.perf_counter() - t0, 1)}),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
