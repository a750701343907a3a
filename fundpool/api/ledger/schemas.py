"""Request and response shapes for accounts, entries, holds, periods and verification.

Amounts travel as decimal strings in the currency's exponent ("1000.00" CNY,
"500" JPY); JSON numbers are refused so that no amount ever passes through a float.
"""

from __future__ import annotations

import re

import marshmallow as ma

from fundpool.api.pagination import PageArgsSchema, page_schema
from fundpool.api.pools.schemas import CODE
from fundpool.ledger.models import ACCOUNT_TYPES
from fundpool.ledger.money import EXPONENTS, format_amount
from fundpool.ledger.values import KINDS

DECIMAL = r"^[0-9]{1,15}(\.[0-9]{1,4})?$"
#: The same, with ``\Z``: Python's ``$`` would also match before a trailing newline.
_WHOLE_DECIMAL = re.compile(DECIMAL[:-1] + r"\Z")


class Amount(ma.fields.String):
    """A decimal string; its exponent is checked against the account's currency later."""

    default_error_messages = {
        "invalid": 'amounts are decimal strings such as "1000.00", not JSON numbers'}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update({"example": "1000.00", "pattern": DECIMAL})
        super().__init__(validate=ma.validate.Regexp(
            _WHOLE_DECIMAL, error="{input} is not a positive decimal amount such as 1000.00"), **kwargs)


def money(attribute: str):
    return ma.fields.Function(lambda obj: format_amount(getattr(obj, attribute), obj.currency),
                              metadata={"type": "string", "example": "1000.00"})


class AccountSchema(ma.Schema):
    code = ma.fields.String(metadata={"example": "440304001:1002:CNY"})
    chart_code = ma.fields.String(metadata={"example": "1002"})
    name = ma.fields.String(metadata={"example": "银行存款"})
    name_en = ma.fields.String()
    pool_code = ma.fields.Function(lambda a: a.pool.code)
    type = ma.fields.String(metadata={"enum": list(ACCOUNT_TYPES)})
    normal_side = ma.fields.String(metadata={"enum": ["debit", "credit"]})
    currency = ma.fields.String(metadata={"enum": list(EXPONENTS)})
    no_overdraft = ma.fields.Boolean()
    status = ma.fields.Function(lambda a: "open" if a.is_open else "closed")
    balance = money("balance")
    pending = money("pending")
    available = money("available")


class AccountQuerySchema(PageArgsSchema):
    within = ma.fields.String(validate=CODE, metadata={"description": "Accounts of this pool's subtree"})
    pool = ma.fields.String(validate=CODE, metadata={"description": "Accounts of this pool only"})
    chart_code = ma.fields.String(metadata={"example": "1002"})
    currency = ma.fields.String(validate=ma.validate.OneOf(list(EXPONENTS)))


class AsOfSchema(ma.Schema):
    as_of = ma.fields.Date(required=True, metadata={"description": "Count entries dated up to this day"})


class BalanceAsOfSchema(ma.Schema):
    account = ma.fields.String()
    currency = ma.fields.String()
    as_of = ma.fields.Date()
    balance = ma.fields.String(metadata={"example": "1000.00"})


class CurrencySchema(ma.Schema):
    currency = ma.fields.String(required=True, validate=ma.validate.OneOf(list(EXPONENTS)))


class PostingInSchema(ma.Schema):
    account = ma.fields.String(required=True, validate=ma.validate.Length(1, 60))
    side = ma.fields.String(required=True, validate=ma.validate.OneOf(["debit", "credit"]))
    amount = Amount(required=True)


class EntryInSchema(ma.Schema):
    effective_date = ma.fields.Date(load_default=None, metadata={
        "description": "The day the entry counts for (China time); default today"})
    memo = ma.fields.String(required=True, validate=ma.validate.Length(1, 500))
    external_ref = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 100))
    metadata = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(1, 50)),
                              values=ma.fields.String(validate=ma.validate.Length(0, 500)),
                              load_default=dict)
    postings = ma.fields.List(ma.fields.Nested(PostingInSchema), required=True,
                              validate=ma.validate.Length(2, 100))


class PostingSchema(ma.Schema):
    account = ma.fields.Function(lambda p: p.account.code)
    side = ma.fields.String()
    amount = money("amount")
    currency = ma.fields.String()
    account_seq = ma.fields.Integer()


