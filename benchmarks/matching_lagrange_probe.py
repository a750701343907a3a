"""Lagrangian decomposition by district: how tight its bound is and how good its primal, measured.

    python benchmarks/matching_lagrange_probe.py --size 1000 --block-time 20 --iterations 4

On one generated instance (``matching_instances.generate``), the largest part:
1. the heuristic (the primal to beat, and the level the bounds may hold);
2. the priority stage, crisis held: the stacked LP of the district models (``matching_decomposition``),
   then the Lagrangian bound at the LP's multipliers and after subgradient steps;
3. the routine stage, crisis held in full per district and priority >= the level reached:
   the same;
4. the primal: each district solved exactly (``--block-time`` each, priority weighted
   ``--priority-weight``) with its share of every city fund taken from the stacked LP, then
   extended by the heuristic.

Every bound printed is a true upper bound (weak duality; each district's MILP contributes its
HiGHS dual bound). No database; nothing is changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import matching_decomposition as D
from matching_instances import generate

from fundpool.matching import heuristic, solver
from fundpool.matching.eligibility import Graph


def lagrangian(part, blocks, coupling, stage, weights, held_full, level, lam, mu, block_time, iterations,
               target, log, theta=1.0):
    """Minimise L over (lam, mu) by normalised Polyak subgradient steps; returns the best bound."""
    avail = np.array([part.funds[fi].available / 100 for fi in coupling])
    best = np.inf
    stall = 0
    for it in range(iterations + 1):
        t0 = time.perf_counter()
        total, use, people = 0.0, np.zeros(len(coupling)), 0.0
        for b in blocks:
            c = D.people_row(b, stage) * weights[stage]
            if level is not None:
                c = c + mu * D.people_row(b, stage - 1)
            for k, fi in enumerate(coupling):
                for col in b.coupling_cols.get(fi, ()):
                    c[col] -= lam[k]
            rows = [(D.people_row(b, u), b.full[u] - 1e-6, np.inf) for u in held_full]
            r = D.solve_block(b, c, rows, block_time, gap=1e-6)
            total += r.bound
            if r.x is not None:
                for k, fi in enumerate(coupling):
                    use[k] += r.x[b.coupling_cols.get(fi, [])].sum()
                if level is not None:
                    people += D.people_row(b, stage - 1) @ r.x
        value = total + lam @ avail - (mu * level if level is not None else 0.0)
        if value < best - 1e-6:
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 2:
                theta /= 2
                stall = 0
        log(f"  iteration {it}: L = {value:.1f} (best {best:.1f}) in {time.perf_counter() - t0:.1f} s; "
            f"city money used / available {use.sum() / avail.sum():.3f}; mu {mu:.3f}")
        if it == iterations:
            break
        # normalised: lam' = lam * avail, mu' = mu * level; g' = g / avail, g / level
        g = (avail - use) / avail
        gm = (people - level) / level if level is not None else 0.0
        norm = float(g @ g + gm * gm)
        if norm <= 1e-12:
            break
        step = theta * (value - target) / norm
        lam = np.maximum(0.0, lam * avail - step * g) / avail
        if level is not None:
            mu = max(0.0, mu * level - step * gm) / level
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--block-time", type=float, default=20.0, help="seconds for each district MILP")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--theta", type=float, default=1.0, help="first Polyak step factor (halved on stalls)")
    parser.add_argument("--priority-weight", type=float, default=100.0)
    parser.add_argument("--priority", type=float, default=None, help="a priority level the optimum reaches")
    parser.add_argument("--skip", nargs="*", default=[], choices=["priority", "routine", "primal"])
    args = parser.parse_args()

    def log(text: str) -> None:
        print(text, flush=True)

    graph = Graph.build(generate(args.size, seed=args.seed))
    part = max(graph.components(), key=lambda p: len(p.proposals))
    groups, coupling = D.split(part)
    log(f"{len(part.proposals)} proposals; districts {[len(g) for g in groups]}; {len(coupling)} city funds couple them")
    started = time.perf_counter()
    found = heuristic.solve(part, started + 60, with_bounds=False)
    people = solver.urgency_people(part, found.assign)
    log(f"heuristic: {people} in {time.perf_counter() - started:.1f} s")
    crisis_full = people[0] == solver.trivial_bound(part, 0)
    log(f"crisis served in full: {crisis_full}")

    if "priority" not in args.skip:
        started = time.perf_counter()
        blocks = [D.build_block(part, g, set(coupling), 1) for g in groups]
        held = [([D.people_row(b, 0) for b in blocks], float(people[0]))]
        lp, lam, mu, _ = D.stacked_lp_duals(blocks, coupling, part, [D.people_row(b, 1) for b in blocks],
                                            held, 600)
        log(f"priority stage: stacked LP {lp:.1f} in {time.perf_counter() - started:.1f} s")
        best = lagrangian(part, blocks, coupling, 1, (0, 1, 0), [0] if crisis_full else [], None, lam, 0.0,
                          args.block_time, args.iterations, people[1], log, args.theta)
        log(f"priority stage: Lagrangian bound {best:.1f} (heuristic {people[1]}), "
            f"{time.perf_counter() - started:.1f} s in all")

    level = args.priority if args.priority is not None else float(people[1])
    blocks = [D.build_block(part, g, set(coupling), 2) for g in groups]
    if "routine" not in args.skip:
        started = time.perf_counter()
        held = [([D.people_row(b, 0) for b in blocks], float(people[0])),
                ([D.people_row(b, 1) for b in blocks], level)]
        lp, lam, mu, xs = D.stacked_lp_duals(blocks, coupling, part, [D.people_row(b, 2) for b in blocks],
                                             held, 600)
        log(f"routine stage, priority >= {level:.0f}: stacked LP {lp:.1f} in {time.perf_counter() - started:.1f} s")
        best = lagrangian(part, blocks, coupling, 2, (0, 0, 1), [0] if crisis_full else [], level, lam,
                          float(mu[-1]), args.block_time, args.iterations, people[2], log, args.theta)
        log(f"routine stage: Lagrangian bound {best:.1f} (heuristic {people[2]}), "
            f"{time.perf_counter() - started:.1f} s in all")

    if "primal" not in args.skip:
        started = time.perf_counter()
        held = [([D.people_row(b, 0) for b in blocks], float(people[0])),
                ([D.people_row(b, 1) for b in blocks], level)]
        lp, lam, mu, xs = D.stacked_lp_duals(blocks, coupling, part, [D.people_row(b, 2) for b in blocks],
                                             held, 600)
        assign = {}
        for b, x in zip(blocks, xs):
            rows = [(D.people_row(b, 0), b.full[0] - 1e-6, np.inf)] if crisis_full else []
            for cols in b.coupling_cols.values():
                row = np.zeros(b.n)
                row[cols] = 1
                rows.append((row, -np.inf, max(0.0, np.floor(float(x[cols].sum()) * 100 - 1) / 100)))
            c = D.people_row(b, 2) + args.priority_weight * D.people_row(b, 1)
            r = D.solve_block(b, c, rows, args.block_time, gap=1e-4)
            mine = D.assignment(part, b, r.x) if r.x is not None else {}
            assign.update(mine)
            log(f"  district of {len(b.props)} proposals: {solver.urgency_people(part, mine)} in {r.seconds:.1f} s "
                f"({r.status[:30]})")
        log(f"primal by district: {solver.urgency_people(part, assign)} in {time.perf_counter() - started:.1f} s")
        extended = heuristic.solve(part, time.perf_counter() + 30, start_with=assign, with_bounds=False)
        log(f"extended by the heuristic: {solver.urgency_people(part, extended.assign)}, "
            f"{time.perf_counter() - started:.1f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
