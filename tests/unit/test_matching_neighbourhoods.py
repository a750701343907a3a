"""The heuristic's neighbourhood search: proposal moves the greedy cannot make, checked against the
exact solver; every rule kept; the same answer whatever the input's order."""

import random
import sys
import time
from pathlib import Path

from fundpool.matching import heuristic, neighbourhoods
from fundpool.matching.eligibility import Graph
from fundpool.matching.engine import match, verify
from fundpool.matching.problem import Problem
from fundpool.matching.solver import urgency_people
from tests.unit.test_matching_helpers import (
    NANYUAN,
    community,
    fund,
    need,
    problem,
    proposal,
)

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from matching_instances import generate


def swap_instance():
    """Proposal 1 serves the most people per yuan (8 for 1,600), so the greedy funds it first, and
    the 1,400 left pay for neither 2 nor 3 (1,500 each). Funding 2 and 3 instead serves 12."""
    x, y = community(NANYUAN, 1), community(NANYUAN, 2)
    needs = [need(k, path=x) for k in range(1, 7)] + [need(k, path=y) for k in range(7, 13)]
    return problem(needs,
                   [proposal(1, paths=[x, y], budget=1600, capacity=8),
                    proposal(2, paths=[x], budget=1500, capacity=6),
                    proposal(3, paths=[y], budget=1500, capacity=6)],
                   [fund(1, available=3000)])


def test_a_proposal_swap_reaches_the_exact_optimum():
    p = swap_instance()
    graph = Graph.build(p)
    greedy = heuristic.solve(graph, time.perf_counter() + 5, with_bounds=False)
    assert sorted(greedy.assign) == [0] and urgency_people(graph, greedy.assign) == [0, 0, 8]
    polished = heuristic.solve(graph, time.perf_counter() + 5, with_bounds=False, work=1000)
    assert sorted(polished.assign) == [1, 2] and urgency_people(graph, polished.assign) == [0, 0, 12]
    h, e = match(p, method="heuristic"), match(p, method="exact")
    assert verify(p, h) == [] and e.optimal
    assert h.stats["people"] == e.stats["people"] == {"crisis": 0, "priority": 0, "routine": 12}
    assert sorted(m.proposal_id for m in h.matches) == [2, 3]


def test_urgent_people_are_never_given_up_for_routine_ones():
    # dropping proposal 1 would free the money for 2 and 3 (12 routine people), but proposal 1
    # alone can serve the crisis need (and 6 routine people beside it)
    x, y, z = community(NANYUAN, 1), community(NANYUAN, 2), community(NANYUAN, 3)
    needs = ([need(k, path=x) for k in range(1, 7)] + [need(k, path=y) for k in range(7, 13)]
             + [need(13, path=z, urgency="crisis")])
    p = problem(needs,
                [proposal(1, paths=[x, z], budget=1600, capacity=8),
                 proposal(2, paths=[x], budget=1500, capacity=6),
                 proposal(3, paths=[y], budget=1500, capacity=6)],
                [fund(1, available=3000)])
    h, e = match(p, method="heuristic"), match(p, method="exact")
    assert verify(p, h) == []
    assert h.stats["people"] == e.stats["people"] == {"crisis": 1, "priority": 0, "routine": 6}


def test_the_search_only_improves_and_keeps_the_money_whole():
    p = generate(120, seed=2, time_limit=20)
    graph = max(Graph.build(p).components(), key=lambda g: len(g.proposals))
    base = heuristic.solve(graph, time.perf_counter() + 10, with_bounds=False)
    before = urgency_people(graph, base.assign)
    assign, allocation, stats = neighbourhoods.improve(graph, base.assign, base.stats["allocation"],
                                                       work=200_000, deadline=time.perf_counter() + 60)
    assert urgency_people(graph, assign) >= before
    assert stats["models"] > 0 and not stats["stopped_by_time"]
    caps = {(pi, fi): c for pi, fi, c in graph.pay}
    used = [0] * len(graph.funds)
    for pi, needs in assign.items():
        assert sum(graph.needs[ni].people for ni in needs) <= graph.proposals[pi].capacity
        assert sum(a for _, a in allocation[pi]) == graph.proposals[pi].budget
        for fi, a in allocation[pi]:
            assert 0 < a <= caps[(pi, fi)]
            used[fi] += a
    assert all(u <= f.available for u, f in zip(used, graph.funds))
    served = [ni for needs in assign.values() for ni in needs]
    assert len(served) == len(set(served))


def test_the_polished_heuristic_is_the_same_whatever_the_order():
    base = generate(80, seed=4, time_limit=20)
    first = match(base, method="heuristic")
    assert first.stats["parts"][0]["neighbourhoods"]["models"] > 0
    rng = random.Random(7)
    for _ in range(2):
        needs, props, funds = list(base.needs), list(base.proposals), list(base.funds)
        rng.shuffle(needs), rng.shuffle(props), rng.shuffle(funds)
        again = match(Problem(tuple(needs), tuple(props), tuple(funds), base.on, base.time_limit),
                      method="heuristic")
        assert again.matches == first.matches
