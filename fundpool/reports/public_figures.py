"""Public figures (慈善信息公开): money raised, granted and held, donations and people served,
month by month, for a pool's whole subtree or for one fund. Only aggregates leave here.

How each figure is decided (docs/public.md):

- **raised**: donation income, the net credit of 410101 and 410102 — donations less
  refunds, each in the month of its entry (a refund in the month it was made) — leaving
  out grant entries (their 410102 → 410101 lines release a restriction, they are not
  income) and year-end closing entries. Pass-through gifts (受托代理) post to 1701/2601, not
  to income, so they are not raised money. Per currency, never converted.
- **granted**: program costs, the net debit of 5101 (what grant instalments recognised),
  closing entries left out. Per currency.
- **donations**: gifts received in the month (``received_date``), pass-through gifts left
  out; a gift refunded later still counts (its refund lowers *raised* in its own month);
  one platform-file row is one gift.
- **people served**: the people of completed grants (run_matches ``completed``), in the
  month of completion (China time). For a pool, the people of the served needs that live
  in its subtree; for a fund, every person of each completed grant it paid a share of.
- **held**: what approved grants still hold on the subject's accounts now (pending holds
  of kind ``disbursement``); not historical, so it is not given by month.

Every figure is one ``GROUP BY`` over the range, whatever the number of donations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from fundpool.donations.models import Donation
from fundpool.errors import InvalidInput
from fundpool.funds.models import Fund
from fundpool.ledger.balances import DEBIT_MINUS_CREDIT
from fundpool.ledger.models import Account, Entry, Hold, HoldLeg, Posting
from fundpool.ledger.posting import LEDGER_TZ
from fundpool.matching.models import Need
from fundpool.matching.run_models import RunMatch, RunMatchNeed, RunShare
from fundpool.pools.models import Pool
from fundpool.reports.months import Month, china_month, day_month, months_between
from fundpool.reports.scope import Scope, fund_scope, pool_scope

INCOME_CHARTS = ("410101", "410102")
COST_CHART = "5101"
FIRST_YEAR = 2000
MAX_MONTHS = 120


@dataclass(slots=True)
class Money:
    """Minor units of one currency."""

    raised: int = 0
    granted: int = 0


@dataclass(slots=True)
class MonthFigures:
    month: Month | None  # None for the totals over the range
    donations: int = 0
    people_served: int = 0
    money: dict[str, Money] = field(default_factory=dict)

    def add(self, other: MonthFigures) -> None:
        self.donations += other.donations
        self.people_served += other.people_served
        for currency, money in other.money.items():
            mine = self.money.setdefault(currency, Money())
            mine.raised += money.raised
            mine.granted += money.granted


@dataclass(slots=True)
class Figures:
    first: Month
    last: Month
    months: list[MonthFigures]
    totals: MonthFigures
    held: dict[str, int]  # currency → minor units held now

    @property
    def is_empty(self) -> bool:
        """Nothing to add to a total: no money raised or granted, no donation, nobody
        served, nothing held."""
        totals = self.totals
        return not (totals.donations or totals.people_served or any(self.held.values())
                    or any(m.raised or m.granted for m in totals.money.values()))


def month_range(today: date, year: int | None = None, first: Month | None = None,
                last: Month | None = None) -> tuple[Month, Month]:
    """The months asked for: a ``year``, or ``first``..``last`` (either may be left out), or
    by default this year so far. Refuses the future, a reversed range and more than
    ``MAX_MONTHS`` months, naming the field."""
    now = Month.of(today)
    if year is not None:
        if first is not None or last is not None:
            raise InvalidInput("give a year or a from/to range of months, not both", "year")
        if year > now.year:
            raise InvalidInput("{year} is in the future (this year is {this_year}, China time)",
                               "year", year=year, this_year=now.year)
        if year < FIRST_YEAR:
            raise InvalidInput("figures start in {first}", "year", first=FIRST_YEAR)
        return Month(year, 1), min(Month(year, 12), now)
    for month, name in ((last, "to"), (first, "from")):
        if month is None:
            continue
        if month > now:
            raise InvalidInput(f"{month.label} is in the future (this month is {now.label}, "
                               "China time)", name)
        if month.year < FIRST_YEAR:
            raise InvalidInput("figures start in {first}", name, first=FIRST_YEAR)
    last = last or now
    first = first or Month(last.year, 1)
    if first > last:
        raise InvalidInput(f"from ({first.label}) is after to ({last.label})", "from")
    if len(months_between(first, last)) > MAX_MONTHS:
        raise InvalidInput(f"at most {MAX_MONTHS} months at once", "from")
    return first, last


def pool_figures(session: Session, code: str, first: Month, last: Month) -> Figures:
    """The figures of a pool's whole subtree (a district = its own funds, its streets and
    their communities); 404 naming ``code`` for an unknown pool."""
    scope = pool_scope(session, code, field="code")
    people = (select(china_month(session, RunMatch.decided_at), func.sum(Need.people))
              .select_from(RunMatch)
              .join(RunMatchNeed, RunMatchNeed.match_id == RunMatch.id)
              .join(Need, Need.id == RunMatchNeed.need_id)
              .join(Pool, Pool.id == Need.pool_id)
              .where(Pool.code.between(scope.low, scope.high)))
    return _figures(session, scope, first, last, people)


def fund_figures(session: Session, fund: Fund, first: Month, last: Month) -> Figures:
    """The figures of one fund; people served are those of every completed grant it paid a
    share of, counted whole."""
    paying = select(RunShare.match_id).where(RunShare.fund_id == fund.id)
    people = (select(china_month(session, RunMatch.decided_at), func.sum(RunMatch.people))
              .where(RunMatch.id.in_(paying)))
    return _figures(session, fund_scope(fund), first, last, people)


def _figures(session: Session, scope: Scope, first: Month, last: Month, people) -> Figures:
    by_month = {month.label: MonthFigures(month) for month in months_between(first, last)}
    low, high = first.first_day, last.last_day
    for label, currency, is_cost, amount in _money(session, scope, low, high):
        money = by_month[label].money.setdefault(currency, Money())
        if is_cost:
            money.granted += int(amount)
        else:
            money.raised -= int(amount)
    for label, count in _donations(session, scope, low, high):
        by_month[label].donations = int(count)
    start, end = _utc_bounds(low, high)
    completed = people.where(RunMatch.status == "completed", RunMatch.decided_at >= start,
                             RunMatch.decided_at < end).group_by(
        china_month(session, RunMatch.decided_at))
    for label, count in session.execute(completed):
        if label in by_month:
            by_month[label].people_served = int(count or 0)
    months = list(by_month.values())
    totals = MonthFigures(None)
    for figures in months:
        totals.add(figures)
    for figures in (*months, totals):
        figures.money = dict(sorted(figures.money.items()))
    return Figures(first, last, months, totals, held_now(session, scope))


def _money(session: Session, scope: Scope, low: date, high: date):
    month = day_month(session, Posting.effective_date)
    is_cost = (Account.chart_code == COST_CHART).label("is_cost")
    stmt = scope.where(
        select(month, Posting.currency, is_cost, func.sum(DEBIT_MINUS_CREDIT))
        .select_from(Posting).join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .join(Pool, Pool.id == Account.pool_id)
        .where(Posting.effective_date.between(low, high), Entry.kind != "closing",
               Entry.effective_date.between(low, high),  # the same day; narrows the join
               or_(Account.chart_code == COST_CHART,
                   and_(Account.chart_code.in_(INCOME_CHARTS), Entry.kind != "grant"))))
    return session.execute(stmt.group_by(month, Posting.currency, is_cost)).all()


def _donations(session: Session, scope: Scope, low: date, high: date):
    month = day_month(session, Donation.received_date)
    stmt = (select(month, func.count())
            .select_from(Donation).join(Fund, Fund.id == Donation.fund_id)
            .join(Pool, Pool.id == Fund.pool_id)
            .where(Pool.code.between(scope.low, scope.high),
                   Donation.received_date.between(low, high),
                   Donation.pass_through_recipient.is_(None)))
    if scope.fund_id is not None:
        stmt = stmt.where(Donation.fund_id == scope.fund_id)
    return session.execute(stmt.group_by(month)).all()


def held_now(session: Session, scope: Scope) -> dict[str, int]:
    """Per currency, what approved grants still hold on the scope's accounts."""
    stmt = scope.where(
        select(Account.currency, func.sum(HoldLeg.amount))
        .select_from(HoldLeg).join(Hold, Hold.id == HoldLeg.hold_id)
        .join(Account, Account.id == HoldLeg.account_id)
        .join(Pool, Pool.id == Account.pool_id)
        .where(Hold.status == "pending", Hold.kind == "disbursement"))
    return {currency: int(amount)
            for currency, amount in session.execute(
                stmt.group_by(Account.currency).order_by(Account.currency))}


def _utc_bounds(low: date, high: date) -> tuple[datetime, datetime]:
    """China-time midnight of ``low`` and of the day after ``high``, in UTC."""
    start = datetime.combine(low, time(), LEDGER_TZ).astimezone(UTC)
    end = datetime.combine(high + timedelta(days=1), time(), LEDGER_TZ).astimezone(UTC)
    return start, end
