"""The needs register over a real database: rules, listing, status graph, read-side inputs."""

from datetime import date, timedelta
from itertools import product

import pytest
from sqlalchemy import func, select

from fundpool.audit.models import AuditEvent
from fundpool.errors import Conflict, InvalidInput, NotFound
from fundpool.ledger.posting import today
from fundpool.ledger.queries import CodeRange
from fundpool.matching import needs
from fundpool.matching.lifecycle import IllegalTransition
from fundpool.matching.models import NEED_STATUSES, Need
from tests.factories import ACTOR

BINHE, NANHUA, BAIHUA = "440304001001", "440304001002", "440304002001"


def new(**changes) -> needs.NewNeed:
    values = dict(pool_code=BINHE, category="elderly_in_difficulty", people=12,
                  urgency="priority", estimated_cost=36_000_00, survey_date=date(2026, 11, 2),
                  note="独居老人助餐", survey_ref=None)
    return needs.NewNeed(**{**values, **changes})


def create(db, **changes) -> int:
    with db.transaction() as session:
        return needs.create_need(session, ACTOR, new(**changes)).id


def test_a_need_is_recorded_open_with_its_audit_event(db, shenzhen):
    need_id = create(db, survey_ref="NY-2026-001")
    with db.sessions() as session:
        need = needs.get_need(session, need_id)
        assert (need.pool.code, need.status, need.people, need.estimated_cost) == (
            BINHE, "open", 12, 36_000_00)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "need.create")).one()
        assert event.target_id == str(need_id)
        assert event.details["survey_ref"] == "NY-2026-001"


@pytest.mark.parametrize("changes, error, field", [
    ({"pool_code": "440304001"}, InvalidInput, "pool_code"),  # a street, not a community
    ({"pool_code": "440304"}, InvalidInput, "pool_code"),
    ({"pool_code": "440304001009"}, NotFound, "pool_code"),
    ({"category": "pets"}, InvalidInput, "category"),
    ({"urgency": "someday"}, InvalidInput, "urgency"),
    ({"people": 0}, InvalidInput, "people"),
    ({"people": -3}, InvalidInput, "people"),
    ({"estimated_cost": 0}, InvalidInput, "estimated_cost"),
    ({"survey_date": today() + timedelta(days=1)}, InvalidInput, "survey_date"),
    ({"note": "长" * 1001}, InvalidInput, "note"),
])
def test_bad_needs_are_refused_naming_the_field(db, shenzhen, snapshot, changes, error, field):
    before = snapshot()
    with pytest.raises(error) as raised:
        create(db, **changes)
    assert raised.value.field == field
    assert snapshot() == before


def test_a_closed_community_takes_no_needs(db, shenzhen):
    from fundpool.pools.service import close_pool
    with db.transaction() as session:
        close_pool(session, ACTOR, BAIHUA)
    with pytest.raises(Conflict, match="closed"):
        create(db, pool_code=BAIHUA)


def test_a_survey_ref_is_unique_per_community(db, shenzhen):
    create(db, survey_ref="S-1")
    create(db, pool_code=NANHUA, survey_ref="S-1")
    with pytest.raises(Conflict) as raised:
        create(db, survey_ref="S-1")
    assert raised.value.field == "survey_ref"


def test_listing_filters_and_pages(db, shenzhen):
    made = [create(db, pool_code=pool, category=category, urgency=urgency)
            for pool, category, urgency in product(
                (BINHE, NANHUA, BAIHUA), ("elderly_in_difficulty", "disability"),
                ("crisis", "routine"))]
    with db.sessions() as session:
        street = CodeRange("440304001", "440304001999")
        ids = [n.id for n in needs.list_needs(session, within=street, limit=100).items]
        assert len(ids) == 8 and ids == sorted(ids)
        crisis = needs.list_needs(session, urgency="crisis", category="disability").items
        assert {n.pool.code for n in crisis} == {BINHE, NANHUA, BAIHUA}
        seen, after = [], None
        while True:
            page = needs.list_needs(session, after=after, limit=5)
            seen += [n.id for n in page.items]
            if page.next_after is None:
                break
            after = page.next_after
        assert seen == made


ALLOWED = {("open", "matched"), ("open", "closed"), ("matched", "served"), ("matched", "open"),
           ("served", "closed")}


def test_the_status_graph_is_exactly_the_documented_one():
    assert {(a, b) for a, nexts in needs.TRANSITIONS.items() for b in nexts} == ALLOWED
    assert set(needs.TRANSITIONS) == set(NEED_STATUSES)


@pytest.mark.parametrize("current, requested",
                         sorted(set(product(NEED_STATUSES, NEED_STATUSES)) - ALLOWED))
def test_every_illegal_status_change_is_refused(db, shenzhen, current, requested):
    need_id = create(db)
    with db.transaction() as session:
        session.get(Need, need_id).status = current
    with pytest.raises(IllegalTransition) as raised, db.transaction() as session:
        needs.change_status(session, ACTOR, need_id, requested)
    assert (raised.value.current, raised.value.requested) == (current, requested)
    assert f"is {current}; it cannot become {requested}" in raised.value.message
    with db.sessions() as session:
        assert session.get(Need, need_id).status == current


def test_legal_status_changes_are_recorded(db, shenzhen):
    need_id = create(db)
    for status in ("matched", "served", "closed"):
        with db.transaction() as session:
            needs.change_status(session, ACTOR, need_id, status, reason="上门服务完成")
    with db.sessions() as session:
        assert session.get(Need, need_id).status == "closed"
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "need.status")) == 3


def test_an_unknown_status_is_invalid_input(db, shenzhen):
    need_id = create(db)
    with pytest.raises(InvalidInput) as raised, db.transaction() as session:
        needs.change_status(session, ACTOR, need_id, "lost")
    assert raised.value.field == "status"
