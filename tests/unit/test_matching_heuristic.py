"""The fallback heuristic: feasible, and its bound is a true upper bound."""

import sys
from pathlib import Path

import pytest

from fundpool.matching.eligibility import Graph
from fundpool.matching.engine import match, verify
from fundpool.matching.solver import MoneyFlow
from tests.unit.test_matching_helpers import FUTIAN, NANYUAN, SHATOU, community, fund, need, problem, proposal

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


def _passed_over(extra_routine: bool):
    """A street proposal (cheaper a head) serves community 1's priority need first, leaving
    the community's own proposal, payable only by the community fund, nobody to serve. With
    ``extra_routine`` a routine need in community 2 waits for room in the street proposal."""
    a, b = community(NANYUAN, 1), community(NANYUAN, 2)
    needs = [need(1, path=a, urgency="priority")] + ([need(2, path=b)] if extra_routine else [])
    return problem(needs,
                   [proposal(1, paths=[NANYUAN], capacity=1, budget=1000),
                    proposal(2, paths=[a], capacity=1, budget=2000)],
                   [fund(1, path=NANYUAN, available=1000), fund(2, path=a, available=2000)])


def test_a_passed_over_proposal_is_funded_when_it_frees_room_for_another_need():
    p = _passed_over(extra_routine=True)
    s = match(p, method="heuristic")
    assert verify(p, s) == []
    assert s.stats["people"] == {"crisis": 0, "priority": 1, "routine": 1}
    served = {m.proposal_id: list(m.need_ids) for m in s.matches}
    assert served == {1: [2], 2: [1]}
    assert s.stats["parts"][0]["adopted"] == 1


def test_a_passed_over_proposal_that_would_serve_nobody_more_stays_unpaid():
    from fundpool.matching import adoption
    g = Graph.build(_passed_over(extra_routine=False))
    money = MoneyFlow(g)
    assert money.pay(0)
    assign, adopted = adoption.adopt(g, {0: [0]}, money, deadline=float("inf"))
    assert (assign, adopted) == ({0: [0]}, 0)
    assert money.left == [0, 2000] and money.shares() == {0: [(0, 1000)]}


def test_money_flow_unpays_the_last_proposal_paid():
    g = Graph.build(_passed_over(extra_routine=True))
    money = MoneyFlow(g)
    assert money.pay(0) and money.pay(1)
    money.unpay(1)
    assert money.left == [0, 2000] and money.shares() == {0: [(0, 1000)]}
    assert money.pay(1) and money.shares()[1] == [(1, 2000)]
