"""Request and response shapes for donors, donations (pass-through gifts and their payments
on included), receipt books and receipts."""

from __future__ import annotations

import marshmallow as ma

from fundpool.api.ledger.schemas import Amount
from fundpool.api.pagination import PageArgsSchema, page_schema
from fundpool.api.pools.schemas import CODE
from fundpool.api.requests import principal
from fundpool.donations.models import CHANNELS, DONOR_KINDS
from fundpool.donations.pass_through import NOTE_MAX, RECIPIENT_MAX, PassThrough
from fundpool.ledger.money import EXPONENTS, format_amount

#: The shortest identity number the API takes (DonorCreateSchema); a shorter one shows no
#: character at all.
SHORTEST_ID = 6


def masked(id_number: str | None) -> str | None:
    """Show the first 3 and last 2 characters of an identity number (18 characters for a
    resident identity card, a credit code), nothing between. A short number (a passport, a
    Hong Kong identity card: 6 to 14 characters) shows only its first and last, so that a
    mask never gives away most of the number. One shorter still (kept by the service from a
    file or a slip; the API takes none) is all stars: its first and last would be most of it,
    or all of it (``"7"`` showed as ``"77"``)."""
    if not id_number:
        return None
    if len(id_number) < SHORTEST_ID:
        return "*" * len(id_number)
    head, tail = (3, 2) if len(id_number) >= 15 else (1, 1)
    return id_number[:head] + "*" * (len(id_number) - head - tail) + id_number[-tail:]


class DonorCreateSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(DONOR_KINDS))
    name = ma.fields.String(load_default="", validate=ma.validate.Length(0, 200),
                            metadata={"example": "平安银行深圳分行"})
    anonymous = ma.fields.Boolean(load_default=False)
    contact = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 200))
    id_number = ma.fields.String(load_default=None, validate=ma.validate.Regexp(
        r"^[0-9A-Za-z]{6,30}$", error="an identity or credit code is 6 to 30 letters or digits"),
        metadata={"description": "Kept only when a receipt needs it; shown masked except to "
                                 "auditors"})


def _foundation_reads() -> bool:
    """A foundation reads the gifts to the funds granted to it, not who gave them beyond the
    name its statement shows (匿名捐赠人 for an anonymous donor): it is a third party to the
    donor, and a receipt is the pool's business, not the foundation's."""
    return principal().role == "foundation"


class DonorSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    name = ma.fields.Method("shown_name", metadata={
        "type": "string", "description": "To a foundation, the display name (匿名捐赠人 for an "
                                         "anonymous donor)"})
    display_name = ma.fields.String()
    anonymous = ma.fields.Boolean()
    contact = ma.fields.Method("shown_contact", allow_none=True, metadata={
        "type": "string", "description": "Never shown to a foundation"})
    id_number = ma.fields.Method("shown_id_number", allow_none=True, metadata={
        "type": "string", "description": "Masked except for auditors; never shown to a "
                                         "foundation"})

    def shown_name(self, donor) -> str:
        return donor.display_name if _foundation_reads() else donor.name

    def shown_contact(self, donor) -> str | None:
        return None if _foundation_reads() else donor.contact

    def shown_id_number(self, donor) -> str | None:
        if _foundation_reads():
            return None
        return donor.id_number if principal().role == "auditor" else masked(donor.id_number)


class PassThroughCreateSchema(ma.Schema):
    recipient = ma.fields.String(required=True, validate=ma.validate.Length(1, RECIPIENT_MAX),
                                 metadata={"description": "The person or body the donor "
                                           "designated; the gift is paid on to them",
                                           "example": "福田区南园街道 王某某（重病患儿家庭）"})
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(1, NOTE_MAX),
                            metadata={"description": "e.g. how and when to pay on"})

    @ma.post_load
    def make(self, data, **_kwargs) -> PassThrough:
        return PassThrough(**data)


class DonationCreateSchema(ma.Schema):
    donor_id = ma.fields.Integer(required=True)
    fund = ma.fields.String(required=True, metadata={"example": "ELDER-440304001"})
    amount = Amount(required=True)
    currency = ma.fields.String(load_default="CNY", validate=ma.validate.OneOf(list(EXPONENTS)))
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(CHANNELS))
    channel_ref = ma.fields.String(required=True, validate=ma.validate.Length(1, 100), metadata={
        "description": "The channel's own transaction id; unique per channel"})
    received_date = ma.fields.Date(required=True)
    purpose = ma.fields.String(load_default="", validate=ma.validate.Length(0, 500))
    in_kind_description = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 500),
                                           metadata={"description": "For channel in_kind: what"})
    valuation_basis = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 200),
                                       metadata={"description": "For channel in_kind: how it "
                                                 "was valued (invoice, market price, appraisal)"})
    issue_receipt = ma.fields.Boolean(load_default=None, metadata={
        "description": "Take the next official receipt number of the pool's open book. "
                       "Default: yes, except for a pass-through gift, which is not the pool's "
                       "income and takes no 公益事业捐赠票据 (true is refused for one)"})
    pass_through = ma.fields.Nested(PassThroughCreateSchema, load_default=None, metadata={
        "description": "Mark the gift pass-through (受托代理): designated by the donor for a "
                       "named recipient, it is not income — it posts Dr 1701 受托代理资产 / "
                       "Cr 2601 受托代理负债 on the fund and is paid on with "
                       "POST /donations/{id}/pay-on"})


