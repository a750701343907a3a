"""Where a fund's money went: the projects it paid or is committed to, and the funds it
allocated money to.

A project is a match approved from a matching run that this fund has a share of: still
``approved`` (committed, paid in instalments), ``completed``, or ``cancelled`` after paying
something (a cancelled grant that paid nothing from the fund is left out). For each:

- ``share``: the fund's approved share (CNY fen, the run's figure);
- ``paid``: what the ledger paid from this fund for it — the credits on the fund's 1002
  of the grant's payments (entries of kind ``disbursement`` that committed the grant's
  holds; a hold is the grant's when its memo names the match, as approval writes it);
- ``held``: what the grant's pending hold still holds on the fund now;
- ``released``: the rest of the share, no longer owed (completed or cancelled);
- the people the project serves (the match's needs: count and people by category and
  urgency), and **the fund's share of them: people × share ÷ budget**, exact (a fraction);
  a fund paying 1,500.00 of a 2,000.00 project for 15 people served 11.25 of them.

Allocations out are every allocation (or return) this fund sent, in date order. Totals are
per currency, with the gifts to this fund refunded and the money still in it (1002 and 1009,
the money its order of spending follows, fifo.py). Only reads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundpool.donations.models import Donation
from fundpool.funds.models import Allocation, Fund
from fundpool.ledger.models import Account, Entry, Hold, HoldLeg, Posting
from fundpool.matching.run_models import RunMatch, RunShare
from fundpool.reports.fifo import MONEY, match_named
from fundpool.reports.needs_served import NeedsServed, needs_served

GRANT_CURRENCY = "CNY"
SHOWN = ("approved", "completed", "cancelled")



@dataclass(frozen=True, slots=True)
class ProjectUse:
    match: RunMatch
    share: int
    paid: int
    held: int
    needs: list[NeedsServed]

    @property
    def released(self) -> int:
        return self.share - self.paid - self.held

    @property
    def people_share(self) -> Fraction:
        return Fraction(self.match.people * self.share, self.match.budget)


@dataclass(frozen=True, slots=True)
class AllocationUse:
    allocation: Allocation
    date: date


@dataclass(slots=True)
class UseTotals:
    currency: str
    approved: int = 0
    paid: int = 0
    held: int = 0
    released: int = 0
    allocated_out: int = 0
    refunded: int = 0
    in_fund: int = 0
    projects: int = 0
    people: int = 0
    people_share: Fraction = Fraction(0)


@dataclass(slots=True)
class FundUses:
    fund: Fund
    projects: list[ProjectUse] = field(default_factory=list)
    allocations: list[AllocationUse] = field(default_factory=list)
    totals: list[UseTotals] = field(default_factory=list)


def fund_uses(session: Session, fund: Fund) -> FundUses:
    found = FundUses(fund, _projects(session, fund), _allocations(session, fund))
    totals: dict[str, UseTotals] = {}

    def of(currency: str) -> UseTotals:
        return totals.setdefault(currency, UseTotals(currency))

    for project in found.projects:
        line = of(GRANT_CURRENCY)
        line.approved += project.share
        line.paid += project.paid
        line.held += project.held
        line.released += project.released
        line.projects += 1
        line.people += project.match.people
        line.people_share += project.people_share
    for use in found.allocations:
        of(use.allocation.currency).allocated_out += use.allocation.amount
    for currency, refunded in session.execute(
            select(Donation.currency, func.sum(Donation.refunded))
            .where(Donation.fund_id == fund.id, Donation.refunded > 0)
            .group_by(Donation.currency)):
        of(currency).refunded += int(refunded)
    for currency, balance in session.execute(
            select(Account.currency, func.sum(Account.balance))
            .where(Account.fund_id == fund.id, Account.chart_code.in_(MONEY))
            .group_by(Account.currency)):
        if balance:
            of(currency).in_fund += int(balance)
    found.totals = [totals[currency] for currency in sorted(totals)]
    return found


def _projects(session: Session, fund: Fund) -> list[ProjectUse]:
    shares: dict[int, int] = defaultdict(int)
    matches: dict[int, RunMatch] = {}
    for share, match in session.execute(
            select(RunShare, RunMatch).join(RunMatch, RunMatch.id == RunShare.match_id)
            .where(RunShare.fund_id == fund.id, RunMatch.status.in_(SHOWN))
            .order_by(RunMatch.id)):
        shares[match.id] += share.amount
        matches[match.id] = match
    paid, held = _ledger(session, fund)
    return [ProjectUse(match, shares[match.id], paid.get(match.id, 0), held.get(match.id, 0),
                       needs_served(match))
            for match in matches.values()
            if match.status != "cancelled" or paid.get(match.id, 0) > 0]


def _ledger(session: Session, fund: Fund) -> tuple[dict[int, int], dict[int, int]]:
    """Match id → paid from the fund's bank account, and → held on it now."""
    bank = session.scalar(select(Account.id).where(
        Account.fund_id == fund.id, Account.chart_code == "1002",
        Account.currency == GRANT_CURRENCY))
    paid: dict[int, int] = defaultdict(int)
    held: dict[int, int] = defaultdict(int)
    if bank is None:
        return paid, held
    holds = session.execute(
        select(Hold.id, Hold.memo, Hold.status, func.sum(HoldLeg.amount))
        .join(HoldLeg, HoldLeg.hold_id == Hold.id)
        .where(HoldLeg.account_id == bank, Hold.kind == "disbursement")
        .group_by(Hold.id, Hold.memo, Hold.status)).all()
    match_of = {hold_id: match for hold_id, memo, _status, _amount in holds
                if (match := match_named(memo)) is not None}
    for hold_id, _memo, status, amount in holds:
        if status == "pending" and hold_id in match_of:
            held[match_of[hold_id]] += int(amount)
    for hold_id, amount in session.execute(
            select(Entry.hold_id, func.sum(Posting.amount))
            .join(Posting, Posting.entry_id == Entry.id)
            .where(Posting.account_id == bank, Posting.side == "credit",
                   Entry.kind == "disbursement", Entry.hold_id.is_not(None))
            .group_by(Entry.hold_id)):
        if hold_id in match_of:
            paid[match_of[hold_id]] += int(amount)
    return paid, held


def _allocations(session: Session, fund: Fund) -> list[AllocationUse]:
    return [AllocationUse(allocation, day) for allocation, day in session.execute(
        select(Allocation, Entry.effective_date).join(Entry, Entry.id == Allocation.entry_id)
        .where(Allocation.source_fund_id == fund.id)
        .order_by(Entry.effective_date, Allocation.id))]


def hundredths(value: Fraction) -> str:
    """A non-negative fraction as a decimal string with two places, rounded half up."""
    scaled = (value * 100 * 2 + 1) // 2
    whole, cents = divmod(int(scaled), 100)
    return f"{whole}.{cents:02d}"
