"""Donors, donations (some of them pass-through gifts and their payments on), receipt books
and receipts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundpool.db import Base, utcnow
from fundpool.funds.models import Fund

DONOR_KINDS = ("individual", "enterprise", "foundation", "platform", "government")
CHANNELS = ("bank_transfer", "wechat_pay", "alipay", "internet_platform", "cash", "in_kind")
#: Money arriving through these sits with the payment platform first (1009), not the bank.
CLEARING_CHANNELS = ("wechat_pay", "alipay", "internet_platform")


#: How an anonymous donor is named wherever a donor is named (the console words it in English).
ANONYMOUS_DONOR = "匿名捐赠人"


class Donor(Base):
    __tablename__ = "donors"
    __table_args__ = (CheckConstraint(
        "kind IN ('individual', 'enterprise', 'foundation', 'platform', 'government')",
        name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200), index=True)
    anonymous: Mapped[bool]
    contact: Mapped[str | None] = mapped_column(String(200))
    id_number: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def display_name(self) -> str:
        return ANONYMOUS_DONOR if self.anonymous else self.name


class Donation(Base):
    __tablename__ = "donations"
    __table_args__ = (
        UniqueConstraint("channel", "channel_ref", name="uq_donations_channel_ref"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded >= 0 AND refunded <= amount", name="refund_within_amount"),
        CheckConstraint("paid_on >= 0 AND paid_on + refunded <= amount",
                        name="paid_on_within_amount"),
        CheckConstraint("paid_on = 0 OR pass_through_recipient IS NOT NULL",
                        name="paid_on_only_pass_through"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(20))
    channel_ref: Mapped[str] = mapped_column(String(100))
    received_date: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(500))
    in_kind_description: Mapped[str | None] = mapped_column(String(500))
    valuation_basis: Mapped[str | None] = mapped_column(String(200))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    refunded: Mapped[int] = mapped_column(default=0)
    #: A pass-through gift (受托代理) names the recipient it is to be paid on to; it is not
    #: income. ``None`` for an ordinary gift.
    pass_through_recipient: Mapped[str | None] = mapped_column(String(200))
    pass_through_note: Mapped[str | None] = mapped_column(String(500))
    #: How much of a pass-through gift has been paid on to its recipient (minor units).
    paid_on: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    donor: Mapped[Donor] = relationship(lazy="joined")
    fund: Mapped[Fund] = relationship(lazy="joined")
    receipts: Mapped[list[Receipt]] = relationship(back_populates="donation", lazy="selectin",
                                                   order_by="Receipt.id")
    pass_through_payments: Mapped[list[PassThroughPayment]] = relationship(
        back_populates="donation", lazy="selectin", order_by="PassThroughPayment.id")

    @property
    def receipt(self) -> Receipt | None:
        """The receipt in force: the newest one not voided."""
        return next((r for r in reversed(self.receipts) if r.voided_at is None), None)

    @property
    def is_pass_through(self) -> bool:
        return self.pass_through_recipient is not None

    @property
    def outstanding(self) -> int:
        """What a pass-through gift still holds for its recipient: neither paid on nor
        refunded (0 for an ordinary gift)."""
        return self.amount - self.refunded - self.paid_on if self.is_pass_through else 0


class PassThroughPayment(Base):
    """One payment of a pass-through gift on to its designated recipient: Dr 2601 受托代理负债 /
    Cr 1701 受托代理资产, the entry ``entry_id``."""

    __tablename__ = "pass_through_payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), index=True)
    amount: Mapped[int]
    paid_date: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))
    memo: Mapped[str] = mapped_column(String(500), default="")
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    donation: Mapped[Donation] = relationship(back_populates="pass_through_payments")


class ReceiptBook(Base):
    """A book of official receipt numbers (公益事业捐赠票据) drawn from the finance authority."""

    __tablename__ = "receipt_books"
    __table_args__ = (
        UniqueConstraint("code", "first_number", name="uq_receipt_books_code_first"),
        CheckConstraint("first_number <= last_number", name="range_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id"), index=True)
    code: Mapped[str] = mapped_column(String(8))
    first_number: Mapped[int]
    last_number: Mapped[int]
    next_number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def remaining(self) -> int:
        return self.last_number - self.next_number + 1


class Receipt(Base):
    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("book_id", "number", name="uq_receipts_book_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("receipt_books.id"))
    number: Mapped[int]
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), index=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(String(500))

    book: Mapped[ReceiptBook] = relationship(lazy="joined")
    donation: Mapped[Donation] = relationship(back_populates="receipts")

    @property
    def receipt_code(self) -> str:
        return self.book.code

    @property
    def receipt_number(self) -> str:
        return f"{self.number:010d}"


class ImportJob(Base):
    """A donations file being imported: its progress, and at the end its report."""

    __tablename__ = "import_jobs"
    __table_args__ = (CheckConstraint(
        "status IN ('queued', 'checking', 'importing', 'done', 'stopped', 'failed')",
        name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    file_name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    strict: Mapped[bool]
    rows_total: Mapped[int | None]
    rows_done: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(String(500))
    report: Mapped[dict | None] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120))
    token_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
