"""The disclosure reports a charity publishes (慈善信息公开): a quarterly report per funded
project and an annual report per fund. Only aggregates and public facts: donors appear
only as masked display names (fundpool.reports.masking), never with contact data,
identity numbers or a list of their gifts. docs/public.md says how each figure is decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundpool.donations.models import Donation, Donor
from fundpool.errors import InvalidInput, NotFound
from fundpool.funds.models import Allocation, Fund
from fundpool.ledger.balances import DEBIT_MINUS_CREDIT
from fundpool.ledger.models import Account, Entry, Hold, HoldLeg, Posting
from fundpool.ledger.posting import LEDGER_TZ
from fundpool.matching.models import Proposal
from fundpool.matching.run_models import RunMatch
from fundpool.paging import Page, keyset_page
from fundpool.pools.models import Pool
from fundpool.reports.grant_payments import grant_payments
from fundpool.reports.masking import public_name
from fundpool.reports.months import Quarter
from fundpool.reports.needs_served import NeedsServed, needs_served
from fundpool.reports.public_figures import FIRST_YEAR, held_now
from fundpool.reports.scope import fund_scope

FUNDED = ("approved", "completed", "cancelled")  # a match that was approved at some point
MONEY_CHARTS = ("1002", "1009", "1201")  # bank, platform clearing, gifts in kind
LARGEST_DONORS = 10


# ---------------------------------------------------------------- the project's quarter

@dataclass(frozen=True, slots=True)
class FundShare:
    fund: Fund
    share: int  # CNY fen approved from this fund
    paid_in_quarter: int
    paid_to_date: int



@dataclass(frozen=True, slots=True)
class ProjectReport:
    quarter: Quarter
    proposal: Proposal
    match: RunMatch
    completed_on: date | None  # China date the grant was completed, if by the quarter's end
    held: int  # CNY fen still held for the project now
    funds: list[FundShare]
    needs: list[NeedsServed]

    @property
    def approved(self) -> int:
        return self.match.budget

    @property
    def paid_in_quarter(self) -> int:
        return sum(share.paid_in_quarter for share in self.funds)

    @property
    def paid_to_date(self) -> int:
        return sum(share.paid_to_date for share in self.funds)

    @property
    def people_served(self) -> int:
        return self.match.people if self.completed_on is not None else 0


def funded_projects(session: Session, low: str, high: str, after: int | None,
                    limit: int) -> Page:
    """The grants (matches ever approved) of projects whose reserve pool lies in the code
    range ``low``..``high``, oldest first: the projects a quarterly report exists for."""
    stmt = (select(RunMatch).join(Proposal, Proposal.id == RunMatch.proposal_id)
            .join(Pool, Pool.id == Proposal.pool_id)
            .where(RunMatch.status.in_(FUNDED), Pool.code.between(low, high)))
    return keyset_page(session, stmt, RunMatch.id, after, limit)


def check_quarter(quarter: Quarter, today: date, field: str = "quarter") -> None:
    if quarter.first_day > today:
        raise InvalidInput(f"{quarter.label} has not begun (today is {today.isoformat()}, "
                           "China time)", field)
    if quarter.year < FIRST_YEAR:
        raise InvalidInput(f"reports start in {FIRST_YEAR}", field)


def project_report(session: Session, proposal_id: int, quarter: Quarter,
                   today: date) -> ProjectReport:
    """A funded project's report for a quarter; 404 naming ``proposal_id`` for a proposal
    that does not exist or was never funded (drafts and the reserve pool are not published)."""
    check_quarter(quarter, today)
    match = session.scalar(select(RunMatch).where(RunMatch.proposal_id == proposal_id,
                                                  RunMatch.status.in_(FUNDED))
                           .order_by(RunMatch.id.desc()).limit(1))
    if match is None:
        raise NotFound(f"there is no funded project {proposal_id}", "proposal_id")
    end = min(quarter.last_day, today)
    paid = grant_payments(session, None, end, proposal_id=proposal_id)
    in_quarter = grant_payments(session, quarter.first_day, end, proposal_id=proposal_id)

    def total(rows, fund_id: int) -> int:
        return sum(p.amount for p in rows if p.fund_id == fund_id and p.match_id == match.id)

    shares: dict[int, FundShare] = {}
    for share in match.shares:
        before = shares.get(share.fund_id)
        shares[share.fund_id] = FundShare(
            share.fund, share.amount + (before.share if before else 0),
            total(in_quarter, share.fund_id), total(paid, share.fund_id))
    completed = None
    if match.status == "completed" and match.decided_at is not None:
        day = match.decided_at.astimezone(LEDGER_TZ).date()
        completed = day if day <= quarter.last_day else None
    return ProjectReport(quarter, match.proposal, match, completed, _held(session, match),
                         list(shares.values()), needs_served(match))


def _held(session: Session, match: RunMatch) -> int:
    if match.hold_id is None:
        return 0
    return int(session.scalar(
        select(func.coalesce(func.sum(HoldLeg.amount), 0)).join(Hold, Hold.id == HoldLeg.hold_id)
        .where(Hold.id == match.hold_id, Hold.status == "pending")))


# ---------------------------------------------------------------- the fund's year

@dataclass(frozen=True, slots=True)
class TopDonor:
    name: str  # masked for a person, in full for an organisation, 匿名 if anonymous
    kind: str
    donations: int
    amount: int  # net of refunds, minor units


@dataclass(frozen=True, slots=True)
class ProjectPaid:
    proposal: Proposal
    amount: int


@dataclass(frozen=True, slots=True)
class Counterpart:
    fund: Fund
    allocated_in: int
    allocated_out: int


@dataclass(slots=True)
class YearInCurrency:
    """The fund's money (bank 1002, platform clearing 1009, gifts in kind 1201) over the year:
    ``closing = opening + donations - refunds - grants_paid + allocated_in - allocated_out +
    other`` (``other``: adjustments, reversals and anything else that moved it)."""

    currency: str
    opening: int = 0
    donations: int = 0
    donation_count: int = 0
    refunds: int = 0
    grants_paid: int = 0
    allocated_in: int = 0
    allocated_out: int = 0
    other: int = 0
    closing: int = 0
    held: int | None = None  # held now, for the year in progress only (not historical)
    largest_donors: list[TopDonor] = field(default_factory=list)
    projects: list[ProjectPaid] = field(default_factory=list)
    allocations: list[Counterpart] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FundYear:
    fund: Fund
    year: int
    date_to: date  # 31 December, or today for the year in progress
    currencies: list[YearInCurrency]


def check_year(year: int, today: date, field: str = "year") -> None:
    if year > today.year:
        raise InvalidInput(f"{year} is in the future (this year is {today.year}, China time)",
                           field)
    if year < FIRST_YEAR:
        raise InvalidInput(f"reports start in {FIRST_YEAR}", field)


def fund_year(session: Session, fund: Fund, year: int, today: date,
              lang: str = "zh-CN") -> FundYear:
    """The fund's annual report; the year in progress runs to ``today``."""
    check_year(year, today)
    low, high = date(year, 1, 1), min(date(year, 12, 31), today)
    parts: dict[str, YearInCurrency] = {}

    def part(currency: str) -> YearInCurrency:
        return parts.setdefault(currency, YearInCurrency(currency))

    for currency, amount in _money(session, fund, None, low):
        part(currency).opening = int(amount)
    movement: dict[str, int] = {}
    for currency, kind, amount in _movements(session, fund, low, high):
        mine, amount = part(currency), int(amount)
        movement[currency] = movement.get(currency, 0) + amount
        if kind == "donation":
            mine.donations += amount
        elif kind == "refund":
            mine.refunds -= amount
        elif kind == "disbursement":
            mine.grants_paid -= amount
    _allocations(session, fund, low, high, part)
    for currency, count in _donation_counts(session, fund, low, high):
        part(currency).donation_count = int(count)
    for currency, donors in _largest_donors(session, fund, low, high, lang).items():
        part(currency).largest_donors = donors
    for currency, projects in _projects(session, fund, low, high).items():
        part(currency).projects = projects
    if year == today.year:
        for currency, amount in held_now(session, fund_scope(fund)).items():
            part(currency).held = amount
        for mine in parts.values():
            mine.held = mine.held or 0
    for currency, mine in parts.items():
        mine.closing = mine.opening + movement.get(currency, 0)
        mine.other = movement.get(currency, 0) - (
            mine.donations - mine.refunds - mine.grants_paid + mine.allocated_in
            - mine.allocated_out)
    return FundYear(fund, year, high, [parts[c] for c in sorted(parts)])


