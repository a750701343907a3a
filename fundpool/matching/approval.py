"""Deciding on a proposed match, then paying the grant it becomes.

- **Approve** (an admin whose subtree holds the proposal and every paying fund —
  ``pools_involved`` names them for the caller to check): the match must still be
  what its run saw (proposal in reserve with the same budget and not ended, its pool
  and every need's community still open, every need open, every fund open with its
  share available and still allowed by the engine's rules to pay for the proposal:
  categories, area, per-grant limit, validity not ended), else it is *stale* and
  refused. Then each share is held on its fund (one hold, ``grants.hold_grant``), the
  proposal becomes funded and its needs matched, all in the caller's transaction.
- **Reject** a proposed match, with a reason: nothing was held, nothing moves.
- **Disburse** an instalment of an approved grant, dated no earlier than the approval:
  split across the funds in proportion to what each still holds, to the fen (``split``),
  and paid by ``grants.pay_instalment``.
- **Complete** (once something was paid): what was not paid is released, the proposal
  is completed and its needs served. **Cancel** (or a lapse, when the hold expires
  ``LAPSE_AFTER_END`` after the project's last day, ``lapses_at``): what is held is
  released, the proposal expires and its needs return to the register.

The match row is locked first in every step, so two admins deciding at once cannot
both succeed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.auth.principal import Principal, require_admin_of, require_role
from fundpool.db import utcnow
from fundpool.errors import Conflict, Forbidden, InvalidInput, NotFound
from fundpool.ledger import holds
from fundpool.ledger.balances import current
from fundpool.ledger.models import Hold
from fundpool.ledger.money import format_amount
from fundpool.ledger.posting import LEDGER_TZ, today
from fundpool.matching import eligibility, grants, needs, problem, proposals
from fundpool.matching.grants import Instalment, Portion
from fundpool.matching.inputs import as_candidate, as_payer
from fundpool.matching.run_models import RunMatch, RunShare
from fundpool.pools.models import Pool

#: How long after its project's last day an unfinished grant keeps its money held.
LAPSE_AFTER_END = timedelta(days=90)


def get_match(session: Session, match_id: int, lock: bool = False) -> RunMatch:
    stmt = select(RunMatch).where(RunMatch.id == match_id)
    if lock:  # a row already in the session is read again under the lock, not trusted
        stmt = stmt.with_for_update(of=RunMatch).execution_options(populate_existing=True)
    match = session.scalar(stmt)
    if match is None:
        raise NotFound("there is no match {match}", "match_id", match=match_id)
    return match


def pools_involved(match: RunMatch) -> list[Pool]:
    """The pools an approver must hold: the proposal's and every paying fund's."""
    return [match.proposal.pool] + [share.fund.pool for share in match.shares]


def require_reader(principal: Principal, match: RunMatch) -> None:
    """Auditors read every match; an admin one whose proposal's reserve pool lies in their
    subtree — the rule a run's list of matches applies (``overview.run_matches`` with
    ``within``). That pool holds every need the match serves, so a match shows an admin no
    need, community or head count that reading the needs would not. Whoever may decide on
    a match may read it."""
    require_role(principal, "admin", "auditor")
    if principal.role == "admin":
        require_admin_of(principal, match.proposal.pool.code, "match_id")


def require_decider(principal: Principal, match: RunMatch) -> None:
    """Only an admin whose subtree holds every pool involved decides on a match (the API
    and the console ask the same question)."""
    for pool in pools_involved(match):
        require_admin_of(principal, pool.code, "match_id")


def may_decide(principal: Principal, match: RunMatch) -> bool:
    try:
        require_decider(principal, match)
    except Forbidden:
        return False
    return True


def approve(session: Session, actor: Actor, match_id: int) -> RunMatch:
    match = _locked(session, match_id, "proposed", "approved")
    proposal = proposals.get_proposal(session, match.proposal_id, lock=True)
    _still_current(session, match, proposal)
    for status in ("matched", "funded"):
        proposals.transition(session, actor, proposal, status)
    for row in match.needs:
        needs.change_status(session, actor, row.need_id, "matched", f"match {match.id}",
                            by_match=match.id)
    hold = grants.hold_grant(
        session, actor, [Portion(share.fund, share.amount) for share in match.shares],
        memo=f"{proposal.title} (proposal {proposal.id}, match {match.id})"[:500],
        expires_at=lapses_at(proposal, today()))
    match.hold_id = hold.id
    _decide(session, actor, match, "approved")
    return match


def lapses_at(proposal, approved_on: date) -> datetime:
    """When the money held for a grant goes back to its funds if the grant is neither
    completed nor cancelled: ``LAPSE_AFTER_END`` after the project's last day (its
    ``end_date``, or its ``duration_days`` counted from the approval), at midnight China
    Standard Time. Until then instalments may be paid, also after the project's end (a
    final payment after its report); after it, the scheduler's sweep expires the hold and
    the grant lapses (``lapse_expired``), so held money is never stranded."""
    end = proposal.end_date or approved_on + timedelta(days=proposal.duration_days - 1)
    return datetime.combine(end + LAPSE_AFTER_END + timedelta(days=1), time.min, LEDGER_TZ)


def reject(session: Session, actor: Actor, match_id: int, reason: str) -> RunMatch:
    if not reason.strip():
        raise InvalidInput("a rejection needs a reason", "reason")
    match = _locked(session, match_id, "proposed", "rejected")
    match.rejection_reason = reason.strip()[:500]
    _decide(session, actor, match, "rejected")
    return match


def disburse(session: Session, actor: Actor, match_id: int, amount: int,
             effective_date: date | None = None, memo: str = "") -> Instalment:
    match = _locked(session, match_id, "approved", "paid")
    left = match.budget - match.paid
    if amount <= 0 or amount > left:
        raise InvalidInput("between 0.01 and {left} CNY of this grant is still to be paid",
                           "amount", left=format_amount(left, "CNY"))
    day = effective_date or today()
    _check_not_before_approval(match, day)
    hold = holds.get_hold(session, match.hold_id)
    amounts = split(amount, [leg.amount for leg in hold.legs])
    paid = grants.pay_instalment(
        session, actor, hold.id, amounts, day,
        memo or f"grant for proposal {match.proposal_id}, match {match.id}")
    match.paid += amount
    match.hold_id = paid.rest.id if paid.rest is not None else None
    record(session, actor, "grant.disburse", "run_match", match.id, amount=amount,
           grant_entry=paid.grant.id, payment_entry=paid.payment.id)
    return paid


def _check_not_before_approval(match: RunMatch, day: date) -> None:
    """An instalment is paid after its grant was approved, never dated before it: the money
    was held only from that day, so an earlier date would pay out what the bank account may
    not have had on that day's books (the no-overdraft rule broken in the past). The day of
    approval is the ledger's business day (China Standard Time)."""
    approved = match.decided_at.astimezone(LEDGER_TZ).date()
    if day < approved:
        raise InvalidInput("match {match} was approved on {approved}; an instalment cannot be "
                           "dated earlier ({day})", "effective_date", match=match.id,
                           approved=approved, day=day)