class EntrySchema(ma.Schema):
    id = ma.fields.Integer()
    effective_date = ma.fields.Date()
    recorded_at = ma.fields.DateTime()
    kind = ma.fields.String(metadata={"enum": list(KINDS)})
    memo = ma.fields.String()
    external_ref = ma.fields.String(allow_none=True)
    metadata = ma.fields.Dict(attribute="meta")
    actor = ma.fields.String()
    reverses = ma.fields.Integer(attribute="reverses_id", allow_none=True)
    hold = ma.fields.Integer(attribute="hold_id", allow_none=True)
    hash = ma.fields.String(attribute="entry_hash")
    postings = ma.fields.List(ma.fields.Nested(PostingSchema))


class EntryQuerySchema(PageArgsSchema):
    account = ma.fields.String()
    within = ma.fields.String(validate=CODE)
    kind = ma.fields.String(validate=ma.validate.OneOf(list(KINDS)))
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")


class ReverseSchema(ma.Schema):
    effective_date = ma.fields.Date(load_default=None)
    memo = ma.fields.String(load_default="", validate=ma.validate.Length(0, 500))


class LegInSchema(ma.Schema):
    account = ma.fields.String(required=True, metadata={
        "description": "The account whose money is held (it moves against its normal side)"})
    counter_account = ma.fields.String(required=True)
    amount = Amount(required=True)


class HoldInSchema(ma.Schema):
    kind = ma.fields.String(load_default="grant", validate=ma.validate.OneOf(list(KINDS)))
    memo = ma.fields.String(required=True, validate=ma.validate.Length(1, 500))
    expires_at = ma.fields.AwareDateTime(load_default=None)
    legs = ma.fields.List(ma.fields.Nested(LegInSchema), required=True,
                          validate=ma.validate.Length(1, 50))


class LegSchema(ma.Schema):
    account = ma.fields.Function(lambda leg: leg.account.code)
    counter_account = ma.fields.Function(lambda leg: leg.counter_account.code)
    currency = ma.fields.Function(lambda leg: leg.account.currency)
    amount = ma.fields.Function(lambda leg: format_amount(leg.amount, leg.account.currency))
    committed = ma.fields.Function(lambda leg: None if leg.committed is None else
                                   format_amount(leg.committed, leg.account.currency))


class HoldSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": ["pending", "committed", "voided", "expired"]})
    kind = ma.fields.String()
    memo = ma.fields.String()
    created_at = ma.fields.DateTime()
    expires_at = ma.fields.DateTime(allow_none=True)
    resolved_at = ma.fields.DateTime(allow_none=True)
    legs = ma.fields.List(ma.fields.Nested(LegSchema))


class CommitSchema(ma.Schema):
    amounts = ma.fields.List(Amount(), load_default=None, metadata={
        "description": "One amount per leg, each at most what it holds; default: all"})
    effective_date = ma.fields.Date(load_default=None)
    memo = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 500))


class PeriodSchema(ma.Schema):
    month = ma.fields.String(metadata={"example": "2026-10"})
    status = ma.fields.Function(lambda p: "closed" if p.closed else "open")
    changed_at = ma.fields.DateTime()
    changed_by = ma.fields.String()
    reason = ma.fields.String(allow_none=True)


class ReopenSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 500))


class ProblemItemSchema(ma.Schema):
    entry_id = ma.fields.Integer(allow_none=True)
    account = ma.fields.String(attribute="account_code", allow_none=True)
    message = ma.fields.String()


class MismatchSchema(ma.Schema):
    account = ma.fields.String(attribute="account_code")
    what = ma.fields.String()
    maintained = ma.fields.Integer()
    recomputed = ma.fields.Integer()


class VerificationSchema(ma.Schema):
    ok = ma.fields.Boolean()
    entries = ma.fields.Integer()
    postings = ma.fields.Integer()
    accounts = ma.fields.Integer()
    first_problem = ma.fields.Nested(ProblemItemSchema, allow_none=True)
    problems = ma.fields.List(ma.fields.Nested(ProblemItemSchema))
    mismatches = ma.fields.List(ma.fields.Nested(MismatchSchema))


class CheckpointHeadSchema(ma.Schema):
    account = ma.fields.String(required=True)
    seq = ma.fields.Integer(required=True)
    head = ma.fields.String(required=True)


class CheckpointSchema(ma.Schema):
    taken_at = ma.fields.String(required=True)
    accounts = ma.fields.List(ma.fields.Nested(CheckpointHeadSchema), required=True)
    digest = ma.fields.String(required=True)


AccountPageSchema = page_schema(AccountSchema, "AccountPageSchema")
EntryPageSchema = page_schema(EntrySchema, "EntryPageSchema")
PeriodListSchema = page_schema(PeriodSchema, "PeriodPageSchema")
