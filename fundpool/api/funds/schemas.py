"""Request and response shapes for funds."""

from __future__ import annotations

import marshmallow as ma

from fundpool.api.ledger.schemas import AccountSchema, Amount
from fundpool.api.pagination import PageArgsSchema, page_schema
from fundpool.api.pools.schemas import CODE
from fundpool.funds.models import CATEGORIES, FUND_KINDS
from fundpool.ledger.money import format_amount


class RestrictionSchema(ma.Schema):
    categories = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(CATEGORIES)),
                                load_default=list, metadata={"description": "Beneficiary "
                                "categories it may serve (DOMAIN.md); empty: any"})
    area_codes = ma.fields.List(ma.fields.String(validate=CODE), load_default=list, metadata={
        "description": "Pools it may serve, inside its own subtree; empty: its whole subtree"})
    valid_from = ma.fields.Date(load_default=None, allow_none=True)
    valid_to = ma.fields.Date(load_default=None, allow_none=True)
    per_grant_limit = Amount(load_default=None, allow_none=True, metadata={
        "description": "Largest single grant, in CNY"})


class FundCreateSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "ELDER-440304001"})
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100),
                            metadata={"example": "南园街道助老专项基金"})
    name_en = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 200))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(
        [k for k in FUND_KINDS if k != "general"]))
    pool_code = ma.fields.String(required=True, validate=CODE)
    restricted = ma.fields.Boolean(required=True)
    named_for = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 200))
    restriction = ma.fields.Nested(RestrictionSchema, load_default=None)


class FundSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)
    kind = ma.fields.String(metadata={"enum": list(FUND_KINDS)})
    pool_code = ma.fields.Function(lambda fund: fund.pool.code)
    restricted = ma.fields.Boolean()
    named_for = ma.fields.String(allow_none=True)
    categories = ma.fields.List(ma.fields.String())
    area_codes = ma.fields.List(ma.fields.String())
    valid_from = ma.fields.Date(allow_none=True)
    valid_to = ma.fields.Date(allow_none=True)
    per_grant_limit = ma.fields.Function(
        lambda fund: None if fund.per_grant_limit is None
        else format_amount(fund.per_grant_limit, "CNY"))
    status = ma.fields.Function(lambda fund: "open" if fund.is_open else "closed")
    accounts = ma.fields.List(ma.fields.Nested(AccountSchema), metadata={
        "description": "The fund's accounts with their balances (spendable: 1002 available)"})


class FundQuerySchema(PageArgsSchema):
    within = ma.fields.String(validate=CODE)
    kind = ma.fields.String(validate=ma.validate.OneOf(list(FUND_KINDS)))


class GrantSchema(ma.Schema):
    token_id = ma.fields.Integer(required=True, metadata={
        "description": "A foundation token that may read this fund"})


FundPageSchema = page_schema(FundSchema, "FundPageSchema")
