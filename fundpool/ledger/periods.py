"""Accounting periods are calendar months. A closed month accepts no entry dated in it.

Closing takes a SHARE lock on the entries table on PostgreSQL: it waits for
entries being written to finish, and holds new ones back until it commits.
Posting checks the period *after* inserting its entry, so whichever commits
first wins and no entry ever lands in a month that was closed before it.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.db import utcnow
from fundpool.errors import Conflict, InvalidInput
from fundpool.ledger.models import Period

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


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


def _set(session: Session, actor: Actor, month: str, *, closed: bool, reason: str | None) -> Period:
    period = session.get(Period, month, with_for_update=True, populate_existing=True)
    if bool(period and period.closed) == closed:
        raise Conflict(f"{month} is already {'closed' if closed else 'open'}", "month")
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
    if not _MONTH.match(month):
        raise InvalidInput(f"a period is a month written YYYY-MM, got {month!r}", "month")
