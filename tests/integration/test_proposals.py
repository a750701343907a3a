"""The reserve pool of proposals over a real database: rules, reserve pool, lifecycle,
and what a matching run reads (load_inputs)."""

from datetime import date, timedelta
from itertools import product

import pytest
from sqlalchemy import select

from fundpool.audit.models import AuditEvent
from fundpool.errors import Conflict, InvalidInput, NotFound
from fundpool.ledger.posting import today
from fundpool.ledger.queries import CodeRange
from fundpool.matching import needs, proposals
from fundpool.matching.inputs import NeedInput, load_inputs
from fundpool.matching.lifecycle import IllegalTransition
from fundpool.matching.models import PROPOSAL_STATUSES, Proposal
from fundpool.pools.codes import Level
from fundpool.pools.service import close_pool
from tests.factories import ACTOR

BINHE, NANHUA, BAIHUA = "440304001001", "440304001002", "440304002001"


def new(**changes) -> proposals.NewProposal:
    values = dict(organisation="深圳市福田区南园社工服务中心", title="长者助餐与探访",
                  summary="为独居长者每周送餐三次并上门探访", categories=("elderly_in_difficulty",),
                  area_codes=(BINHE,), budget=120_000_00, capacity=40, duration_days=180)
    return proposals.NewProposal(**{**values, **changes})


def create(db, **changes) -> int:
    with db.transaction() as session:
        return proposals.create_proposal(session, ACTOR, new(**changes)).id


def move(db, proposal_id, *statuses, reason="理由"):
    for status in statuses:
        with db.transaction() as session:
            proposal = proposals.get_proposal(session, proposal_id, lock=True)
            proposals.transition(session, ACTOR, proposal, status,
                                 reason=reason if status == "rejected" else None)


def read(db, proposal_id) -> Proposal:
    with db.sessions() as session:
        return proposals.get_proposal(session, proposal_id)


def test_pool_paths_run_from_the_city_down():
    assert proposals.pool_path("440300", Level.CITY) == ("440300",)
    assert proposals.pool_path("440304", Level.DISTRICT) == ("440300", "440304")
    assert proposals.pool_path("440304001", Level.STREET) == ("440300", "440304", "440304001")
    assert proposals.pool_path(BINHE, Level.COMMUNITY) == (
        "440300", "440304", "440304001", BINHE)


@pytest.mark.parametrize("areas, reserve", [
    ((BINHE,), BINHE),
    ((BINHE, NANHUA), "440304001"),
    (("440304001",), "440304001"),
    ((BINHE, BAIHUA), "440304"),
    (("440304001", "440303001"), "440300"),
])
def test_a_proposal_sits_in_the_lowest_pool_holding_all_its_areas(db, shenzhen, areas, reserve):
    proposal = read(db, create(db, area_codes=areas))
    assert proposal.pool.code == reserve
    assert proposal.area_codes == sorted(areas)
    assert proposal.status == "draft"


def test_dates_or_days_give_the_duration(db, shenzhen):
    by_dates = read(db, create(db, duration_days=None, start_date=date(2027, 1, 1),
                               end_date=date(2027, 3, 31)))
    assert by_dates.duration_days == 90
    from_start = read(db, create(db, duration_days=10, start_date=date(2027, 1, 1)))
    assert from_start.end_date == date(2027, 1, 10)


