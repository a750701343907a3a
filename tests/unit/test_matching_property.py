"""Property: whatever the input, a solution keeps every rule (exact and heuristic alike)."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundpool.matching.engine import match, verify
from fundpool.matching.problem import Fund, Need, Problem, Proposal
from tests.unit.test_matching_helpers import CITY, FUTIAN, NANSHAN, NANTOU, NANYUAN, ON, SHATOU, community

STREETS = [NANYUAN, SHATOU, NANTOU]
COMMUNITIES = [community(s, k) for s in STREETS for k in (1, 2)]
POOLS = [CITY, FUTIAN, NANSHAN] + STREETS + COMMUNITIES
CATS = ["elderly_in_difficulty", "disability", "single_mothers"]


@st.composite
def problems(draw):
    needs = tuple(Need(id=i + 1, pool_path=draw(st.sampled_from(COMMUNITIES)), category=draw(st.sampled_from(CATS)),
                       people=draw(st.integers(1, 6)), urgency=draw(st.sampled_from(["crisis", "priority", "routine"])),
                       estimated_cost=100, survey_date=ON - timedelta(days=draw(st.integers(0, 400))))
                  for i in range(draw(st.integers(0, 8))))
    proposals = []
    for j in range(draw(st.integers(0, 5))):
        area = draw(st.lists(st.sampled_from(STREETS + COMMUNITIES), min_size=1, max_size=2, unique=True))
        proposals.append(Proposal(id=j + 1, categories=frozenset(draw(st.sets(st.sampled_from(CATS), min_size=1))),
                                  area=frozenset(a[-1] for a in area), area_paths=tuple(area),
                                  budget=draw(st.integers(1, 5000)), capacity=draw(st.integers(1, 12)),
                                  submitted_on=ON))
    funds = []
    for k in range(draw(st.integers(0, 5))):
        path = draw(st.sampled_from(POOLS))
        below = [p[-1] for p in POOLS if len(p) > len(path) and p[:len(path)] == path]
        area = frozenset(draw(st.lists(st.sampled_from(below), max_size=2))) if below and draw(st.booleans()) else frozenset()
        funds.append(Fund(id=k + 1, code=f"F{k}", pool_path=path, available=draw(st.integers(0, 8000)),
                          categories=frozenset(draw(st.sets(st.sampled_from(CATS), max_size=2))), area=area,
                          valid_from=draw(st.sampled_from([None, ON - timedelta(days=5), ON + timedelta(days=1)])),
                          valid_to=draw(st.sampled_from([None, ON, ON - timedelta(days=1)])),
                          per_grant_limit=draw(st.sampled_from([None, None, 1, 777, 2500]))))
    return Problem(needs, tuple(proposals), tuple(funds), ON, time_limit=10.0)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_any_solution_keeps_every_rule(problem):
    for method in ("exact", "heuristic"):
        s = match(problem, method=method)
        assert verify(problem, s) == []
        assert s.objective <= s.bound + 1e-6
        assert s.objective >= (1 - s.gap) * s.bound - 1e-6
    exact = match(problem, method="exact")
    heur = match(problem, method="heuristic")
    if exact.optimal:
        e = [exact.stats["people"][u] for u in ("crisis", "priority", "routine")]
        h = [heur.stats["people"][u] for u in ("crisis", "priority", "routine")]
        assert e >= h  # lexicographic
