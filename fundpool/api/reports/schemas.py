"""Query and response shapes of the reports. Amounts are decimal strings in the
currency's exponent; dates are China calendar days (YYYY-MM-DD)."""

from __future__ import annotations

import marshmallow as ma

from fundpool.api.pools.schemas import CODE
from fundpool.ledger.money import EXPONENTS

STATEMENT_FORMATS = ("json", "csv", "xlsx")
MONEY = {"type": "string", "example": "1000.00"}


class BalancesQuerySchema(ma.Schema):
    pool = ma.fields.String(validate=CODE, metadata={
        "description": "A pool: its own funds, or its whole subtree with subtree=true"})
    fund = ma.fields.String(validate=ma.validate.Length(1, 40), metadata={
        "description": "One fund instead of a pool (foundations: a fund granted to them)"})
    subtree = ma.fields.Boolean(load_default=True, metadata={
        "description": "Roll up the pool's whole subtree (default) or only its own funds"})
    as_of = ma.fields.Date(metadata={
        "description": "Count entries dated up to this day; omitted: now (maintained balances)"})


class TrialBalanceQuerySchema(ma.Schema):
    pool = ma.fields.String(required=True, validate=CODE, metadata={"example": "440300"})
    as_of = ma.fields.Date(metadata={"description": "Default today (China time)"})


class PeriodQuerySchema(ma.Schema):
    date_from = ma.fields.Date(data_key="from", metadata={
        "description": "First day; default 1 January of the year of `to`"})
    date_to = ma.fields.Date(data_key="to", metadata={"description": "Last day; default today"})


class ActivityQuerySchema(PeriodQuerySchema):
    pool = ma.fields.String(required=True, validate=CODE, metadata={"example": "440304"})


class StatementQuerySchema(PeriodQuerySchema):
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(STATEMENT_FORMATS),
                              metadata={"description": "json, csv (UTF-8 with BOM) or xlsx"})


class BalanceLineSchema(ma.Schema):
    chart_code = ma.fields.String(metadata={"example": "1002"})
    name = ma.fields.String(metadata={"example": "银行存款"})
    type = ma.fields.String()
    currency = ma.fields.String(metadata={"enum": list(EXPONENTS)})
    balance = ma.fields.String(metadata=MONEY)
    pending = ma.fields.String(allow_none=True, metadata={
        **MONEY, "description": "Held now; null as of a past date"})
    available = ma.fields.String(allow_none=True, metadata=MONEY)
    accounts = ma.fields.Integer(metadata={"description": "Accounts summed"})


class BalancesSchema(ma.Schema):
    pool = ma.fields.String(allow_none=True)
    fund = ma.fields.String(allow_none=True)
    subtree = ma.fields.Boolean()
    as_of = ma.fields.Date(allow_none=True)
    balances = ma.fields.List(ma.fields.Nested(BalanceLineSchema))


class TrialLineSchema(ma.Schema):
    account = ma.fields.String(metadata={"example": "440304001:1002:CNY"})
    chart_code = ma.fields.String()
    name = ma.fields.String()
    pool_code = ma.fields.String()
    fund_code = ma.fields.String(allow_none=True)
    currency = ma.fields.String()
    debits = ma.fields.String(metadata=MONEY)
    credits = ma.fields.String(metadata=MONEY)
    balance_debit = ma.fields.String(metadata=MONEY)
    balance_credit = ma.fields.String(metadata=MONEY)


class TrialTotalsSchema(ma.Schema):
    currency = ma.fields.String()
    debits = ma.fields.String(metadata=MONEY)
    credits = ma.fields.String(metadata=MONEY)
    balance_debit = ma.fields.String(metadata=MONEY)
    balance_credit = ma.fields.String(metadata=MONEY)
    boundary = ma.fields.String(metadata={**MONEY, "description": (
        "子树外拨入净额: net money allocated in from pools outside the subtree (debits − "
        "credits of its allocation and return postings); 0.00 for a city")})
    balanced = ma.fields.Boolean(metadata={"description": "debits − boundary = credits"})


class TrialBalanceSchema(ma.Schema):
    pool = ma.fields.String()
    as_of = ma.fields.Date()
    balanced = ma.fields.Boolean()
    lines = ma.fields.List(ma.fields.Nested(TrialLineSchema))
    totals = ma.fields.List(ma.fields.Nested(TrialTotalsSchema))


class ActivityRowSchema(ma.Schema):
    row = ma.fields.String(metadata={"example": "donation_income"})
    name = ma.fields.String(metadata={"example": "捐赠收入"})
    name_en = ma.fields.String()
    unrestricted = ma.fields.String(metadata={**MONEY, "description": "非限定性"})
    restricted = ma.fields.String(metadata={**MONEY, "description": "限定性"})
    total = ma.fields.String(metadata={**MONEY, "description": "合计"})


class ActivityPartSchema(ma.Schema):
    currency = ma.fields.String()
    fund = ma.fields.String(allow_none=True)
    fund_name = ma.fields.String(allow_none=True)
    rows = ma.fields.List(ma.fields.Nested(ActivityRowSchema))


class ActivitySchema(ma.Schema):
    pool = ma.fields.String()
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")
    totals = ma.fields.List(ma.fields.Nested(ActivityPartSchema))
    by_fund = ma.fields.List(ma.fields.Nested(ActivityPartSchema))


class MovementSchema(ma.Schema):
    entry_id = ma.fields.Integer()
    date = ma.fields.Date()
    kind = ma.fields.String()
    counterparty = ma.fields.String()
    memo = ma.fields.String()
    amount = ma.fields.String(metadata={**MONEY, "description": "+ money in, − money out"})
    balance = ma.fields.String(metadata={**MONEY, "description": "Running balance"})


class CurrencyStatementSchema(ma.Schema):
    currency = ma.fields.String()
    account = ma.fields.String(metadata={"example": "ELDER-440304001:1002:CNY"})
    opening = ma.fields.String(metadata=MONEY)
    closing = ma.fields.String(metadata=MONEY)
    held = ma.fields.String(metadata={**MONEY, "description": "Held on the account now"})
    movements = ma.fields.List(ma.fields.Nested(MovementSchema))


class StatementSchema(ma.Schema):
    fund = ma.fields.String()
    fund_name = ma.fields.String()
    pool = ma.fields.String()
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")
    currencies = ma.fields.List(ma.fields.Nested(CurrencyStatementSchema))
