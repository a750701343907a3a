"""The year-end close (年终结账): the year's income and costs into net assets, once.

After 民间非营利组织会计制度, fund by fund and currency by currency: restricted donation
income (410102) goes into 限定性净资产 (3102); unrestricted income (410101, 4901) and every
cost (5101, 5201) into 非限定性净资产 (3101). One balanced entry of kind ``closing`` per fund
and currency that has income or costs, dated 31 December.

Guarantees (docs/year-end.md):
- only a year that is over closes, years close in order, and each closes once: its
  ``year_ends`` row is the record, and closing it again returns that row and posts
  nothing, also when two closes race (they take the same locks; the second sees the first);
- what each net-asset account must become is computed from the balances as of
  31 December before anything posts; after posting, in the same transaction, every income
  and cost account must be zero as of that day, every net-asset account exactly what was
  computed, and every maintained balance must have moved as much as its history did —
  otherwise the close is refused and nothing of it is kept;
- the year's months are closed with it and cannot be reopened, and posting refuses any date
  on or before its 31 December (storage.py), so nothing more is ever dated in or before a
  closed year and the close cannot go stale;
- the next year opens with these balances: balances are cumulative, so 1 January's are
  31 December's after the close; no opening entry is needed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.errors import Conflict, InvalidInput, NotFound
from fundpool.funds.models import Fund
from fundpool.ledger import periods
from fundpool.ledger.balances import DEBIT_MINUS_CREDIT
from fundpool.ledger.chart import account_code
from fundpool.ledger.models import Account, Entry, Posting
from fundpool.ledger.money import format_amount
from fundpool.ledger.posting import post_batch
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.ledger.year_end_models import YearEnd, YearEndTotal

INCOME_UNRESTRICTED = ("410101", "4901")
INCOME_RESTRICTED = ("410102",)
COSTS = ("5101", "5201")
NOMINAL = INCOME_UNRESTRICTED + INCOME_RESTRICTED + COSTS
UNRESTRICTED, RESTRICTED = "3101", "3102"
CHARTS = NOMINAL + (UNRESTRICTED, RESTRICTED)
FIRST_YEAR, LAST_YEAR = 1900, 9999

#: (fund code, currency) → chart code → balance as of 31 December, on the normal side
Books = dict[tuple[str, str], dict[str, int]]


@dataclass(frozen=True, slots=True)
class Outcome:
    year_end: YearEnd
    #: False when the year was already closed and this call posted nothing
    created: bool


def close_year(session: Session, actor: Actor, year: int, today: date) -> Outcome:
    """Close ``year`` in the caller's transaction, or return its close if it has one."""
    check_year(year, today)
    done = session.get(YearEnd, year)
    if done is not None:
        return Outcome(done, False)
    _lock(session)
    done = session.get(YearEnd, year, populate_existing=True)
    if done is not None:
        return Outcome(done, False)
    _check_order(session, year)
    books = _books(session, date(year, 12, 31))
    targets, maintained = _targets(books), _maintained(session)
    months = periods.close_months_of(session, actor, year)
    posted = post_batch(session, actor, _entries(year, books), into_closed_periods=True)
    _check(session, year, books, targets, maintained)
    year_end = YearEnd(year=year, closed_by=actor.name, entries=len(posted),
                       totals=_totals(year, books))
    session.add(year_end)
    session.flush()
    record(session, actor, "year.close", "year", year, entries=len(posted),
           months_closed=months, totals={t.currency: {
               "income_unrestricted": t.income_unrestricted,
               "income_restricted": t.income_restricted, "expenses": t.expenses}
               for t in year_end.totals})
    return Outcome(year_end, True)


def check_year(year: int, today: date) -> None:
    """A calendar year that is over in China time (``today`` is the ledger's)."""
    if isinstance(year, bool) or not isinstance(year, int) or \
            not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"a year is written like 2025, got {year!r}", "year")
    if year >= today.year:
        raise InvalidInput(f"only a year that is over can be closed: {year} ends on "
                           f"{year}-12-31 and today is {today} (China time)", "year")


def list_year_ends(session: Session) -> list[YearEnd]:
    return list(session.scalars(select(YearEnd).order_by(YearEnd.year.desc())))


def get_year_end(session: Session, year: int) -> YearEnd:
    found = session.get(YearEnd, year) if 1 <= year <= 9999 else None  # the column is 32-bit
    if found is None:
        raise NotFound(f"{year} has not been closed", "year")
    return found


def _lock(session: Session) -> None:
    """Hold every income, cost and net-asset account, in ascending id order like every
    poster, so no figure of the close can move under it and closes run one at a time; then,
    on PostgreSQL, hold back new entries as closing a month does (SQLite's transactions
    hold its single writer lock already)."""
    session.execute(select(Account.id).where(Account.chart_code.in_(CHARTS))
                    .order_by(Account.id).with_for_update()).all()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE entries IN SHARE ROW EXCLUSIVE MODE"))


def _check_order(session: Session, year: int) -> None:
    first = session.scalar(select(func.min(Entry.effective_date)))
    if first is None or first.year > year:
        raise InvalidInput(f"the ledger has nothing dated in {year} or before: there is no "
                           f"{year} to close", "year")
    if first.year < year and session.get(YearEnd, year - 1) is None:
        raise Conflict(f"{year - 1} is not closed yet; years close in order", "year")


