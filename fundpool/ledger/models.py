"""Ledger tables. Entries and postings are append-only (the database refuses UPDATE
and DELETE); an account row carries its maintained balance and the head of its
hash chain, both updated under the account's row lock."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundpool.db import Base, utcnow
from fundpool.pools.models import Pool

ACCOUNT_TYPES = ("asset", "liability", "net_assets", "income", "expense")
DEBIT_NORMAL = ("asset", "expense")
GENESIS = "0" * 64


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("type IN ('asset', 'liability', 'net_assets', 'income', 'expense')",
                        name="type_known"),
        CheckConstraint("pending >= 0", name="pending_not_negative"),
        CheckConstraint("NOT no_overdraft OR balance - pending >= 0", name="no_overdraft"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    chart_code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="RESTRICT"), index=True)
    # Nullable only because SQLite cannot add a NOT NULL reference to a filled table;
    # every account is opened for a fund (open_fund_accounts).
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id", ondelete="RESTRICT"),
                                                index=True)
    type: Mapped[str] = mapped_column(String(12))
    currency: Mapped[str] = mapped_column(String(3))
    no_overdraft: Mapped[bool]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    balance: Mapped[int] = mapped_column(default=0)
    pending: Mapped[int] = mapped_column(default=0)
    last_seq: Mapped[int] = mapped_column(default=0)
    head_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)

    pool: Mapped[Pool] = relationship(lazy="joined")

    @property
    def normal_side(self) -> str:
        return "debit" if self.type in DEBIT_NORMAL else "credit"

    @property
    def available(self) -> int:
        return self.balance - self.pending

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Entry(Base):
    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_date: Mapped[date] = mapped_column(Date, index=True)
    recorded_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20), index=True)
    memo: Mapped[str] = mapped_column(String(500))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    meta: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    actor: Mapped[str] = mapped_column(String(120))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id"), unique=True)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"), index=True)
    entry_hash: Mapped[str] = mapped_column(String(64))

    postings: Mapped[list[Posting]] = relationship(back_populates="entry", order_by="Posting.id",
                                                   lazy="selectin")


class Posting(Base):
    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("side IN ('debit', 'credit')", name="side_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("account_id", "account_seq", name="uq_postings_account_seq"),
        Index("ix_postings_account_date", "account_id", "effective_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    side: Mapped[str] = mapped_column(String(6))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    effective_date: Mapped[date] = mapped_column(Date)
    account_seq: Mapped[int]
    chain_hash: Mapped[str] = mapped_column(String(64))

    entry: Mapped[Entry] = relationship(back_populates="postings")
    account: Mapped[Account] = relationship(lazy="joined")


class Hold(Base):
    """A pending transfer on one or more accounts, resolved exactly once as a unit."""

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'committed', 'voided', 'expired')",
                        name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    kind: Mapped[str] = mapped_column(String(20))
    memo: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(120))

    legs: Mapped[list[HoldLeg]] = relationship(back_populates="hold", order_by="HoldLeg.id",
                                               lazy="selectin")


class HoldLeg(Base):
    """Reserve ``amount`` on ``account`` (it stops counting as available); on commit the
    account moves against its normal side and ``counter_account`` takes the other side."""

    __tablename__ = "hold_legs"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("holds.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    counter_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int]
    committed: Mapped[int | None]

    hold: Mapped[Hold] = relationship(back_populates="legs")
    account: Mapped[Account] = relationship(foreign_keys=[account_id], lazy="joined")
    counter_account: Mapped[Account] = relationship(foreign_keys=[counter_account_id],
                                                    lazy="joined")


class Period(Base):
    """A calendar month whose entries are final while it is closed."""

    __tablename__ = "periods"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-10"
    closed: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(String(500))
