"""Who may serve whom and who may pay for whom, each rule both ways."""

from datetime import timedelta

import pytest

from fundpool.matching.eligibility import Graph, may_pay, may_serve
from tests.unit.test_matching_helpers import (
    CITY,
    FUTIAN,
    NANSHAN,
    NANTOU,
    NANYUAN,
    ON,
    SHATOU,
    community,
    fund,
    need,
    problem,
    proposal,
)


def test_category_must_be_among_the_proposals():
    p = proposal(1, categories=("elderly_in_difficulty", "disability"))
    assert may_serve(p, need(1, category="disability"))
    assert not may_serve(p, need(2, category="left_behind_children"))


def test_need_must_lie_in_the_proposals_area():
    street_wide = proposal(1, paths=[NANYUAN])
    one_community = proposal(2, paths=[community(NANYUAN, 2)])
    assert may_serve(street_wide, need(1, path=community(NANYUAN, 7)))
    assert not may_serve(street_wide, need(2, path=community(SHATOU, 1)))
    assert may_serve(one_community, need(3, path=community(NANYUAN, 2)))
    assert not may_serve(one_community, need(4, path=community(NANYUAN, 1)))


def test_need_must_fit_the_capacity_whole():
    p = proposal(1, capacity=5)
    assert may_serve(p, need(1, people=5))
    assert not may_serve(p, need(2, people=6))


def test_fund_categories_must_include_all_of_the_proposals():
    p = proposal(1, categories=("elderly_in_difficulty", "disability"))
    assert may_pay(fund(1), p, ON)  # any category
    assert may_pay(fund(2, categories=("elderly_in_difficulty", "disability", "single_mothers")), p, ON)
    assert not may_pay(fund(3, categories=("elderly_in_difficulty",)), p, ON)


def test_proposal_area_must_lie_inside_the_funds_area():
    two_streets = proposal(1, paths=[NANYUAN, SHATOU])
    assert may_pay(fund(1, path=FUTIAN), two_streets, ON)
    assert not may_pay(fund(2, path=NANYUAN), two_streets, ON)  # a street fund: one street only
    assert may_pay(fund(3, path=NANYUAN), proposal(2, paths=[community(NANYUAN, 3)]), ON)
    assert not may_pay(fund(4, path=NANSHAN), two_streets, ON)  # another district
    # a named fund of the district restricted to one of its streets
    assert not may_pay(fund(5, path=FUTIAN, area=(NANYUAN[-1],)), two_streets, ON)
    assert may_pay(fund(6, path=FUTIAN, area=(NANYUAN[-1], SHATOU[-1])), two_streets, ON)
    assert may_pay(fund(7, path=CITY, area=(FUTIAN[-1],)), two_streets, ON)
    assert not may_pay(fund(8, path=CITY, area=(NANSHAN[-1],)), two_streets, ON)


@pytest.mark.parametrize("valid_from, valid_to, ok", [
    (None, None, True), (ON, ON, True), (ON - timedelta(days=1), None, True),
    (ON + timedelta(days=1), None, False), (None, ON - timedelta(days=1), False),
])
def test_validity_dates(valid_from, valid_to, ok):
    assert may_pay(fund(1, valid_from=valid_from, valid_to=valid_to), proposal(1), ON) is ok


def test_funds_without_money_or_with_a_zero_limit_pay_nothing():
    assert not may_pay(fund(1, available=0), proposal(1), ON)
    assert not may_pay(fund(2, limit=0), proposal(1), ON)


def test_graph_prunes_what_cannot_matter():
    g = Graph.build(problem(
        [need(1), need(2, path=community(NANTOU, 1)), need(3, category="disability")],
        [proposal(1), proposal(2, budget=50_000), proposal(3, categories=("single_mothers",))],
        [fund(1, available=10_000)]))
    assert [p.id for p in g.proposals] == [1]  # 2: not enough money anywhere; 3: no need to serve
    assert [n.id for n in g.needs] == [1]
    assert g.serve == [(0, 0)]


def test_components_split_by_shared_needs_and_funds():
    g = Graph.build(problem(
        [need(1), need(2, path=community(NANTOU, 1))],
        [proposal(1), proposal(2, paths=[NANTOU])],
        [fund(1, path=FUTIAN), fund(2, path=NANSHAN)]))
    assert len(g.components()) == 2
    g = Graph.build(problem(
        [need(1), need(2, path=community(NANTOU, 1))],
        [proposal(1), proposal(2, paths=[NANTOU])],
        [fund(1, path=CITY)]))
    assert len(g.components()) == 1


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="duplicate need"):
        Graph.build(problem([need(1), need(1)], [proposal(1)], [fund(1)]))
    with pytest.raises(ValueError, match="urgency"):
        Graph.build(problem([need(1, urgency="urgent")], [proposal(1)], [fund(1)]))
    with pytest.raises(ValueError, match="budget"):
        Graph.build(problem([need(1)], [proposal(1, budget=0)], [fund(1)]))