def _books(session: Session, day: date) -> Books:
    """Every income, cost and net-asset balance as of ``day``: postings summed per account
    first (one pass through the (account, date) index), then joined to their funds."""
    sums = (select(Posting.account_id, func.sum(DEBIT_MINUS_CREDIT).label("net"))
            .where(Posting.effective_date <= day, Posting.account_id.in_(
                select(Account.id).where(Account.chart_code.in_(CHARTS))))
            .group_by(Posting.account_id).subquery())
    rows = session.execute(
        select(Fund.code, Account.currency, Account.chart_code, sums.c.net)
        .select_from(sums).join(Account, Account.id == sums.c.account_id)
        .join(Fund, Fund.id == Account.fund_id))
    books: Books = defaultdict(dict)
    for fund, currency, chart, debit_minus_credit in rows:
        books[fund, currency][chart] = int(debit_minus_credit) * (1 if chart in COSTS else -1)
    return dict(books)


def _result(charts: dict[str, int]) -> tuple[int, int]:
    """The year's result: (into 3101, into 3102)."""
    unrestricted = sum(charts.get(c, 0) for c in INCOME_UNRESTRICTED) - \
        sum(charts.get(c, 0) for c in COSTS)
    return unrestricted, sum(charts.get(c, 0) for c in INCOME_RESTRICTED)


def _targets(books: Books) -> dict[str, int]:
    """What each net-asset account must be as of 31 December once the year is closed."""
    targets = {}
    for (fund, currency), charts in books.items():
        unrestricted, restricted = _result(charts)
        for chart, change in ((UNRESTRICTED, unrestricted), (RESTRICTED, restricted)):
            targets[account_code(fund, chart, currency)] = charts.get(chart, 0) + change
    return targets


def _lines(fund: str, currency: str, charts: dict[str, int]) -> tuple[Line, ...]:
    """Each income and cost account back to zero, the difference into net assets."""
    lines = []
    for chart in NOMINAL:
        balance = charts.get(chart, 0)
        if balance:
            normal = Side.DEBIT if chart in COSTS else Side.CREDIT
            lines.append(Line(account_code(fund, chart, currency),
                              normal.opposite if balance > 0 else normal, abs(balance)))
    if not lines:
        return ()
    for chart, change in zip((UNRESTRICTED, RESTRICTED), _result(charts)):
        if change:
            lines.append(Line(account_code(fund, chart, currency),
                              Side.CREDIT if change > 0 else Side.DEBIT, abs(change)))
    return tuple(lines)


def _entries(year: int, books: Books) -> list[NewEntry]:
    """One closing entry per fund and currency with income or costs, dated 31 December."""
    return [NewEntry(kind="closing", effective_date=date(year, 12, 31), lines=lines,
                     memo=f"{year}年度结账：收入、费用结转净资产 (year-end close)",
                     external_ref=f"year-end-{year}", metadata={"year": str(year), "fund": fund})
            for (fund, currency), charts in sorted(books.items())
            if (lines := _lines(fund, currency, charts))]


def _maintained(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Account.code, Account.balance)
                                .where(Account.chart_code.in_(CHARTS))).all())


def _check(session: Session, year: int, books: Books, targets: dict[str, int],
           maintained: dict[str, int]) -> None:
    """Refuse the close unless the ledger now says exactly what was computed before."""
    before, after = _by_code(books), _by_code(_books(session, date(year, 12, 31)))
    moved = _maintained(session)
    for code in sorted(set(before) | set(after) | set(targets)):
        _fund, chart, currency = code.rsplit(":", 2)
        balance = after.get(code, 0)
        wanted = 0 if chart in NOMINAL else targets.get(code, before.get(code, 0))
        if balance != wanted:
            _refuse(year, f"{code} is {format_amount(balance, currency)} as of {year}-12-31, "
                          f"not {format_amount(wanted, currency)}")
        shift = moved.get(code, 0) - maintained.get(code, 0)
        if shift != balance - before.get(code, 0):
            _refuse(year, f"{code}'s maintained balance moved by "
                          f"{format_amount(shift, currency)}, its postings by "
                          f"{format_amount(balance - before.get(code, 0), currency)}")


def _by_code(books: Books) -> dict[str, int]:
    return {account_code(fund, chart, currency): balance
            for (fund, currency), charts in books.items() for chart, balance in charts.items()}


def _refuse(year: int, what: str) -> None:
    raise Conflict(f"the close of {year} does not check ({what}); nothing was posted", "year")


def _totals(year: int, books: Books) -> list[YearEndTotal]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (_fund, currency), charts in books.items():
        if any(charts.get(chart) for chart in NOMINAL):
            figures = sums[currency]
            figures[0] += sum(charts.get(c, 0) for c in INCOME_UNRESTRICTED)
            figures[1] += sum(charts.get(c, 0) for c in INCOME_RESTRICTED)
            figures[2] += sum(charts.get(c, 0) for c in COSTS)
    return [YearEndTotal(year=year, currency=currency, income_unrestricted=iu,
                         income_restricted=ir, expenses=costs,
                         unrestricted_change=iu - costs, restricted_change=ir)
            for currency, (iu, ir, costs) in sorted(sums.items())]
