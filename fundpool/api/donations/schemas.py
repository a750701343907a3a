"""Request and response shapes for donors, donations, receipt books and receipts."""

from __future__ import annotations

import marshmallow as ma

from fundpool.api.ledger.schemas import Amount
from fundpool.api.pagination import PageArgsSchema, page_schema
from fundpool.api.pools.schemas import CODE
from fundpool.api.requests import principal
from fundpool.donations.models import CHANNELS, DONOR_KINDS
from fundpool.ledger.money import EXPONENTS, format_amount


def masked(id_number: str | None) -> str | None:
    """Show the first 3 and last 2 characters of an identity number, nothing between."""
    if not id_number:
        return None
    return id_number[:3] + "*" * max(len(id_number) - 5, 0) + id_number[-2:]


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


class DonorSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    name = ma.fields.String()
    display_name = ma.fields.String()
    anonymous = ma.fields.Boolean()
    contact = ma.fields.String(allow_none=True)
    id_number = ma.fields.Method("shown_id_number", allow_none=True)

    def shown_id_number(self, donor) -> str | None:
        return donor.id_number if principal().role == "auditor" else masked(donor.id_number)


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
    issue_receipt = ma.fields.Boolean(load_default=True, metadata={
        "description": "Take the next official receipt number of the pool's open book"})


class ReceiptSchema(ma.Schema):
    code = ma.fields.String(attribute="receipt_code", metadata={"description": "票据代码"})
    number = ma.fields.String(attribute="receipt_number", metadata={"description": "票据号码"})
    amount = ma.fields.Function(lambda r: format_amount(r.amount, r.currency))
    currency = ma.fields.String()
    donation_id = ma.fields.Integer()
    issued_at = ma.fields.DateTime()
    voided_at = ma.fields.DateTime(allow_none=True)
    void_reason = ma.fields.String(allow_none=True)


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