def _money_postings(fund: Fund):
    return (select().select_from(Posting).join(Account, Account.id == Posting.account_id)
            .where(Account.fund_id == fund.id, Account.chart_code.in_(MONEY_CHARTS)))


def _money(session: Session, fund: Fund, low: date | None, before: date):
    stmt = _money_postings(fund).add_columns(Posting.currency, func.sum(DEBIT_MINUS_CREDIT)) \
        .where(Posting.effective_date < before)
    if low is not None:
        stmt = stmt.where(Posting.effective_date >= low)
    return session.execute(stmt.group_by(Posting.currency)).all()


def _movements(session: Session, fund: Fund, low: date, high: date):
    stmt = (_money_postings(fund).join(Entry, Entry.id == Posting.entry_id)
            .add_columns(Posting.currency, Entry.kind, func.sum(DEBIT_MINUS_CREDIT))
            .where(Posting.effective_date.between(low, high)))
    return session.execute(stmt.group_by(Posting.currency, Entry.kind)).all()


def _allocations(session: Session, fund: Fund, low: date, high: date, part) -> None:
    rows = session.execute(
        select(Allocation.source_fund_id, Allocation.target_fund_id, Allocation.currency,
               func.sum(Allocation.amount))
        .join(Entry, Entry.id == Allocation.entry_id)
        .where((Allocation.source_fund_id == fund.id) | (Allocation.target_fund_id == fund.id),
               Entry.effective_date.between(low, high))
        .group_by(Allocation.source_fund_id, Allocation.target_fund_id, Allocation.currency)
        .order_by(Allocation.currency, Allocation.source_fund_id, Allocation.target_fund_id))
    sides: dict[tuple[str, int], list[int]] = {}
    for source, target, currency, amount in rows:
        incoming = target == fund.id
        other = source if incoming else target
        totals = sides.setdefault((currency, other), [0, 0])
        totals[0 if incoming else 1] += int(amount)
    others = {f.id: f for f in session.scalars(
        select(Fund).where(Fund.id.in_({other for _currency, other in sides})))}
    for (currency, other), (came, went) in sides.items():
        mine = part(currency)
        mine.allocated_in += came
        mine.allocated_out += went
        mine.allocations.append(Counterpart(others[other], came, went))


