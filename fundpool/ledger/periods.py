"""Accounting periods are calendar months. A closed month accepts no entry dated in it.

Closing takes a SHARE lock on the entries table on PostgreSQL: it waits for
entries being written to finish, and holds new ones back until it commits.
Posting checks the period *after* inserting its entry, so whichever commits
first wins and no entry ever lands in a month that was closed before it.
The year-end close closes its year's months too, and a month of a closed year
cannot be reopened (year_end.py). Posting also refuses any date on or before the
latest closed year's 31 December, in the same statement as the month check
(storage.py): when the books began in the closed year, the year before it has no
closed month, yet an entry dated there would change the closed year's balances.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.db import utcnow
from fundpool.errors import Conflict, InvalidInput
from fundpool.ledger.models import Period
from fundpool.ledger.year_end_models import YearEnd

_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def closed_months(session: Session) -> frozenset[str]:
    """The months closed now ("2026-08"), for checks that must refuse such dates up front
    (a bulk import rejects those rows one by one instead of failing whole at posting)."""
    return frozenset(session.scalars(select(Period.month).where(Period.closed)))


def closed_through(session: Session) -> date | None:
    """The last day of the latest closed year, if any: nothing may be dated on or before it,
    also not in a year before it that has no months of its own (storage's check)."""
    year = session.scalar(select(func.max(YearEnd.year)))
    return None if year is None else date(year, 12, 31)


def close_period(session: Session, actor: Actor, month: str, today: date) -> Period:
    _check_month(month)
    if month >= month_of(today):
        raise InvalidInput(f"only a past month can be closed; {month} is not over yet", "month")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE entries IN SHARE MODE"))
    return _set(session, actor, month, closed=True, reason=None)


def reopen_period(session: Session, actor: Actor, month: str, reason: str) -> Period:
    _check_month(month)
    if not reason.strip():
        raise InvalidInput("reopening a period needs a reason", "reason")
    return _set(session, actor, month, closed=False, reason=reason)


def close_months_of(session: Session, actor: Actor, year: int) -> list[str]:
    """Close every month of ``year`` still open, as the year-end close does (its caller
    holds the entries table); returns the months it closed."""
    months = [f"{year:04d}-{month:02d}" for month in range(1, 13)]
    already = set(session.scalars(select(Period.month).where(
        Period.month.in_(months), Period.closed).with_for_update()))
    for month in months:
        if month not in already:
            _set(session, actor, month, closed=True, reason=f"{year}年度结账 year-end close")
    return [month for month in months if month not in already]


def _set(session: Session, actor: Actor, month: str, *, closed: bool, reason: str | None) -> Period:
    period = session.get(Period, month, with_for_update=True, populate_existing=True)
    if bool(period and period.closed) == closed:
        raise Conflict(f"{month} is already {'closed' if closed else 'open'}", "month")
    if not closed and session.get(YearEnd, int(month[:4])) is not None:
        raise Conflict(f"{month[:4]} is closed for the year (年度结账), so its months stay "
                       "closed; date a correction in an open month after it", "month")
    if period is None:
        period = Period(month=month, closed=closed, changed_by=actor.name, reason=reason)
        session.add(period)
    else:
        period.closed, period.changed_at = closed, utcnow()
        period.changed_by, period.reason = actor.name, reason
    session.flush()
    record(session, actor, "period.close" if closed else "period.reopen", "period", month,
           reason=reason)
    return period


def _check_month(month: str) -> None:
    """The whole string must be the month: ``$`` would let "2026-01\\n" through, a key
    posting never looks up (and too long for PostgreSQL's VARCHAR(7))."""
    if not _MONTH.fullmatch(month):
        raise InvalidInput(f"a period is a month written YYYY-MM, got {month!r}", "month")
