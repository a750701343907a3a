"""The needs register (需求): what door-to-door surveys found, one community at a time.

A need is a number of people of one beneficiary category in one community, with an
urgency on the three-level response scale (crisis / priority / routine), an estimated
cost and the day of the survey. Its status moves open → matched → served → closed, or
open → closed, and a matched need whose match lapses returns to open; ``TRANSITIONS`` is
the whole graph. Needs come one by one from an admin
or in bulk from a survey file (``fundpool.matching.survey``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.db import utcnow
from fundpool.errors import Conflict, InvalidInput, NotFound
from fundpool.funds.models import CATEGORIES
from fundpool.ledger.money import check_minor
from fundpool.ledger.posting import today
from fundpool.ledger.queries import CodeRange
from fundpool.matching.lifecycle import Graph, check_transition
from fundpool.matching.models import URGENCIES, Need
from fundpool.matching.run_models import RunMatch, RunMatchNeed
from fundpool.paging import Page, keyset_page
from fundpool.pools.codes import Level
from fundpool.pools.models import Pool
from fundpool.pools.service import get_pool

TRANSITIONS: Graph = {
    "open": frozenset({"matched", "closed"}),
    "matched": frozenset({"served", "open"}),  # open: its match lapsed or was cancelled
    "served": frozenset({"closed"}),
    "closed": frozenset(),
}
NOTE_MAX = 1000
REF_MAX = 60
MAX_PEOPLE = 1_000_000


@dataclass(frozen=True, slots=True)
class NewNeed:
    pool_code: str  # a community
    category: str
    people: int
    urgency: str
    estimated_cost: int  # CNY fen
    survey_date: date
    note: str = ""
    survey_ref: str | None = None  # the survey's own number, unique per community


def check_need(new: NewNeed, pool: Pool, on: date | None = None) -> None:
    """Every rule a need must meet besides its pool existing (found by the caller)."""
    if pool.level_enum is not Level.COMMUNITY:
        raise InvalidInput(f"pool {pool.code} ({pool.name}) is a {pool.level}; a need belongs "
                           "to a community (a 12-digit code)", "pool_code")
    if not pool.is_open:
        raise Conflict(f"community {pool.code} is closed", "pool_code")
    if new.category not in CATEGORIES:
        raise InvalidInput(f"unknown beneficiary category {new.category!r}; known: "
                           f"{', '.join(CATEGORIES)}", "category")
    if new.urgency not in URGENCIES:
        raise InvalidInput(f"urgency must be one of {', '.join(URGENCIES)}, got "
                           f"{new.urgency!r}", "urgency")
    if isinstance(new.people, bool) or not isinstance(new.people, int) or new.people <= 0:
        raise InvalidInput(f"people must be a whole number above 0, got {new.people!r}", "people")
    if new.people > MAX_PEOPLE:
        raise InvalidInput(f"people must be at most {MAX_PEOPLE}", "people")
    check_minor(new.estimated_cost, "estimated_cost")
    on = on or today()
    if new.survey_date > on:
        raise InvalidInput(f"survey_date {new.survey_date} is in the future (today is {on})",
                           "survey_date")
    if len(new.note) > NOTE_MAX:
        raise InvalidInput(f"note is longer than {NOTE_MAX} characters", "note")
    if new.survey_ref is not None and not 1 <= len(new.survey_ref) <= REF_MAX:
        raise InvalidInput(f"survey_ref is 1 to {REF_MAX} characters", "survey_ref")


def build_need(new: NewNeed, pool: Pool, actor: Actor, import_job_id: int | None = None) -> Need:
    now = utcnow()
    return Need(pool=pool, category=new.category, people=new.people, urgency=new.urgency,
                estimated_cost=new.estimated_cost, survey_date=new.survey_date,
                survey_ref=new.survey_ref, note=new.note, status="open",
                import_job_id=import_job_id, created_by=actor.name, created_at=now,
                status_changed_at=now)


def create_need(session: Session, actor: Actor, new: NewNeed) -> Need:
    pool = get_pool(session, new.pool_code, field="pool_code")
    check_need(new, pool)
    if new.survey_ref is not None and recorded_ref(session, pool.id, new.survey_ref):
        raise Conflict(f"community {pool.code} already has a need with survey_ref "
                       f"{new.survey_ref}", "survey_ref")
    need = build_need(new, pool, actor)
    session.add(need)
    try:
        session.flush()
    except IntegrityError:  # the same survey_ref, recorded meanwhile
        raise Conflict(f"community {pool.code} already has a need with survey_ref "
                       f"{new.survey_ref}", "survey_ref") from None
    record(session, actor, "need.create", "need", need.id, pool_code=pool.code,
           category=new.category, people=new.people, urgency=new.urgency,
           estimated_cost=new.estimated_cost, survey_ref=new.survey_ref)
    return need


def recorded_ref(session: Session, pool_id: int, survey_ref: str) -> bool:
    return session.scalar(select(Need.id).where(Need.pool_id == pool_id,
                                                Need.survey_ref == survey_ref)) is not None


def get_need(session: Session, need_id: int, field: str = "need_id", lock: bool = False) -> Need:
    stmt = select(Need).where(Need.id == need_id)
    if lock:
        stmt = stmt.with_for_update(of=Need).execution_options(populate_existing=True)
    need = session.scalar(stmt)
    if need is None:
        raise NotFound("there is no need {need}", field, need=need_id)
    return need


def holding_grant(session: Session, need_id: int) -> int | None:
    """The approved match (a grant still being paid) that serves the need, if any."""
    return session.scalar(select(RunMatch.id).join(RunMatchNeed).where(
        RunMatchNeed.need_id == need_id, RunMatch.status == "approved"))


def list_needs(session: Session, *, within: CodeRange | None = None, category: str | None = None,
               urgency: str | None = None, status: str | None = None,
               after: int | None = None, limit: int = 50) -> Page:
    stmt = select(Need)
    if within is not None:
        stmt = stmt.join(Need.pool).where(Pool.code.between(within.low, within.high))
    if category is not None:
        stmt = stmt.where(Need.category == category)
    if urgency is not None:
        stmt = stmt.where(Need.urgency == urgency)
    if status is not None:
        stmt = stmt.where(Need.status == status)
    return keyset_page(session, stmt, Need.id, after, limit)


def change_status(session: Session, actor: Actor, need_id: int, to: str,
                  reason: str | None = None, may_change: Callable[[Need], None] | None = None,
                  by_match: int | None = None) -> Need:
    """Move a need along ``TRANSITIONS``; ``may_change`` (e.g. a scope check) sees the need
    first. The row is locked, so two changes at once cannot both pass the check.

    A need held by a grant (an approved match) moves only with that grant: its approval,
    completion or cancellation passes ``by_match``. Moved by anyone else, the grant could
    no longer be completed or cancelled (its money stuck on hold), or a reopened need could
    be granted twice."""
    need = get_need(session, need_id, lock=True)
    if may_change is not None:
        may_change(need)
    grant = holding_grant(session, need.id)
    if grant is not None and grant != by_match:
        raise Conflict("need {need} belongs to match {match}, an approved grant; complete or "
                       "cancel match {match} first", "need_id", need=need.id, match=grant)
    check_transition(TRANSITIONS, "need", need.id, need.status, to)
    before = need.status
    need.status, need.status_changed_at = to, utcnow()
    record(session, actor, "need.status", "need", need.id, before=before, after=to,
           reason=reason)
    return need
