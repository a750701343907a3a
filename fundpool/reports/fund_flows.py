"""What the console's money pages read: a pool's funds with their money, the pool's recent
entries, a fund's balance over time and where its money came from and went.

Only reads. A fund's money is its 1002 银行存款 and 1009 其他货币资金 (platform clearing)
together, as fifo.py counts it; what is held on it — for approved grants, or by a hold placed
through the ledger API — is not available, and the grants' part of it is told apart. The
flow of a fund (for a sankey chart) is built from the same figures as its statement and its
uses (fund_uses.py), so the chart never tells a different story from the tables:

- in: gifts of money to the fund, net of refunds, by donor (the largest ``top`` donors by
  name, the rest together; gifts in kind and pass-through gifts are not the fund's money),
  and allocations received from other funds;
- out: allocations sent to other funds, and projects paid or held for (paid + held now);
- what is left in the fund and not held for a project (held money is still in the fund's
  accounts, so it is counted once, as the project's).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundpool.donations.models import ANONYMOUS_DONOR, Donation, Donor
from fundpool.funds.models import Allocation, Fund
from fundpool.ledger.holds import OPERATION_KINDS
from fundpool.ledger.models import Account, Entry, Hold, HoldLeg
from fundpool.ledger.queries import CodeRange, touches
from fundpool.pools.models import Pool
from fundpool.reports.fifo import MONEY
from fundpool.reports.fund_uses import GRANT_CURRENCY, FundUses
from fundpool.reports.statements import CurrencyStatement

TOP_DONORS = 5


@dataclass(frozen=True, slots=True)
class FundMoney:
    """A fund's money in one currency, minor units. ``held`` is every pending hold on it
    (what makes money unavailable); ``for_grants`` the part of it approved grants hold
    (holds of kind ``disbursement``), so a hold placed by hand is not taken for a grant."""

    currency: str
    balance: int
    held: int
    for_grants: int = 0

    @property
    def available(self) -> int:
        return self.balance - self.held


@dataclass(frozen=True, slots=True)
class FundLine:
    fund: Fund
    money: list[FundMoney]

    def of(self, currency: str = "CNY") -> FundMoney:
        return next((m for m in self.money if m.currency == currency),
                    FundMoney(currency, 0, 0))


def money_of(session: Session, fund_ids: list[int]) -> dict[int, list[FundMoney]]:
    """Fund id → its money per currency (1002 + 1009), and what grants hold of it."""
    found: dict[int, list[FundMoney]] = defaultdict(list)
    if not fund_ids:
        return found
    grants = _held_for_grants(session, fund_ids)
    for fund_id, currency, balance, held in session.execute(
            select(Account.fund_id, Account.currency, func.sum(Account.balance),
                   func.sum(Account.pending))
            .where(Account.fund_id.in_(fund_ids), Account.chart_code.in_(MONEY))
            .group_by(Account.fund_id, Account.currency)
            .order_by(Account.fund_id, Account.currency)):
        found[fund_id].append(FundMoney(currency, int(balance or 0), int(held or 0),
                                        grants.get((fund_id, currency), 0)))
    return found


def _held_for_grants(session: Session, fund_ids: list[int]) -> dict[tuple[int, str], int]:
    """(fund id, currency) → what pending holds of approved grants keep on its money."""
    return {(fund_id, currency): int(amount) for fund_id, currency, amount in session.execute(
        select(Account.fund_id, Account.currency, func.sum(HoldLeg.amount))
        .select_from(HoldLeg).join(Hold, Hold.id == HoldLeg.hold_id)
        .join(Account, Account.id == HoldLeg.account_id)
        .where(Account.fund_id.in_(fund_ids), Account.chart_code.in_(MONEY),
               Hold.status == "pending", Hold.kind.in_(OPERATION_KINDS))
        .group_by(Account.fund_id, Account.currency))}


def pool_funds(session: Session, pool: Pool) -> list[FundLine]:
    """The pool's own funds (its general fund first, then by code) with their money."""
    funds = list(session.scalars(select(Fund).where(Fund.pool_id == pool.id)
                                 .order_by(Fund.kind != "general", Fund.code)))
    money = money_of(session, [fund.id for fund in funds])
    return [FundLine(fund, money.get(fund.id, [])) for fund in funds]


def fund_line(session: Session, fund: Fund) -> FundLine:
    return FundLine(fund, money_of(session, [fund.id]).get(fund.id, []))


@dataclass(frozen=True, slots=True)
class Moved:
    """What an entry moved on a pool's money in one currency, in and out, minor units."""

    currency: str
    money_in: int
    money_out: int


@dataclass(frozen=True, slots=True)
class EntryLine:
    """An entry as the pool's page lists it: what it moved on the pool's own money (its
    funds' 1002 and 1009, what the page's funds table counts), in and out, per currency (an
    adjustment may move two at once; they are never added up). Not the entry's whole size,
    which is another pool's too when the entry touches several (an allocation, a grant paid
    by funds of several pools) and counts lines that move no money (a grant's expense, the
    release of a restriction). An entry that moves none of it has no ``moved``."""

    entry: Entry
    moved: tuple[Moved, ...]  # by currency


