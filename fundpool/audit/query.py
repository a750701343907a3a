"""Finding audit events: the filters an auditor asks with, shared by the list and the export.

Days are China Standard Time's, like the ledger's: ``day_from``..``day_to`` covers events
from 00:00 of the first day to the end of the last, Asia/Shanghai.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, select

from fundpool.audit.models import AuditEvent
from fundpool.errors import InvalidInput
from fundpool.ledger.posting import EARLIEST_DATE, LEDGER_TZ

#: Far enough for any question, near enough that a day's bounds stay within datetime's range.
LATEST_DAY = date(9998, 12, 31)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Every field left ``None`` matches everything."""

    action: str | None = None
    actor: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    request_id: str | None = None
    day_from: date | None = None
    day_to: date | None = None

    def __post_init__(self) -> None:
        for day, name in ((self.day_from, "from"), (self.day_to, "to")):
            if day is not None and not EARLIEST_DATE <= day <= LATEST_DAY:
                raise InvalidInput("{name} must lie between {first} and {last}, got {day}", name,
                                   name=name, first=EARLIEST_DATE.isoformat(),
                                   last=LATEST_DAY.isoformat(), day=day.isoformat())
        if self.day_from and self.day_to and self.day_from > self.day_to:
            raise InvalidInput("from ({start}) is after to ({end})", "from",
                               start=self.day_from.isoformat(), end=self.day_to.isoformat())


def events_select(wanted: AuditFilter) -> Select:
    """The matching events, unordered: the caller orders by id (the order they were written)."""
    stmt = select(AuditEvent)
    for column, value in ((AuditEvent.action, wanted.action), (AuditEvent.actor, wanted.actor),
                          (AuditEvent.target_type, wanted.target_type),
                          (AuditEvent.target_id, wanted.target_id),
                          (AuditEvent.request_id, wanted.request_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if wanted.day_from is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= _start_of(wanted.day_from))
    if wanted.day_to is not None:
        stmt = stmt.where(AuditEvent.occurred_at < _start_of(wanted.day_to + timedelta(days=1)))
    return stmt


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, LEDGER_TZ)
