"""Where the matching gap is: the measurements behind docs/matching.md ("Where the gap is").

    python benchmarks/matching_gap_probe.py                 # the 1,000-proposal instance
    python benchmarks/matching_gap_probe.py --size 400 --seed 1 --priority 2253

Prints, for one generated instance (``matching_instances.generate``):
- how it splits: parts sharing needs, then also sharing non-city funds (the districts), then all
  funds (what the engine solves);
- the heuristic's people per urgency, how much of each level's money it uses and how full its
  proposals are;
- routine-stage upper bounds with the crisis level (and ``--priority`` if given) held: trivial,
  the cell LP without and with link rows (``solver.relaxation_bound``) and the coarse LP
  (``solver.coarse_bound``), each with its time.

Pass as ``--priority`` only a level the lexicographic optimum is known to reach (e.g. a proven
stage's value), or the bounds are not valid for it. No database; nothing is changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from matching_instances import generate

from fundpool.matching import heuristic, solver
from fundpool.matching.eligibility import Graph


def groups(graph: Graph, fund_levels: tuple[int, ...]) -> list[int]:
    """Sizes of the groups of proposals joined by shared cells and by funds of the given path
    lengths (1 city .. 4 community), largest first."""
    parent = list(range(len(graph.proposals)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(first: dict, key, pi: int) -> None:
        if key in first:
            a, b = find(first[key]), find(pi)
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            first[key] = pi

    first: dict = {}
    for pi, cells in enumerate(graph.prop_cells):
        for ci in cells:
            join(first, ("cell", ci), pi)
    for pi, fi, _ in graph.pay:
        if len(graph.funds[fi].pool_path) in fund_levels:
            join(first, ("fund", fi), pi)
    return sorted(Counter(find(i) for i in range(len(graph.proposals))).values(), reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--priority", type=float, default=None, help="a priority level the optimum reaches")
    parser.add_argument("--lp-time", type=float, default=120.0, help="seconds for each LP")
    args = parser.parse_args()

    graph = Graph.build(generate(args.size, seed=args.seed))
    print(f"pruned: {len(graph.proposals)} proposals, {len(graph.needs)} needs, {len(graph.funds)} funds")
    for name, levels in (("needs only", ()), ("needs and non-city funds", (2, 3, 4)), ("all funds", (1, 2, 3, 4))):
        sizes = groups(graph, levels)
        print(f"parts joined by {name}: {len(sizes)}, largest {sizes[:10]}")

    part = max(graph.components(), key=lambda p: len(p.proposals))
    started = time.perf_counter()
    found = heuristic.solve(part, started + 60, with_bounds=False)
    people = solver.urgency_people(part, found.assign)
    print(f"heuristic: crisis/priority/routine {people} in {time.perf_counter() - started:.1f} s")
    drawn: Counter = Counter()
    for shares in found.stats["allocation"].values():
        for fi, amount in shares:
            drawn[len(part.funds[fi].pool_path)] += amount
    for level, name in ((1, "city"), (2, "district"), (3, "street"), (4, "community")):
        available = sum(f.available for f in part.funds if len(f.pool_path) == level)
        if available:
            print(f"  {name} money used: {drawn[level] / available:.1%}")
    capacity = sum(part.proposals[pi].capacity for pi in found.assign)
    served = sum(part.needs[ni].people for needs in found.assign.values() for ni in needs)
    print(f"  {len(found.assign)} proposals funded, {served / capacity:.1%} of their capacity used")

    # no solution serves more crisis people than the optimum, so the heuristic's count may be held
    levels = [float(people[0])] + ([args.priority] if args.priority is not None else [])
    print(f"routine bounds, crisis (and priority) levels held: {levels}")
    print(f"  trivial: {solver.trivial_bound(part, 2):.0f}")
    for name, run in (
            ("cell LP without link rows", lambda: solver.relaxation_bound(part, 2, levels, args.lp_time, links=False)),
            ("cell LP with link rows", lambda: solver.relaxation_bound(part, 2, levels, args.lp_time, links=True)),
            ("coarse LP", lambda: solver.coarse_bound(part, 2, levels, args.lp_time))):
        started = time.perf_counter()
        bound, how = run()
        print(f"  {name}: {bound:.1f} ({how}, {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
