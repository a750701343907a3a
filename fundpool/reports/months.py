"""Calendar months and quarters of the public figures, and the SQL that buckets rows by month.

Months are China Standard Time's, as the ledger's calendar is: a date column is taken as it
is; a UTC timestamp (when a match was completed) is shifted by eight hours first, so a grant
completed at 23:30 on 31 March in Shenzhen counts in March.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, literal_column
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from fundpool.errors import InvalidInput


@dataclass(frozen=True, slots=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.next().first_day.toordinal() - 1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last``, both included."""
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month.next()
    return months


@dataclass(frozen=True, slots=True)
class Quarter:
    year: int
    number: int  # 1..4

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return Month(self.year, 3 * self.number).last_day


# Constants are literals, not parameters, so that the same expression in SELECT and GROUP BY
# is the same SQL (PostgreSQL does not match two differently numbered parameters).
_PG_MONTH = literal_column("'YYYY-MM'")
_SQLITE_MONTH = literal_column("'%Y-%m'")


def day_month(session: Session, column) -> ColumnElement[str]:
    """``YYYY-MM`` of a DATE column, on SQLite and PostgreSQL alike."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, _PG_MONTH)
    return func.strftime(_SQLITE_MONTH, column)


def china_month(session: Session, column) -> ColumnElement[str]:
    """``YYYY-MM`` in China Standard Time of a UTC timestamp column."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(literal_column("'Asia/Shanghai'"), column), _PG_MONTH)
    return func.strftime(_SQLITE_MONTH, column, literal_column("'+8 hours'"))


def parse_month(text: str, field: str) -> Month:
    """``YYYY-MM`` → Month; a 422 naming ``field`` otherwise."""
    year, dash, month = text.partition("-")
    if not (dash and len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit()
            and 1 <= int(month) <= 12):
        raise InvalidInput(f"{text!r} is not a month: write YYYY-MM, e.g. 2026-03", field)
    return Month(int(year), int(month))


def parse_quarter(text: str, field: str = "quarter") -> Quarter:
    """``YYYY-Qn`` → Quarter; a 422 naming ``field`` otherwise."""
    year, q, number = text.upper().partition("-Q")
    if not (q and len(year) == 4 and year.isdigit() and number in ("1", "2", "3", "4")):
        raise InvalidInput(f"{text!r} is not a quarter: write YYYY-Qn with n from 1 to 4, "
                           "e.g. 2026-Q3", field)
    return Quarter(int(year), int(number))