@dataclass(frozen=True, slots=True)
class EntryPage:
    lines: list[EntryLine]
    older_than: int | None  # the id to page on from when older entries follow


def recent_entries(session: Session, pool: Pool, before: int | None, limit: int) -> EntryPage:
    """Entries touching the pool's own accounts, newest first, a keyset page at a time."""
    stmt = select(Entry).where(touches(CodeRange(pool.code, pool.code)))
    if before is not None:
        stmt = stmt.where(Entry.id < before)
    entries = list(session.scalars(stmt.order_by(Entry.id.desc()).limit(limit + 1)))
    more = len(entries) > limit
    entries = entries[:limit]
    return EntryPage([_pool_part(entry, pool) for entry in entries],
                     entries[-1].id if more else None)


def _pool_part(entry: Entry, pool: Pool) -> EntryLine:
    """The entry's debits (in) and credits (out) on the pool's money accounts, per currency."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for posting in entry.postings:
        if posting.account.pool_id == pool.id and posting.account.chart_code in MONEY:
            sums[posting.currency][posting.side != "debit"] += posting.amount
    return EntryLine(entry, tuple(Moved(currency, money_in, money_out)
                                  for currency, (money_in, money_out) in sorted(sums.items())))


@dataclass(frozen=True, slots=True)
class Point:
    day: date
    balance: int


def balance_points(statement: CurrencyStatement, date_from: date, date_to: date) -> list[Point]:
    """The statement's balance at the end of each day it moved, from the opening to the
    closing day: what a line chart of the balance over time needs."""
    by_day: dict[date, int] = {date_from: statement.opening}
    for movement in statement.movements:
        by_day[movement.date] = movement.balance
    by_day[date_to] = statement.closing
    return [Point(day, by_day[day]) for day in sorted(by_day)]


@dataclass(frozen=True, slots=True)
class Flow:
    """One band of the flow chart: ``amount`` from ``source`` to ``target``. Ends are
    (kind, key, label): kind is ``donor``, ``other_donors``, ``fund_in``, ``fund``,
    ``fund_out``, ``project`` or ``kept``; labels of data are names, others are empty for
    the page to word."""

    source: tuple[str, str, str]
    target: tuple[str, str, str]
    amount: int


def fund_flows(session: Session, fund: Fund, uses: FundUses, top: int = TOP_DONORS
               ) -> list[Flow]:
    """Where the fund's CNY came from and went (see the module's note); bands of zero are
    left out."""
    this = ("fund", fund.code, fund.name)
    flows = [Flow(source, this, amount) for source, amount in _sources(session, fund, top)]
    for use in uses.allocations:
        if use.allocation.currency == GRANT_CURRENCY:
            target = use.allocation.target
            flows.append(Flow(this, ("fund_out", target.code, target.name),
                              use.allocation.amount))
    for project in uses.projects:
        flows.append(Flow(this, ("project", str(project.match.id), project.match.proposal.title),
                          project.paid + project.held))
    kept = next((t.in_fund - t.held for t in uses.totals if t.currency == GRANT_CURRENCY), 0)
    flows.append(Flow(this, ("kept", fund.code, ""), kept))
    return _merged([flow for flow in flows if flow.amount > 0])


def _sources(session: Session, fund: Fund, top: int) -> list[tuple[tuple[str, str, str], int]]:
    gifts = session.execute(
        select(Donor.id, Donor.name, Donor.anonymous,
               func.sum(Donation.amount - Donation.refunded).label("net"))
        .join(Donor, Donor.id == Donation.donor_id)
        .where(Donation.fund_id == fund.id, Donation.currency == GRANT_CURRENCY,
               Donation.channel != "in_kind", Donation.pass_through_recipient.is_(None))
        .group_by(Donor.id, Donor.name, Donor.anonymous)
        .order_by(func.sum(Donation.amount - Donation.refunded).desc(), Donor.id)).all()
    named = [(("donor", str(donor_id), ANONYMOUS_DONOR if anonymous else name), int(net))
             for donor_id, name, anonymous, net in gifts[:top]]
    rest = sum(int(net) for *_donor, net in gifts[top:])
    others = [(("other_donors", "", ""), rest)] if rest else []
    received = session.execute(
        select(Fund.code, Fund.name, func.sum(Allocation.amount))
        .join(Fund, Fund.id == Allocation.source_fund_id)
        .where(Allocation.target_fund_id == fund.id, Allocation.currency == GRANT_CURRENCY)
        .group_by(Fund.code, Fund.name).order_by(Fund.code)).all()
    return named + others + [(("fund_in", code, name), int(amount))
                             for code, name, amount in received]


def _merged(flows: list[Flow]) -> list[Flow]:
    """One band per pair of ends (two allocations to the same fund are one band)."""
    totals: dict[tuple, int] = {}
    for flow in flows:
        key = (flow.source, flow.target)
        totals[key] = totals.get(key, 0) + flow.amount
    return [Flow(source, target, amount) for (source, target), amount in totals.items()]

