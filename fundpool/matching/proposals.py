"""The reserve pool of project proposals (公益项目储备库) and their lifecycle.

An organisation's proposal is entered as a draft, submitted, and reviewed by an admin:
accepted into the reserve (``in_reserve``) or rejected with a reason. From the reserve
the matching run and its approval take it on: matched → funded → completed. It may be
withdrawn while it waits (draft, submitted, in_reserve); it expires when its end date
passes while it waits in the reserve (``expire_ended``), when its match lapses (matched), or
when its grant lapses before completion (funded).
``TRANSITIONS`` is the whole graph; ``transition`` is the only way a status changes, and
each change lands in the audit log with who, when and why.

A proposal serves one or more pools (``area_codes``): a street serves all its
communities, a district all its streets. It sits in the reserve of the lowest pool whose
subtree holds every area it serves; the admins of that pool and above manage it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.db import utcnow
from fundpool.errors import Conflict, InvalidInput, NotFound
from fundpool.funds.models import CATEGORIES
from fundpool.ledger.money import check_minor
from fundpool.ledger.posting import today
from fundpool.ledger.queries import CodeRange
from fundpool.matching.lifecycle import Graph, check_transition
from fundpool.matching.models import Proposal, ProposalArea, ProposalCategory
from fundpool.paging import Page, keyset_page
from fundpool.pools.codes import Level
from fundpool.pools.models import Pool
from fundpool.pools.service import get_pool

TRANSITIONS: Graph = {
    "draft": frozenset({"submitted", "withdrawn"}),
    "submitted": frozenset({"in_reserve", "rejected", "withdrawn"}),
    "in_reserve": frozenset({"matched", "withdrawn", "expired"}),
    "matched": frozenset({"funded", "expired"}),
    "funded": frozenset({"completed", "expired"}),  # expired: the grant lapsed
    "rejected": frozenset(),
    "completed": frozenset(),
    "withdrawn": frozenset(),
    "expired": frozenset(),
}
TEXT_MAX = {"organisation": 200, "title": 200, "summary": 4000}
REASON_MAX = 500
MAX_DURATION_DAYS = 3660  # ten years
MAX_CAPACITY = 1_000_000


@dataclass(frozen=True, slots=True)
class NewProposal:
    organisation: str
    title: str
    categories: tuple[str, ...]
    area_codes: tuple[str, ...]
    budget: int  # CNY fen
    capacity: int  # people
    summary: str = ""
    duration_days: int | None = None
    start_date: date | None = None
    end_date: date | None = None


def pool_path(code: str, level: Level) -> tuple[str, ...]:
    """The codes from the city down to the pool. Codes nest by prefix (pools.codes): a
    district starts with its city's 4 digits, a street with its district's 6, a community
    with its street's 9, and a city code ends in 00."""
    if level is Level.CITY:
        return (code,)
    return (code[:4] + "00",) + tuple(code[:n] for n in (6, 9, 12)[:level.depth])


def _common_root(paths: Iterable[tuple[str, ...]]) -> str | None:
    """The deepest code on every path (their lowest common pool), or None."""
    paths = list(paths)
    common: str | None = None
    for depth in range(min(len(p) for p in paths)):
        codes = {p[depth] for p in paths}
        if len(codes) != 1:
            break
        common = codes.pop()
    return common


def _dates(new: NewProposal) -> tuple[int, date | None, date | None]:
    """(duration_days, start_date, end_date), from the days, or the dates, or both."""
    days, start, end = new.duration_days, new.start_date, new.end_date
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days <= 0):
        raise InvalidInput(f"duration_days must be a whole number above 0, got {days!r}",
                           "duration_days")
    if days is not None and days > MAX_DURATION_DAYS:
        raise InvalidInput(f"duration_days must be at most {MAX_DURATION_DAYS}", "duration_days")
    if end is not None and start is None:
        raise InvalidInput("an end_date needs a start_date", "start_date")
    if start is not None and end is not None:
        if end < start:
            raise InvalidInput(f"end_date {end} is before start_date {start}", "end_date")
        spanned = (end - start).days + 1
        if days is not None and days != spanned:
            raise InvalidInput(f"duration_days is {days}, but {start} to {end} is {spanned} "
                               "days; give one or make them agree", "duration_days")
        if spanned > MAX_DURATION_DAYS:
            raise InvalidInput(f"a proposal runs at most {MAX_DURATION_DAYS} days", "end_date")
        return spanned, start, end
    if days is None:
        raise InvalidInput("give duration_days, or start_date and end_date", "duration_days")
    return days, start, None if start is None else start + timedelta(days=days - 1)


