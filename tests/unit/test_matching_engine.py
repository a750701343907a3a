"""The engine on small hand-made inputs: objective, money rules, exact fen, determinism."""

import random
import sys
from pathlib import Path

import pytest

from fundpool.matching.engine import match, verify
from fundpool.matching.problem import Problem
from tests.unit.test_matching_helpers import CITY, FUTIAN, NANYUAN, ON, SHATOU, community, fund, need, problem, proposal

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from matching_instances import generate


def funded(solution):
    return {m.proposal_id: m for m in solution.matches}


def shares(m):
    return {s.fund_id: s.amount for s in m.shares}


def test_a_crisis_need_beats_any_number_of_routine_ones():
    needs = [need(1, urgency="crisis", people=1, category="disability")]
    needs += [need(100 + k, people=5) for k in range(40)]  # 200 routine people
    s = match(problem(needs, [proposal(1, categories=("disability",), capacity=1),
                              proposal(2, capacity=200)], [fund(1, available=1000)]))
    assert list(funded(s)) == [1]
    assert s.stats["people"] == {"crisis": 1, "priority": 0, "routine": 0}
    assert s.method == "exact" and s.optimal and s.gap == 0


def test_priority_before_routine_then_as_many_people_as_possible():
    needs = [need(1, urgency="priority", people=2), need(2, people=3), need(3, people=3), need(4, people=3)]
    s = match(problem(needs, [proposal(1, capacity=8)], [fund(1)]))
    m = funded(s)[1]
    assert 1 in m.need_ids and m.people == 8  # the priority need and two routine ones


def test_local_fund_is_used_before_the_city_fund():
    p = proposal(1, paths=[community(NANYUAN, 1)], budget=1000)
    funds = [fund(1, path=CITY, available=5000), fund(2, path=FUTIAN, available=5000),
             fund(3, path=NANYUAN, available=5000), fund(4, path=community(NANYUAN, 1), available=5000)]
    assert shares(funded(match(problem([need(1)], [p], funds)))[1]) == {4: 1000}
    assert shares(funded(match(problem([need(1)], [p], funds[:3])))[1]) == {3: 1000}
    # the community fund tops up first, the street fund pays the rest
    funds[3] = fund(4, path=community(NANYUAN, 1), available=400)
    assert shares(funded(match(problem([need(1)], [p], funds)))[1]) == {4: 400, 3: 600}


def test_cofunding_when_no_single_fund_suffices():
    s = match(problem([need(1)], [proposal(1, budget=1000)],
                      [fund(1, available=600), fund(2, path=FUTIAN, available=500)]))
    m = funded(s)[1]
    assert sum(shares(m).values()) == 1000 and set(shares(m)) == {1, 2}
    assert shares(m)[2] == 500  # the district fund before the city fund
    assert any(r.code == "co_funded" for r in m.reasons)


def test_per_grant_limit():
    s = match(problem([need(1)], [proposal(1, budget=1000)],
                      [fund(1, path=FUTIAN, available=10_000, limit=300), fund(2, available=10_000)]))
    assert shares(funded(s)[1]) == {1: 300, 2: 700}
    s = match(problem([need(1)], [proposal(1, budget=1000)], [fund(1, path=FUTIAN, available=10_000, limit=999)]))
    assert s.matches == ()


def test_validity_dates_keep_a_fund_out():
    from datetime import timedelta
    s = match(problem([need(1)], [proposal(1)], [fund(1, valid_to=ON - timedelta(days=1)),
                                                 fund(2, path=FUTIAN, valid_from=ON + timedelta(days=1))]))
    assert s.matches == ()
    s = match(problem([need(1)], [proposal(1)], [fund(1, valid_from=ON, valid_to=ON)]))
    assert shares(funded(s)[1]) == {1: 1000}


def test_capacity_holds_and_needs_are_served_whole():
    needs = [need(1, people=4), need(2, people=4), need(3, people=4)]
    m = funded(match(problem(needs, [proposal(1, capacity=10)], [fund(1)])))[1]
    assert len(m.need_ids) == 2 and m.people == 8


def test_all_or_nothing():
    assert match(problem([need(1)], [proposal(1, budget=1000)], [fund(1, available=999)])).matches == ()
    # two proposals, money for one: the one serving more people is funded in full
    s = match(problem([need(1, people=3), need(2, people=5, path=community(SHATOU, 1))],
                      [proposal(1, budget=1000), proposal(2, paths=[SHATOU], budget=1000)],
                      [fund(1, available=1500)]))
    assert list(funded(s)) == [2] and shares(funded(s)[2]) == {1: 1000}