@pytest.mark.parametrize("changes, error, field", [
    ({"categories": ()}, InvalidInput, "categories"),
    ({"categories": ("elderly_in_difficulty", "pets")}, InvalidInput, "categories"),
    ({"area_codes": ()}, InvalidInput, "area_codes"),
    ({"area_codes": ("440304009",)}, NotFound, "area_codes"),
    ({"budget": 0}, InvalidInput, "budget"),
    ({"budget": -100}, InvalidInput, "budget"),
    ({"capacity": 0}, InvalidInput, "capacity"),
    ({"duration_days": 0}, InvalidInput, "duration_days"),
    ({"duration_days": None}, InvalidInput, "duration_days"),
    ({"duration_days": None, "end_date": date(2027, 1, 1)}, InvalidInput, "start_date"),
    ({"duration_days": None, "start_date": date(2027, 2, 1), "end_date": date(2027, 1, 1)},
     InvalidInput, "end_date"),
    ({"duration_days": 5, "start_date": date(2027, 1, 1), "end_date": date(2027, 1, 31)},
     InvalidInput, "duration_days"),
    ({"organisation": " "}, InvalidInput, "organisation"),
    ({"title": "题" * 201}, InvalidInput, "title"),
])
def test_bad_proposals_are_refused_naming_the_field(db, shenzhen, snapshot, changes, error,
                                                    field):
    before = snapshot()
    with pytest.raises(error) as raised:
        create(db, **changes)
    assert raised.value.field == field
    assert snapshot() == before


def test_a_closed_pool_cannot_be_served(db, shenzhen):
    with db.transaction() as session:
        close_pool(session, ACTOR, BAIHUA)
    with pytest.raises(Conflict) as raised:
        create(db, area_codes=(BAIHUA,))
    assert raised.value.field == "area_codes"


def test_a_draft_is_updated_and_nothing_else_is(db, shenzhen):
    proposal_id = create(db)
    with db.transaction() as session:
        proposals.update_proposal(session, ACTOR, proposals.get_proposal(session, proposal_id),
                                  new(area_codes=(BINHE, NANHUA), categories=(
                                      "elderly_in_difficulty", "disability"), capacity=60))
    updated = read(db, proposal_id)
    assert (updated.pool.code, updated.area_codes, updated.categories, updated.capacity) == (
        "440304001", [BINHE, NANHUA], ["disability", "elderly_in_difficulty"], 60)
    move(db, proposal_id, "submitted")
    with pytest.raises(Conflict, match="only a draft"), db.transaction() as session:
        proposals.update_proposal(session, ACTOR, proposals.get_proposal(session, proposal_id),
                                  new())


def test_review_records_who_and_when_and_a_rejection_needs_a_reason(db, shenzhen):
    accepted, rejected = create(db), create(db)
    move(db, accepted, "submitted", "in_reserve")
    move(db, rejected, "submitted")
    with pytest.raises(InvalidInput) as raised, db.transaction() as session:
        proposals.review(session, ACTOR, proposals.get_proposal(session, rejected), False, " ")
    assert raised.value.field == "reason"
    with db.transaction() as session:
        proposals.review(session, ACTOR, proposals.get_proposal(session, rejected), False,
                         "预算明细不全")
    shown = read(db, accepted)
    assert (shown.status, shown.reviewed_by, shown.submitted_on) == (
        "in_reserve", ACTOR.name, today())
    assert shown.reviewed_at is not None and shown.rejection_reason is None
    refused = read(db, rejected)
    assert (refused.status, refused.rejection_reason) == ("rejected", "预算明细不全")
    with db.sessions() as session:
        moves = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "proposal.transition", AuditEvent.target_id == str(rejected))
            .order_by(AuditEvent.id)).all()
        assert [(e.details["before"], e.details["after"]) for e in moves] == [
            ("draft", "submitted"), ("submitted", "rejected")]
        assert moves[1].details["reason"] == "预算明细不全"


def test_a_submission_date_cannot_be_in_the_future(db, shenzhen):
    proposal_id = create(db)
    with pytest.raises(InvalidInput) as raised, db.transaction() as session:
        proposals.submit(session, ACTOR, proposals.get_proposal(session, proposal_id),
                         today() + timedelta(days=1))
    assert raised.value.field == "submitted_on"
    assert read(db, proposal_id).status == "draft"


