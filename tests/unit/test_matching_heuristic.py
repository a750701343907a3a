"""The fallback heuristic: feasible, and its bound is a true upper bound."""

import sys
from pathlib import Path

import pytest

from fundpool.matching.eligibility import Graph
from fundpool.matching.engine import match, verify
from fundpool.matching.solver import MoneyFlow
from tests.unit.test_matching_helpers import FUTIAN, SHATOU, community, fund, need, problem, proposal

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from matching_instances import generate


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_heuristic_is_feasible_and_within_its_gap(seed):
    p = generate(60, seed=seed, time_limit=20)
    h = match(p, method="heuristic")
    assert h.method == "heuristic" and not h.optimal
    assert verify(p, h) == []
    assert h.objective <= h.bound + 1e-6
    assert h.objective >= (1 - h.gap) * h.bound - 1e-6
    # its bound also bounds the exact optimum, stage by stage
    e = match(p, method="exact")
    for u in ("crisis", "priority", "routine"):
        assert e.stats["bounds"][u] >= e.stats["people"][u]
    k = next((u for u in ("crisis", "priority", "routine") if e.stats["people"][u] != h.stats["people"][u]), None)
    if k is not None:  # lexicographically the exact solution is never worse
        assert e.stats["people"][k] > h.stats["people"][k]
        assert h.stats["bounds"][k] >= e.stats["people"][k]
    else:
        assert h.stats["bounds"]["routine"] >= e.stats["people"]["routine"]


def test_heuristic_on_the_simple_cases():
    s = match(problem([need(1, urgency="crisis", category="disability"), need(2, people=50)],
                      [proposal(1, categories=("disability",), capacity=1), proposal(2, capacity=50)],
                      [fund(1, available=1000)]), method="heuristic")
    assert [m.proposal_id for m in s.matches] == [1]
    assert s.stats["people"]["crisis"] == 1 and s.stats["gaps"]["crisis"] == 0


def test_money_flow_reroutes_shares_to_fit_a_new_proposal():
    # proposal 1 may use the district fund and a city fund for disability; proposal 2 only the
    # district fund. Paid first, proposal 1 takes the district's money (more local); proposal 2
    # then fits only if proposal 1's share moves to the city fund.
    p = problem([need(1, category="disability"), need(2, path=community(SHATOU, 1))],
                [proposal(1, categories=("disability",), budget=1000), proposal(2, paths=[SHATOU], budget=1000)],
                [fund(1, path=FUTIAN, available=1000), fund(2, available=1000, categories=("disability",))])
    g = Graph.build(p)
    flow = MoneyFlow(g)
    assert flow.pay(0)
    assert flow.shares()[0] == [(0, 1000)]
    assert not flow.pay(1, reroute=False)
    assert flow.pay(1)
    shares = flow.shares()
    assert shares[0] == [(1, 1000)] and shares[1] == [(0, 1000)]
    assert flow.left == [0, 0]


@pytest.mark.parametrize("seed", [1, 4])
def test_relaxations_bound_the_proven_optimum(seed):
    from fundpool.matching.solver import coarse_bound, relaxation_bound
    p = generate(50, seed=seed, time_limit=30)
    e = match(p, method="exact")
    if not e.optimal:
        pytest.skip("the exact solver did not finish here")
    g = Graph.build(p)
    people = [e.stats["people"][u] for u in ("crisis", "priority", "routine")]
    for k in range(3):
        full, _ = relaxation_bound(g, k, [float(v) for v in people[:k]])
        coarse, _ = coarse_bound(g, k, [float(v) for v in people[:k]])
        assert full >= people[k] - 1e-6 and coarse >= people[k] - 1e-6
        assert coarse >= full - 1e-3 * max(1.0, full)  # the coarser model is never tighter


def test_heuristic_on_a_larger_instance_keeps_every_rule():
    p = generate(300, seed=5, time_limit=20)
    h = match(p, method="heuristic")
    assert verify(p, h) == []
    assert h.stats["parts"][0]["improving_moves"] >= 0