def complete(session: Session, actor: Actor, match_id: int) -> RunMatch:
    """The project is done: release what was not paid, serve its needs. Only once something
    was paid (``_check_paid``)."""
    match = _locked(session, match_id, "approved", "completed")
    _check_paid(match)
    _release(session, actor, match)
    proposal = proposals.get_proposal(session, match.proposal_id, lock=True)
    proposals.transition(session, actor, proposal, "completed")
    for row in match.needs:
        needs.change_status(session, actor, row.need_id, "served", f"match {match.id}",
                            by_match=match.id)
    _decide(session, actor, match, "completed")
    return match


def _check_paid(match: RunMatch) -> None:
    """A completed grant says the project was carried out with its money: its needs count
    as served, here and in the public figures. With nothing paid no money reached anyone,
    so the grant is either still to be paid or did not go ahead (cancel it: its needs
    return to the register)."""
    if match.paid == 0:
        raise Conflict("nothing of match {match} has been paid, so it cannot be completed: pay "
                       "an instalment first, or cancel the grant if the project will not go "
                       "on", "match_id", match=match.id)


def cancel(session: Session, actor: Actor, match_id: int, reason: str) -> RunMatch:
    """The project will not go on: release what is held, let its needs be matched again."""
    if not reason.strip():
        raise InvalidInput("a cancellation needs a reason", "reason")
    match = _locked(session, match_id, "approved", "cancelled")
    _release(session, actor, match)
    _lapse(session, actor, match, reason.strip())
    return match


def lapse_expired(session: Session, actor: Actor) -> list[int]:
    """Grants whose hold expired (the scheduler's sweep voided it): the project lapses."""
    lapsed = session.scalars(
        select(RunMatch).join(Hold, Hold.id == RunMatch.hold_id)
        .where(RunMatch.status == "approved", Hold.status == "expired")
        .order_by(RunMatch.id).with_for_update(of=RunMatch)).all()
    for match in lapsed:
        match.hold_id = None
        _lapse(session, actor, match, "its held money expired")
    return [match.id for match in lapsed]