ALLOWED = {("draft", "submitted"), ("draft", "withdrawn"), ("submitted", "in_reserve"),
           ("submitted", "rejected"), ("submitted", "withdrawn"), ("in_reserve", "matched"),
           ("in_reserve", "withdrawn"), ("in_reserve", "expired"), ("matched", "funded"),
           ("matched", "expired"), ("funded", "completed"), ("funded", "expired")}


def test_the_lifecycle_is_exactly_the_documented_graph():
    assert {(a, b) for a, nexts in proposals.TRANSITIONS.items() for b in nexts} == ALLOWED
    assert set(proposals.TRANSITIONS) == set(PROPOSAL_STATUSES)


@pytest.mark.parametrize("current, requested",
                         sorted(set(product(PROPOSAL_STATUSES, PROPOSAL_STATUSES)) - ALLOWED))
def test_every_illegal_transition_is_refused(db, shenzhen, current, requested):
    proposal_id = create(db)
    with db.transaction() as session:
        proposal = session.get(Proposal, proposal_id)
        proposal.status = current
        proposal.rejection_reason = "x" if current == "rejected" else None
    with pytest.raises(IllegalTransition) as raised, db.transaction() as session:
        proposals.transition(session, ACTOR, proposals.get_proposal(session, proposal_id,
                                                                    lock=True),
                             requested, reason="r")
    assert (raised.value.current, raised.value.requested) == (current, requested)
    assert raised.value.field == "status"
    assert read(db, proposal_id).status == current


@pytest.mark.parametrize("path", [
    ("submitted", "in_reserve", "matched", "funded", "completed"),
    ("submitted", "in_reserve", "matched", "expired"),
    ("submitted", "in_reserve", "matched", "funded", "expired"),
    ("submitted", "in_reserve", "expired"),
    ("submitted", "in_reserve", "withdrawn"),
    ("submitted", "withdrawn"),
    ("withdrawn",),
])
def test_every_legal_path_runs(db, shenzhen, path):
    proposal_id = create(db)
    move(db, proposal_id, *path)
    assert read(db, proposal_id).status == path[-1]


def test_listing_by_reserve_pool_status_and_category(db, shenzhen):
    a = create(db)
    b = create(db, area_codes=(BAIHUA,), categories=("disability", "general_residents"))
    c = create(db, area_codes=(BINHE, BAIHUA), categories=("disability",))
    move(db, b, "submitted")
    with db.sessions() as session:
        def ids(**filters):
            return [p.id for p in proposals.list_proposals(session, **filters).items]
        assert ids() == [a, b, c]
        assert ids(within=CodeRange("440304001", "440304001999")) == [a]
        assert ids(within=CodeRange("440304", "440304999999")) == [a, b, c]
        assert ids(category="disability") == [b, c]
        assert ids(status="submitted") == [b]
        first = proposals.list_proposals(session, limit=2)
        assert first.next_after == b
        assert [p.id for p in proposals.list_proposals(session, after=b).items] == [c]


