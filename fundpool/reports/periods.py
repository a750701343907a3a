"""The days a report covers, as the API and the console both read them: never the future
(the ledger ends today, China time) nor before its first day, ``from`` not after ``to``; by
default this year so far."""

from __future__ import annotations

from datetime import date

from fundpool.errors import InvalidInput
from fundpool.ledger.posting import EARLIEST_DATE


def not_future(day: date | None, today: date, field: str) -> None:
    if day is not None and day > today:
        raise InvalidInput("{day} is in the future (today is {today}, China time)", field,
                           day=day.isoformat(), today=today.isoformat())


def report_period(date_from: date | None, date_to: date | None,
                  today: date) -> tuple[date, date]:
    """``from``..``to``; ``to`` defaults to today and ``from`` to 1 January of ``to``'s year."""
    date_to = date_to or today
    date_from = date_from or date(date_to.year, 1, 1)
    for day, field in ((date_from, "from"), (date_to, "to")):
        not_future(day, today, field)
        if day < EARLIEST_DATE:
            raise InvalidInput("{name} ({day}) is before the ledger's first day, {first}",
                               field, name=field, day=day.isoformat(),
                               first=EARLIEST_DATE.isoformat())
    if date_from > date_to:
        raise InvalidInput("from ({start}) is after to ({end})", "from",
                           start=date_from.isoformat(), end=date_to.isoformat())
    return date_from, date_to


def parse_day(text: str | None, field: str) -> date | None:
    """``YYYY-MM-DD`` from a form or query string; empty is None; anything else a 422."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("{text!r} is not a date: write YYYY-MM-DD, e.g. 2026-03-31", field,
                           text=text) from None