def test_a_proposal_without_a_need_is_not_funded():
    s = match(problem([need(1, category="disability")], [proposal(1)], [fund(1)]))
    assert s.matches == ()


def test_exact_fen_with_awkward_budgets():
    # 100001 fen split three ways, each fund held at its limit or its money
    s = match(problem([need(1)], [proposal(1, budget=100_001)],
                      [fund(1, available=10**9, limit=33_334), fund(2, available=10**9, limit=33_334),
                       fund(3, available=33_334)]))
    m = funded(s)[1]
    assert sum(shares(m).values()) == 100_001
    assert all(a <= 33_334 for a in shares(m).values())
    # several proposals sharing funds that only just suffice
    needs = [need(k, path=community(NANYUAN, k)) for k in range(1, 4)]
    props = [proposal(k, paths=[community(NANYUAN, k)], budget=b) for k, b in ((1, 33_333), (2, 33_334), (3, 33_337))]
    funds = [fund(1, available=50_002), fund(2, path=FUTIAN, available=50_002)]
    s = match(problem(needs, props, funds))
    assert len(s.matches) == 3 and not verify(problem(needs, props, funds), s)
    drawn = {}
    for m in s.matches:
        assert sum(shares(m).values()) == {1: 33_333, 2: 33_334, 3: 33_337}[m.proposal_id]
        for f, a in shares(m).items():
            drawn[f] = drawn.get(f, 0) + a
    assert drawn == {1: 100_004 - 50_002, 2: 50_002}


def test_hand_checked_instance_with_a_known_optimum():
    # street 南园 (two communities) and 沙头; one city fund of 3,000 and a street fund of 1,000
    needs = [need(1, people=2, urgency="crisis"), need(2, people=3, urgency="priority"),
             need(3, people=4), need(4, people=6, path=community(NANYUAN, 2)),
             need(5, people=5, path=community(SHATOU, 1)), need(6, people=1, path=community(SHATOU, 1), urgency="priority")]
    props = [proposal(1, paths=[community(NANYUAN, 1)], budget=1500, capacity=9),   # can take 1,2,3
             proposal(2, paths=[NANYUAN], budget=2000, capacity=8),                 # 1..4 (capacity 8)
             proposal(3, paths=[SHATOU], budget=1000, capacity=6),                  # 5, 6
             proposal(4, paths=[NANYUAN, SHATOU], budget=2500, capacity=20)]        # all
    funds = [fund(1, available=3000), fund(2, path=NANYUAN, available=1000)]
    # By hand: the street fund can pay only for 1 or 2, proposal 4 only from the city fund.
    # {4} alone: capacity 20 holds 2 + 3 + 1 and at most 11 routine people -> (2, 4, 11);
    # {1, 3}: 2,500 -> (2, 4, 9); {2, 4} needs 3,500 of the city's 3,000; {1, 4}: proposal 1 from
    # the street's 1,000 and 500 of the city's, proposal 4 from 2,500 of the city's, needs 1-3 to
    # proposal 1 (or 3 to either) and 4-6 to proposal 4: every need served, (2, 4, 15), the unique optimum.
    s = match(problem(needs, props, funds))
    assert s.optimal and s.gap == 0
    assert s.stats["people"] == {"crisis": 2, "priority": 4, "routine": 15}
    got = funded(s)
    assert sorted(got) == [1, 4]
    assert sorted(got[1].need_ids + got[4].need_ids) == [1, 2, 3, 4, 5, 6]
    assert {4, 5, 6} <= set(got[4].need_ids)  # only proposal 4 reaches them
    assert shares(got[1]) == {2: 1000, 1: 500} and shares(got[4]) == {1: 2500}
    assert s.objective == s.bound == 2 * 10_000 + 4 * 100 + 15


def test_determinism_under_shuffles():
    base = generate(25, seed=3, time_limit=20)
    first = match(base)
    assert first.matches
    rng = random.Random(5)
    for _ in range(3):
        needs, props, funds = list(base.needs), list(base.proposals), list(base.funds)
        rng.shuffle(needs), rng.shuffle(props), rng.shuffle(funds)
        again = match(Problem(tuple(needs), tuple(props), tuple(funds), base.on, base.time_limit))
        assert again.matches == first.matches
        assert again.stats["people"] == first.stats["people"]


def test_small_inputs_run_in_milliseconds():
    s = match(problem([need(1), need(2, people=3)], [proposal(1)], [fund(1)]))
    assert s.seconds < 0.5 and s.optimal


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_instances_keep_every_rule(seed):
    p = generate(40, seed=seed, time_limit=20)
    s = match(p)
    assert verify(p, s) == []
    assert s.objective <= s.bound + 1e-6
    assert s.objective >= (1 - s.gap) * s.bound - 1e-6