def _check(session: Session, new: NewProposal) -> tuple[Pool, list[Pool], list[str], tuple]:
    """Check a proposal's values; return its reserve pool, areas, categories and dates."""
    for name, limit in TEXT_MAX.items():
        value = getattr(new, name)
        if name != "summary" and not value.strip():
            raise InvalidInput(f"{name} is required", name)
        if len(value) > limit:
            raise InvalidInput(f"{name} is longer than {limit} characters", name)
    categories = sorted(set(new.categories))
    if not categories:
        raise InvalidInput("a proposal serves at least one beneficiary category", "categories")
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        raise InvalidInput(f"unknown beneficiary categories: {', '.join(unknown)}; known: "
                           f"{', '.join(CATEGORIES)}", "categories")
    codes = sorted(set(new.area_codes))
    if not codes:
        raise InvalidInput("a proposal serves at least one pool (area_codes)", "area_codes")
    areas = [get_pool(session, code, field="area_codes") for code in codes]
    closed = next((area.code for area in areas if not area.is_open), None)
    if closed:
        raise Conflict(f"pool {closed} is closed; a proposal cannot serve it", "area_codes")
    root = _common_root(pool_path(a.code, a.level_enum) for a in areas)
    if root is None:
        raise InvalidInput("the areas served lie in more than one city", "area_codes")
    if isinstance(new.budget, bool) or not isinstance(new.budget, int):
        raise InvalidInput("budget must be an amount in fen", "budget")
    check_minor(new.budget, "budget")
    if isinstance(new.capacity, bool) or not isinstance(new.capacity, int) or new.capacity <= 0:
        raise InvalidInput(f"capacity must be a whole number of people above 0, got "
                           f"{new.capacity!r}", "capacity")
    if new.capacity > MAX_CAPACITY:
        raise InvalidInput(f"capacity must be at most {MAX_CAPACITY}", "capacity")
    return get_pool(session, root, field="area_codes"), areas, categories, _dates(new)


def _apply(proposal: Proposal, new: NewProposal, checked: tuple) -> None:
    pool, areas, categories, (days, start, end) = checked
    proposal.pool = pool
    proposal.organisation, proposal.title = new.organisation.strip(), new.title.strip()
    proposal.summary = new.summary
    proposal.budget, proposal.capacity = new.budget, new.capacity
    proposal.duration_days, proposal.start_date, proposal.end_date = days, start, end
    # Rows that stay are kept (not deleted and inserted again under the same key).
    kept_areas = {row.pool_id: row for row in proposal.areas}
    proposal.areas = [kept_areas.get(area.id) or ProposalArea(pool_id=area.id, pool=area)
                      for area in areas]
    kept_categories = {row.category: row for row in proposal.category_rows}
    proposal.category_rows = [kept_categories.get(c) or ProposalCategory(category=c)
                              for c in categories]


def _described(proposal: Proposal) -> dict:
    return {"pool_code": proposal.pool.code, "organisation": proposal.organisation,
            "title": proposal.title, "categories": proposal.categories,
            "area_codes": proposal.area_codes, "budget": proposal.budget,
            "capacity": proposal.capacity, "duration_days": proposal.duration_days,
            "start_date": str(proposal.start_date) if proposal.start_date else None,
            "end_date": str(proposal.end_date) if proposal.end_date else None}


def create_proposal(session: Session, actor: Actor, new: NewProposal) -> Proposal:
    """Enter a proposal as a draft."""
    checked = _check(session, new)
    now = utcnow()
    proposal = Proposal(status="draft", created_by=actor.name, created_at=now,
                        status_changed_at=now)
    _apply(proposal, new, checked)
    session.add(proposal)
    session.flush()
    record(session, actor, "proposal.create", "proposal", proposal.id, **_described(proposal))
    return proposal


def update_proposal(session: Session, actor: Actor, proposal: Proposal,
                    new: NewProposal) -> Proposal:
    """Replace a draft's values; once submitted, a proposal is no longer edited."""
    if proposal.status != "draft":
        raise Conflict(f"proposal {proposal.id} is {proposal.status}; only a draft can be "
                       "changed", "status")
    checked = _check(session, new)
    before = _described(proposal)
    _apply(proposal, new, checked)
    session.flush()
    record(session, actor, "proposal.update", "proposal", proposal.id, before=before,
           after=_described(proposal))
    return proposal


