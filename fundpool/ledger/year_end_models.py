"""The record of each closed year: who closed it, when, and what its closing entries moved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundpool.db import Base, utcnow


class YearEnd(Base):
    """A closed year. Its primary key is the year, so a year is closed at most once."""

    __tablename__ = "year_ends"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[str] = mapped_column(String(120))
    #: closing entries posted, one per fund and currency with income or costs
    entries: Mapped[int]

    totals: Mapped[list[YearEndTotal]] = relationship(order_by="YearEndTotal.currency",
                                                      lazy="selectin")


class YearEndTotal(Base):
    """What the close moved in one currency, in minor units, summed over every fund."""

    __tablename__ = "year_end_totals"

    year: Mapped[int] = mapped_column(Integer, ForeignKey("year_ends.year"), primary_key=True,
                                      autoincrement=False)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    #: 410101 + 4901 closed (net credit), 410102 closed, 5101 + 5201 closed (net debit)
    income_unrestricted: Mapped[int]
    income_restricted: Mapped[int]
    expenses: Mapped[int]
    #: what 3101 and 3102 gained (negative: lost)
    unrestricted_change: Mapped[int]
    restricted_change: Mapped[int]
