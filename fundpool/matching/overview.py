"""Reading runs and grants for people: the newest runs first, the grants in a subtree, and
for one grant what each paying fund still holds for it and has paid.

An approved (or completed) match is a grant. What a fund *holds* for it is its leg of the
grant's current hold; what it *paid* is read from the ledger's disbursement entries
(``reports.grant_payments``), so these figures never disagree with the books.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundpool.audit.models import AuditEvent
from fundpool.audit.query import AuditFilter, events_select
from fundpool.funds.models import Fund
from fundpool.ledger import holds
from fundpool.ledger.queries import CodeRange
from fundpool.matching.models import Proposal
from fundpool.matching.run_models import MatchingRun, RunMatch
from fundpool.paging import Page, keyset_page
from fundpool.pools.models import Pool
from fundpool.reports.grant_payments import grant_payments

GRANT_STATUSES = ("approved", "completed", "cancelled")


@dataclass(frozen=True, slots=True)
class FundMoney:
    """One paying fund's part of a grant (CNY fen)."""

    fund: Fund
    share: int  # what the run asked of it
    held: int  # what its hold still keeps for the grant
    paid: int  # what has left its bank account for the grant


def recent_runs(session: Session, before: int | None = None, limit: int = 20) -> Page:
    """Runs newest first, a keyset page at a time (``before``: the last id seen)."""
    stmt = select(MatchingRun)
    if before is not None:
        stmt = stmt.where(MatchingRun.id < before)
    rows = session.scalars(stmt.order_by(MatchingRun.id.desc()).limit(limit + 1)).all()
    items = rows[:limit]
    return Page(items, items[-1].id if len(rows) > limit else None)


def match_counts(session: Session, run_ids: list[int]) -> dict[int, int]:
    """How many matches each run proposed, counted in the database: a city's run proposes
    thousands, which loading to count would read with all their needs."""
    return dict(session.execute(select(RunMatch.run_id, func.count()).where(
        RunMatch.run_id.in_(run_ids)).group_by(RunMatch.run_id)).all()) if run_ids else {}


def list_grants(session: Session, *, within: CodeRange | None = None,
                status: str | None = None, after: int | None = None,
                limit: int = 50) -> Page:
    """Grants (approved, completed or cancelled matches) whose proposal's reserve pool lies
    in ``within``, oldest first."""
    stmt = select(RunMatch).where(RunMatch.status.in_((status,) if status else GRANT_STATUSES))
    return keyset_page(session, _in_area(stmt, within), RunMatch.id, after, limit)


def run_matches(session: Session, run_id: int, *, within: CodeRange | None = None,
                after: int | None = None, limit: int = 50) -> Page:
    """One run's matches whose proposal's reserve pool lies in ``within``, in the order the
    run made them, a keyset page at a time: a city's nightly run may propose thousands."""
    stmt = select(RunMatch).where(RunMatch.run_id == run_id)
    return keyset_page(session, _in_area(stmt, within), RunMatch.id, after, limit)


def _in_area(stmt, within: CodeRange | None):
    """Matches whose proposal's reserve pool lies in ``within`` (all of them for None)."""
    if within is None:
        return stmt
    return (stmt.join(Proposal, Proposal.id == RunMatch.proposal_id)
            .join(Pool, Pool.id == Proposal.pool_id)
            .where(Pool.code.between(within.low, within.high)))


def fund_money(session: Session, match: RunMatch) -> list[FundMoney]:
    """Each paying fund's share, what it holds now and what it has paid, in share order."""
    held: dict[int, int] = {}
    if match.hold_id is not None:
        for leg in holds.get_hold(session, match.hold_id).legs:
            held[leg.account.fund_id] = held.get(leg.account.fund_id, 0) + leg.amount
    paid: dict[int, int] = {}
    for row in grant_payments(session, None, date.max, proposal_id=match.proposal_id):
        if row.match_id == match.id:
            paid[row.fund_id] = paid.get(row.fund_id, 0) + row.amount
    return [FundMoney(share.fund, share.amount, held.get(share.fund_id, 0),
                      paid.get(share.fund_id, 0)) for share in match.shares]


@dataclass(frozen=True, slots=True)
class Step:
    """One move of a proposal's lifecycle, from the audit log."""

    at: datetime
    by: str
    before: str | None  # None: the proposal was entered
    after: str
    reason: str | None


def proposal_history(session: Session, proposal_id: int) -> list[Step]:
    """Every status a proposal has had, who moved it and why, oldest first."""
    events = session.scalars(events_select(AuditFilter(
        target_type="proposal", target_id=str(proposal_id))).order_by(AuditEvent.id))
    steps = []
    for event in events:
        if event.action == "proposal.create":
            steps.append(Step(event.occurred_at, event.actor, None, "draft", None))
        elif event.action == "proposal.transition":
            steps.append(Step(event.occurred_at, event.actor, event.details.get("before"),
                              event.details.get("after"), event.details.get("reason")))
    return steps


def proposal_matches(session: Session, proposal_id: int) -> list[RunMatch]:
    """Every match any run proposed for a proposal, oldest first."""
    return list(session.scalars(select(RunMatch).where(RunMatch.proposal_id == proposal_id)
                                .order_by(RunMatch.id)))