def split(amount: int, weights: list[int]) -> list[int]:
    """``amount`` shared in proportion to ``weights``, to the fen, summing exactly: each
    part rounded down, the remaining fen to the largest remainders (ties: earlier part).
    No part exceeds its weight when ``amount`` ≤ ``sum(weights)``."""
    total = sum(weights)
    parts = [amount * weight // total for weight in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for index in order[:amount - sum(parts)]:
        parts[index] += 1
    return parts


def _locked(session: Session, match_id: int, expected: str, doing: str) -> RunMatch:
    match = get_match(session, match_id, lock=True)
    if match.status != expected:
        hint = " (a newer run replaced it; decide on the newest run's matches)" \
            if match.status == "superseded" else ""
        raise Conflict(f"match {match_id} is {match.status}, not {expected}, so it cannot be "
                       f"{doing}{hint}", "match_id")
    return match


def _still_current(session: Session, match: RunMatch, proposal) -> None:
    """Refuse a stale match: the world it was proposed for has changed."""
    if proposal.status != "in_reserve":
        raise Conflict("match {match} is stale: proposal {proposal} is {status}, not in "
                       "reserve; run matching again", "match_id", match=match.id,
                       proposal=proposal.id, status=proposal.status)
    if proposal.budget != match.budget:
        raise Conflict("match {match} is stale: proposal {proposal}'s budget changed; run "
                       "matching again", "match_id", match=match.id, proposal=proposal.id)
    if proposals.has_ended(proposal):
        # a run leaves out the projects already over (inputs.load_inputs); money held for
        # one now could only be released again
        raise Conflict("match {match} is stale: proposal {proposal} ended on {end}; run "
                       "matching again", "match_id", match=match.id, proposal=proposal.id,
                       end=proposal.end_date)
    _check_pools_open(match, proposal)
    for row in match.needs:
        if row.need.status != "open":
            raise Conflict("match {match} is stale: need {need} is {status}; run matching "
                           "again", "match_id", match=match.id, need=row.need_id,
                           status=row.need.status)
    candidate = as_candidate(proposal)
    for share in match.shares:
        _may_still_pay(session, match, share, candidate)


def _check_pools_open(match: RunMatch, proposal) -> None:
    """A run leaves out the needs and proposals of closed pools (``inputs.load_inputs``):
    a community merged away since the run is surveyed again where its people now belong,
    so approving its old match would hold money for a place that no longer exists."""
    if not proposal.pool.is_open:
        raise Conflict("match {match} is stale: pool {pool}, where proposal {proposal} is "
                       "in reserve, is closed; run matching again", "match_id",
                       match=match.id, pool=proposal.pool.code, proposal=proposal.id)
    for row in match.needs:
        if not row.need.pool.is_open:
            raise Conflict("match {match} is stale: need {need}'s community {pool} is closed; "
                           "run matching again", "match_id", match=match.id,
                           need=row.need_id, pool=row.need.pool.code)


def _may_still_pay(session: Session, match: RunMatch, share: RunShare,
                   candidate: problem.Proposal) -> None:
    """Ask the engine's rules (``eligibility``) again of a paying fund as it is now: since
    the run its money may have gone, or its restriction changed (categories, area,
    validity, per-grant limit). The rules are the engine's; only the message is chosen
    here, naming what changed. A fund whose validity starts later may still be held for
    the grant (its instalments wait for that day, ``grants.pay_instalment``); one whose
    validity has ended may not."""
    fund = share.fund
    if not fund.is_open:
        raise Conflict("match {match} is stale: fund {fund} is closed; run matching again",
                       "match_id", match=match.id, fund=fund.code)
    available = current(session, grants.bank(fund)).available
    payer = as_payer(fund, available)
    if not eligibility.fund_covers(payer, candidate):
        raise Conflict("match {match} is stale: the restriction of fund {fund} no longer "
                       "allows proposal {proposal} (its categories or area); run matching "
                       "again", "match_id", match=match.id, fund=fund.code,
                       proposal=candidate.id)
    if available < share.amount:
        raise Conflict("match {match} is stale: fund {fund} has {available} CNY available, "
                       "its share is {share}; run matching again", "match_id", match=match.id,
                       fund=fund.code, available=format_amount(available, "CNY"),
                       share=format_amount(share.amount, "CNY"))
    if eligibility.cap(payer, candidate) < share.amount:  # money and budget cover the share
        raise Conflict("match {match} is stale: fund {fund} now pays at most {limit} CNY per "
                       "grant, its share is {share}; run matching again", "match_id",
                       match=match.id, fund=fund.code,
                       limit=format_amount(fund.per_grant_limit or 0, "CNY"),
                       share=format_amount(share.amount, "CNY"))
    first_day = max(today(), fund.valid_from or today())
    if not eligibility.may_pay(payer, candidate, first_day):  # all else was asked above
        raise Conflict("match {match} is stale: fund {fund} may pay only until {end}; run "
                       "matching again", "match_id", match=match.id, fund=fund.code,
                       end=fund.valid_to)


def _release(session: Session, actor: Actor, match: RunMatch) -> None:
    if match.hold_id is not None:
        grants.void_grant(session, actor, match.hold_id)
        match.hold_id = None


def _lapse(session: Session, actor: Actor, match: RunMatch, reason: str) -> None:
    proposal = proposals.get_proposal(session, match.proposal_id, lock=True)
    proposals.transition(session, actor, proposal, "expired", reason)
    for row in match.needs:
        needs.change_status(session, actor, row.need_id, "open", f"match {match.id}: {reason}",
                            by_match=match.id)
    match.rejection_reason = reason[:500]
    _decide(session, actor, match, "cancelled")


def _decide(session: Session, actor: Actor, match: RunMatch, status: str) -> None:
    match.status, match.decided_by, match.decided_at = status, actor.name, utcnow()
    session.flush()
    record(session, actor, f"match.{status}", "run_match", match.id,
           proposal_id=match.proposal_id, hold_id=match.hold_id)