class ReceiptSchema(ma.Schema):
    code = ma.fields.String(attribute="receipt_code", metadata={"description": "票据代码"})
    number = ma.fields.String(attribute="receipt_number", metadata={"description": "票据号码"})
    amount = ma.fields.Function(lambda r: format_amount(r.amount, r.currency))
    currency = ma.fields.String()
    donation_id = ma.fields.Integer()
    issued_at = ma.fields.DateTime()
    voided_at = ma.fields.DateTime(allow_none=True)
    void_reason = ma.fields.String(allow_none=True)


class PaymentSchema(ma.Schema):
    id = ma.fields.Integer()
    amount = ma.fields.Function(lambda p: format_amount(p.amount, p.donation.currency))
    paid_date = ma.fields.Date()
    reference = ma.fields.String(allow_none=True)
    memo = ma.fields.String()
    entry_id = ma.fields.Integer()
    created_at = ma.fields.DateTime()


class PassThroughSchema(ma.Schema):
    recipient = ma.fields.String(attribute="pass_through_recipient")
    note = ma.fields.String(attribute="pass_through_note", allow_none=True)
    paid_on = ma.fields.Function(lambda d: format_amount(d.paid_on, d.currency), metadata={
        "description": "Paid on to the recipient so far"})
    outstanding = ma.fields.Function(lambda d: format_amount(d.outstanding, d.currency),
                                     metadata={"description": "Still held for the recipient: "
                                               "the gift less what was paid on or refunded"})
    payments = ma.fields.Nested(PaymentSchema, many=True, attribute="pass_through_payments")


class _PassThroughOf(ma.fields.Nested):
    """The donation's own pass-through columns, as one object; null for an ordinary gift."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return obj if obj.is_pass_through else None


class PayOnSchema(ma.Schema):
    amount = Amount(required=True)
    paid_date = ma.fields.Date(required=True, metadata={
        "description": "When the money left for the recipient (not after today, not before "
                       "the gift was received)"})
    reference = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 100),
                                 metadata={"description": "e.g. the bank transfer's number"})
    memo = ma.fields.String(load_default="", validate=ma.validate.Length(0, 500))


class DonationSchema(ma.Schema):
    id = ma.fields.Integer()
    donor = ma.fields.Nested(DonorSchema)
    fund = ma.fields.Function(lambda d: d.fund.code)
    amount = ma.fields.Function(lambda d: format_amount(d.amount, d.currency))
    refunded = ma.fields.Function(lambda d: format_amount(d.refunded, d.currency))
    currency = ma.fields.String()
    channel = ma.fields.String()
    channel_ref = ma.fields.String()
    received_date = ma.fields.Date()
    purpose = ma.fields.String()
    in_kind_description = ma.fields.String(allow_none=True)
    valuation_basis = ma.fields.String(allow_none=True)
    entry_id = ma.fields.Integer()
    receipt = ma.fields.Nested(ReceiptSchema, allow_none=True)
    pass_through = _PassThroughOf(PassThroughSchema, allow_none=True, metadata={
        "description": "For a pass-through gift (受托代理): its recipient, what was paid on and "
                       "what is still held; null for an ordinary gift"})
    warning = ma.fields.String(allow_none=True, metadata={
        "description": "e.g. the receipt book is running low"})


class RefundSchema(ma.Schema):
    amount = Amount(required=True)
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 500))


class DonationQuerySchema(PageArgsSchema):
    fund = ma.fields.String()
    within = ma.fields.String(validate=CODE)
    channel = ma.fields.String(validate=ma.validate.OneOf(CHANNELS))


class BookCreateSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "票据代码, 8 digits"})
    first_number = ma.fields.String(required=True, metadata={"example": "0000000001"})
    last_number = ma.fields.String(required=True, metadata={"example": "0000000500"})


class BookSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    first_number = ma.fields.Function(lambda b: f"{b.first_number:010d}")
    last_number = ma.fields.Function(lambda b: f"{b.last_number:010d}")
    next_number = ma.fields.Function(lambda b: f"{b.next_number:010d}")
    remaining = ma.fields.Integer()


class ReceiptQuerySchema(PageArgsSchema):
    pool = ma.fields.String(required=True, validate=CODE)
    year = ma.fields.Integer(required=True, validate=ma.validate.Range(2000, 2100))


DonationPageSchema = page_schema(DonationSchema, "DonationPageSchema")
ReceiptPageSchema = page_schema(ReceiptSchema, "ReceiptPageSchema")
