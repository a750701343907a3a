"""What a matching run reads: the open needs and the proposals waiting in reserve.

Plain frozen values, each pool given as its path of codes from the city down, so the
engine can be fed without a session (``fundpool.matching.problem`` has its shapes).
``as_payer`` and ``as_candidate`` give one fund and one proposal the same shapes, so the
engine's eligibility rules can be asked again of a single match (at approval).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fundpool.funds.models import Fund
from fundpool.matching import problem
from fundpool.matching.models import Need, Proposal
from fundpool.matching.proposals import pool_path
from fundpool.pools.codes import Level
from fundpool.pools.models import Pool


@dataclass(frozen=True, slots=True)
class NeedInput:
    id: int
    pool_path: tuple[str, ...]  # city .. the need's community
    category: str
    people: int
    urgency: str
    estimated_cost: int  # CNY fen
    survey_date: date


@dataclass(frozen=True, slots=True)
class ProposalInput:
    id: int
    pool_path: tuple[str, ...]  # city .. the reserve pool it sits in
    categories: frozenset[str]
    area: frozenset[str]  # pool codes served; a street serves all its communities
    area_paths: tuple[tuple[str, ...], ...]  # the path of each code in ``area``, sorted
    budget: int  # CNY fen
    capacity: int
    duration_days: int
    start_date: date | None
    end_date: date | None
    submitted_on: date


def load_inputs(session: Session, on: date) -> tuple[list[NeedInput], list[ProposalInput]]:
    """Needs open on ``on`` (surveyed that day or before) and proposals in reserve (submitted
    by then, and not ended before it), each list by id; none in a closed pool (a merged
    community's open needs are surveyed again where its people now belong)."""
    needs = session.execute(
        select(Need.id, Pool.code, Pool.level, Need.category, Need.people, Need.urgency,
               Need.estimated_cost, Need.survey_date).join(Need.pool)
        .where(Need.status == "open", Need.survey_date <= on,
               # an anti-join on the few closed pools; a filter on the joined pool row
               # made reading 100,000 needs 1.5 s slower
               Need.pool_id.not_in(select(Pool.id).where(Pool.closed_at.is_not(None))))
        .order_by(Need.id)).all()
    proposals = session.scalars(
        select(Proposal).join(Pool, Pool.id == Proposal.pool_id)
        .where(Proposal.status == "in_reserve", Proposal.submitted_on <= on,
               or_(Proposal.end_date.is_(None), Proposal.end_date >= on),
               Pool.closed_at.is_(None))
        .order_by(Proposal.id)).all()
    return ([NeedInput(id=id_, pool_path=pool_path(code, Level(level)), category=category,
                       people=people, urgency=urgency, estimated_cost=cost, survey_date=day)
             for id_, code, level, category, people, urgency, cost, day in needs],
            [ProposalInput(
                id=p.id, pool_path=pool_path(p.pool.code, p.pool.level_enum),
                categories=frozenset(p.categories), area=frozenset(p.area_codes),
                area_paths=_area_paths(p), budget=p.budget, capacity=p.capacity,
                duration_days=p.duration_days,
                start_date=p.start_date, end_date=p.end_date, submitted_on=p.submitted_on)
             for p in proposals])


def as_payer(fund: Fund, available: int) -> problem.Fund:
    """A fund as the engine sees it, with ``available`` CNY fen (balance less holds)."""
    return problem.Fund(
        id=fund.id, code=fund.code, pool_path=pool_path(fund.pool.code, fund.pool.level_enum),
        available=available, categories=frozenset(fund.categories or ()),
        area=frozenset(fund.area_codes or ()), valid_from=fund.valid_from,
        valid_to=fund.valid_to, per_grant_limit=fund.per_grant_limit)


def as_candidate(proposal: Proposal) -> problem.Proposal:
    """A proposal as the engine sees it."""
    return problem.Proposal(
        id=proposal.id, categories=frozenset(proposal.categories),
        area=frozenset(proposal.area_codes), area_paths=_area_paths(proposal),
        budget=proposal.budget, capacity=proposal.capacity, submitted_on=proposal.submitted_on)


def _area_paths(proposal: Proposal) -> tuple[tuple[str, ...], ...]:
    return tuple(pool_path(a.pool.code, a.pool.level_enum)
                 for a in sorted(proposal.areas, key=lambda a: a.pool.code))