def _gifts(fund: Fund, low: date, high: date):
    return (Donation.fund_id == fund.id, Donation.received_date.between(low, high),
            Donation.pass_through_recipient.is_(None))


def _donation_counts(session: Session, fund: Fund, low: date, high: date):
    return session.execute(select(Donation.currency, func.count()).where(*_gifts(fund, low, high))
                           .group_by(Donation.currency)).all()


def _largest_donors(session: Session, fund: Fund, low: date, high: date,
                    lang: str) -> dict[str, list[TopDonor]]:
    """Per currency, the donors who gave most in the year (net of refunds), by public name
    only; ties by who gave first."""
    net = func.sum(Donation.amount - Donation.refunded)
    ranked = (select(Donation.currency, Donation.donor_id, func.count().label("gifts"),
                     net.label("net"),
                     func.rank().over(partition_by=Donation.currency,
                                      order_by=(net.desc(), Donation.donor_id)).label("place"))
              .where(*_gifts(fund, low, high), Donation.refunded < Donation.amount)
              .group_by(Donation.currency, Donation.donor_id).subquery())
    rows = session.execute(
        select(ranked.c.currency, Donor.kind, Donor.name, Donor.anonymous, ranked.c.gifts,
               ranked.c.net)
        .join(Donor, Donor.id == ranked.c.donor_id)
        .where(ranked.c.place <= LARGEST_DONORS)
        .order_by(ranked.c.currency, ranked.c.place)).all()
    found: dict[str, list[TopDonor]] = {}
    for currency, kind, name, anonymous, gifts, amount in rows:
        found.setdefault(currency, []).append(
            TopDonor(public_name(kind, name, anonymous, lang), kind, int(gifts), int(amount)))
    return found


def _projects(session: Session, fund: Fund, low: date, high: date) -> dict[str, list]:
    paid = grant_payments(session, low, high, fund_id=fund.id)
    proposals = {p.id: p for p in session.scalars(
        select(Proposal).where(Proposal.id.in_({row.proposal_id for row in paid})))}
    totals: dict[str, dict[int, int]] = {}
    for row in paid:
        per = totals.setdefault(row.currency, {})
        per[row.proposal_id] = per.get(row.proposal_id, 0) + row.amount
    return {currency: [ProjectPaid(proposals[pid], amount) for pid, amount in
                       sorted(per.items(), key=lambda item: (-item[1], item[0]))
                       if pid in proposals]
            for currency, per in totals.items()}