def test_load_inputs_gives_open_needs_and_reserve_proposals_with_paths(db, shenzhen):
    with db.transaction() as session:
        open_need = needs.create_need(session, ACTOR, needs.NewNeed(
            BINHE, "elderly_in_difficulty", 12, "crisis", 30_000_00, date(2026, 11, 1))).id
        closed = needs.create_need(session, ACTOR, needs.NewNeed(
            NANHUA, "disability", 3, "routine", 5_000_00, date(2026, 11, 1))).id
        needs.change_status(session, ACTOR, closed, "closed")
        later = needs.create_need(session, ACTOR, needs.NewNeed(
            BAIHUA, "disability", 3, "routine", 5_000_00, today())).id
    waiting = create(db, area_codes=("440304001", BAIHUA), categories=(
        "elderly_in_difficulty", "disability"))
    draft = create(db)
    ended = create(db, duration_days=None, start_date=date(2026, 1, 1),
                   end_date=date(2026, 6, 30))
    move(db, waiting, "submitted", "in_reserve")
    with db.transaction() as session:  # accepted while it ran, not yet expired
        session.get(Proposal, ended).status = "in_reserve"
    with db.sessions() as session:
        found_needs, found = load_inputs(session, date(2026, 11, 20))
    assert found_needs == [NeedInput(id=open_need, pool_path=(
        "440300", "440304", "440304001", BINHE), category="elderly_in_difficulty", people=12,
        urgency="crisis", estimated_cost=30_000_00, survey_date=date(2026, 11, 1))]
    assert later not in [n.id for n in found_needs] and draft not in [p.id for p in found]
    assert [p.id for p in found] == []  # submitted today, after the 20th
    with db.sessions() as session:
        found_needs, found = load_inputs(session, today())
    assert [n.id for n in found_needs] == [open_need, later]
    assert [p.id for p in found] == [waiting]  # the ended one is over
    proposal = found[0]
    assert proposal.pool_path == ("440300", "440304")
    assert proposal.area == frozenset({"440304001", BAIHUA})
    assert proposal.area_paths == (("440300", "440304", "440304001"),
                                   ("440300", "440304", "440304002", BAIHUA))
    assert proposal.categories == frozenset({"elderly_in_difficulty", "disability"})
    assert (proposal.budget, proposal.capacity, proposal.submitted_on) == (
        120_000_00, 40, today())


@pytest.mark.parametrize("statuses", [(), ("submitted",)])
def test_a_project_already_over_cannot_enter_the_reserve(db, shenzhen, statuses):
    """Submitting or accepting a project whose end date has passed is refused: no run would
    ever match it, so it would wait in the reserve for nothing."""
    ended = today() - timedelta(days=1)
    proposal_id = create(db, start_date=ended - timedelta(days=29), end_date=ended,
                         duration_days=None)
    with db.transaction() as session:
        proposal = session.get(Proposal, proposal_id)
        proposal.status = statuses[-1] if statuses else "draft"
    step = "in_reserve" if statuses else "submitted"
    with pytest.raises(Conflict) as raised, db.transaction() as session:
        proposals.transition(session, ACTOR, proposals.get_proposal(session, proposal_id,
                                                                    lock=True), step)
    assert raised.value.field == "end_date"
    assert str(ended) in raised.value.message
    assert read(db, proposal_id).status == (statuses[-1] if statuses else "draft")


def test_a_project_ending_today_still_enters_the_reserve(db, shenzhen):
    proposal_id = create(db, start_date=today() - timedelta(days=9), end_date=today(),
                         duration_days=None)
    move(db, proposal_id, "submitted", "in_reserve")
    assert read(db, proposal_id).status == "in_reserve"


def test_proposals_in_the_reserve_expire_once_their_end_date_has_passed(db, shenzhen):
    """The reserve keeps only projects that can still happen: a proposal waiting there past
    its end date expires, with the reason in the audit log; others are left alone."""
    ends_today = create(db, start_date=today() - timedelta(days=9), end_date=today(),
                        duration_days=None)
    open_ended = create(db)
    for proposal_id in (ends_today, open_ended):
        move(db, proposal_id, "submitted", "in_reserve")
    submitted = create(db, start_date=today() - timedelta(days=9), end_date=today(),
                       duration_days=None)
    move(db, submitted, "submitted")
    tomorrow = today() + timedelta(days=1)
    with db.transaction() as session:
        assert proposals.expire_ended(session, ACTOR, on=today()) == []
        assert proposals.expire_ended(session, ACTOR, on=tomorrow) == [ends_today]
    assert [read(db, p).status for p in (ends_today, open_ended, submitted)] == [
        "expired", "in_reserve", "submitted"]
    with db.sessions() as session:
        last = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "proposal.transition", AuditEvent.target_id == str(ends_today))
            .order_by(AuditEvent.id.desc())).first()
        assert (last.details["after"], last.details["reason"]) == (
            "expired", f"its end date {today()} has passed")