def get_proposal(session: Session, proposal_id: int, field: str = "proposal_id",
                 lock: bool = False) -> Proposal:
    stmt = select(Proposal).where(Proposal.id == proposal_id)
    if lock:
        stmt = stmt.with_for_update(of=Proposal).execution_options(populate_existing=True)
    proposal = session.scalar(stmt)
    if proposal is None:
        raise NotFound("there is no proposal {proposal}", field, proposal=proposal_id)
    return proposal


def list_proposals(session: Session, *, within: CodeRange | None = None,
                   status: str | None = None, category: str | None = None,
                   after: int | None = None, limit: int = 50) -> Page:
    """Proposals whose reserve pool lies in ``within``, a keyset page at a time."""
    stmt = select(Proposal)
    if within is not None:
        stmt = stmt.join(Proposal.pool).where(Pool.code.between(within.low, within.high))
    if status is not None:
        stmt = stmt.where(Proposal.status == status)
    if category is not None:
        stmt = stmt.where(exists().where(ProposalCategory.proposal_id == Proposal.id,
                                         ProposalCategory.category == category))
    return keyset_page(session, stmt, Proposal.id, after, limit)


def transition(session: Session, actor: Actor, proposal: Proposal, to: str,
               reason: str | None = None, on: date | None = None) -> Proposal:
    """Move a proposal along ``TRANSITIONS`` (the caller has it locked: ``get_proposal(...,
    lock=True)``). Submitting dates it (``on``, default today); a review records who and
    when; a rejection needs a reason. The audit log keeps every move."""
    check_transition(TRANSITIONS, "proposal", proposal.id, proposal.status, to)
    if to in ("submitted", "in_reserve"):
        _check_not_ended(proposal)
    if reason is not None and len(reason) > REASON_MAX:
        raise InvalidInput(f"reason is longer than {REASON_MAX} characters", "reason")
    now = utcnow()
    if to == "submitted":
        on = on or today()
        if on > today():
            raise InvalidInput(f"submitted_on {on} is in the future", "submitted_on")
        proposal.submitted_on = on
    if to == "rejected":
        if not (reason or "").strip():
            raise InvalidInput("a rejection needs a reason the organisation can read", "reason")
        proposal.rejection_reason = reason.strip()
    if to in ("in_reserve", "rejected"):
        proposal.reviewed_by, proposal.reviewed_at = actor.name, now
    before = proposal.status
    proposal.status, proposal.status_changed_at = to, now
    record(session, actor, "proposal.transition", "proposal", proposal.id, before=before,
           after=to, reason=reason, submitted_on=str(on) if to == "submitted" else None)
    return proposal


def has_ended(proposal: Proposal) -> bool:
    """Whether the project's last day is before today: it can no longer be carried out."""
    return proposal.end_date is not None and proposal.end_date < today()


def _check_not_ended(proposal: Proposal) -> None:
    """A project whose end date has passed can no longer be carried out, so it is neither
    submitted nor taken into the reserve: no run would ever match it (``inputs`` reads only
    proposals not ended), and it would wait there for nothing."""
    if has_ended(proposal):
        raise Conflict("proposal {proposal} ended on {end}; a project that is over cannot "
                       "enter the reserve", "end_date", proposal=proposal.id,
                       end=proposal.end_date)


def expire_ended(session: Session, actor: Actor, on: date | None = None) -> list[int]:
    """Proposals waiting in the reserve whose end date is before ``on`` (default today) expire:
    they can no longer be matched. Returns their ids; the scheduler runs this before each
    matching run, so the reserve shows only projects that can still happen."""
    on = on or today()
    ended = session.scalars(
        select(Proposal).where(Proposal.status == "in_reserve", Proposal.end_date < on)
        .order_by(Proposal.id).with_for_update(of=Proposal)
        .execution_options(populate_existing=True)).all()
    for proposal in ended:
        transition(session, actor, proposal, "expired",
                   f"its end date {proposal.end_date} has passed")
    return [proposal.id for proposal in ended]


def submit(session: Session, actor: Actor, proposal: Proposal,
           submitted_on: date | None = None) -> Proposal:
    return transition(session, actor, proposal, "submitted", on=submitted_on)


def review(session: Session, actor: Actor, proposal: Proposal, accept: bool,
           reason: str | None = None) -> Proposal:
    """An admin's review of a submitted proposal: into the reserve, or rejected with a reason."""
    return transition(session, actor, proposal, "in_reserve" if accept else "rejected", reason)


def withdraw(session: Session, actor: Actor, proposal: Proposal,
             reason: str | None = None) -> Proposal:
    return transition(session, actor, proposal, "withdrawn", reason)
