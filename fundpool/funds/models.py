"""Funds: money accounted separately inside a pool, with an optional restriction."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundpool.db import Base, utcnow
from fundpool.ledger.models import Account
from fundpool.pools.models import Pool

FUND_KINDS = ("general", "community", "special", "named")
CATEGORIES = ("minimum_living_allowance", "extreme_poverty", "disability", "children_in_difficulty",
              "left_behind_children", "elderly_in_difficulty", "left_behind_women",
              "single_mothers", "general_residents")
CATEGORY_NAMES_ZH = dict(zip(CATEGORIES, (
    "低保对象", "特困人员", "残疾人", "困境儿童", "留守儿童", "特殊困难老人", "留守妇女", "单亲妈妈",
    "一般居民")))


class Fund(Base):
    __tablename__ = "funds"
    __table_args__ = (
        CheckConstraint("kind IN ('general', 'community', 'special', 'named')", name="kind_known"),
        CheckConstraint("kind <> 'named' OR named_for IS NOT NULL", name="named_has_namesake"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(200))
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    restricted: Mapped[bool]
    named_for: Mapped[str | None] = mapped_column(String(200))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    area_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    per_grant_limit: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    pool: Mapped[Pool] = relationship(lazy="joined")
    accounts: Mapped[list[Account]] = relationship(viewonly=True, order_by=Account.id)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class FundGrant(Base):
    """A foundation token may read this fund."""

    __tablename__ = "fund_grants"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), primary_key=True)


class Allocation(Base):
    """Money moved from one fund to another, down the hierarchy or back up: one entry."""

    __tablename__ = "allocations"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    target_fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    direction: Mapped[str] = mapped_column(String(6))  # "down", "up" or "across" (same pool)
    memo: Mapped[str] = mapped_column(String(500))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    source: Mapped[Fund] = relationship(foreign_keys=[source_fund_id], lazy="joined")
    target: Mapped[Fund] = relationship(foreign_keys=[target_fund_id], lazy="joined")
