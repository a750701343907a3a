"""Request and response shapes for proposals in the reserve pool."""

from __future__ import annotations

import marshmallow as ma

from fundpool.api.ledger.schemas import Amount
from fundpool.api.pagination import PageArgsSchema, page_schema
from fundpool.api.pools.schemas import CODE
from fundpool.funds.models import CATEGORIES
from fundpool.ledger.money import format_amount
from fundpool.matching.models import PROPOSAL_STATUSES
from fundpool.matching.proposals import (MAX_CAPACITY, MAX_DURATION_DAYS, REASON_MAX,
                                         TEXT_MAX)

REASON = ma.validate.Length(1, REASON_MAX)


class ProposalInSchema(ma.Schema):
    organisation = ma.fields.String(required=True, validate=ma.validate.Length(
        1, TEXT_MAX["organisation"]), metadata={"description": "The applicant (申报单位)",
                                                "example": "深圳市福田区南园社工服务中心"})
    title = ma.fields.String(required=True, validate=ma.validate.Length(1, TEXT_MAX["title"]),
                             metadata={"example": "长者助餐与探访"})
    summary = ma.fields.String(load_default="", validate=ma.validate.Length(
        0, TEXT_MAX["summary"]))
    categories = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(CATEGORIES)), required=True,
        validate=ma.validate.Length(min=1), metadata={
            "description": "Beneficiary categories served (DOMAIN.md); at least one"})
    area_codes = ma.fields.List(
        ma.fields.String(validate=CODE), required=True, validate=ma.validate.Length(1, 100),
        metadata={"description": "Pools served, each in your subtree; a street serves all its "
                                 "communities", "example": ["440304001001"]})
    budget = Amount(required=True, metadata={"description": "CNY, paid in full or not at all"})
    capacity = ma.fields.Integer(required=True, strict=True,
                                 validate=ma.validate.Range(1, MAX_CAPACITY),
                                 metadata={"description": "People it can serve"})
    duration_days = ma.fields.Integer(load_default=None, strict=True,
                                      validate=ma.validate.Range(1, MAX_DURATION_DAYS),
                                      metadata={"description": "Give this, or start_date and "
                                                "end_date (or both, agreeing)"})
    start_date = ma.fields.Date(load_default=None)
    end_date = ma.fields.Date(load_default=None)


class ProposalSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": list(PROPOSAL_STATUSES)})
    pool_code = ma.fields.Function(lambda p: p.pool.code, metadata={
        "description": "The reserve pool it sits in: the lowest pool holding every area served"})
    organisation = ma.fields.String()
    title = ma.fields.String()
    summary = ma.fields.String()
    categories = ma.fields.List(ma.fields.String())
    area_codes = ma.fields.List(ma.fields.String())
    budget = ma.fields.Function(lambda p: format_amount(p.budget, "CNY"),
                                metadata={"type": "string", "example": "120000.00"})
    capacity = ma.fields.Integer()
    duration_days = ma.fields.Integer()
    start_date = ma.fields.Date(allow_none=True)
    end_date = ma.fields.Date(allow_none=True)
    submitted_on = ma.fields.Date(allow_none=True)
    reviewed_by = ma.fields.String(allow_none=True)
    reviewed_at = ma.fields.DateTime(allow_none=True)
    rejection_reason = ma.fields.String(allow_none=True)
    created_by = ma.fields.String()
    created_at = ma.fields.DateTime()
    status_changed_at = ma.fields.DateTime()


class ProposalQuerySchema(PageArgsSchema):
    within = ma.fields.String(validate=CODE, metadata={
        "description": "Proposals whose reserve pool lies in this pool's subtree"})
    status = ma.fields.String(validate=ma.validate.OneOf(PROPOSAL_STATUSES))
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))


class SubmitSchema(ma.Schema):
    submitted_on = ma.fields.Date(load_default=None, metadata={
        "description": "The day the organisation submitted it; default today, never later"})


class ReviewSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=ma.validate.OneOf(["accept", "reject"]),
                                metadata={"description": "accept: into the reserve "
                                          "(in_reserve); reject: with a reason"})
    reason = ma.fields.String(load_default=None, validate=REASON, metadata={
        "description": "Required to reject; the organisation reads it"})


class WithdrawSchema(ma.Schema):
    reason = ma.fields.String(load_default=None, validate=REASON)


ProposalPageSchema = page_schema(ProposalSchema, "ProposalPageSchema")
