"""Runs and matches as JSON: money as decimal strings, reasons as codes with text."""

from __future__ import annotations

import marshmallow as ma
from flask import request

from fundpool.api.ledger.schemas import Amount
from fundpool.api.pagination import PageArgsSchema
from fundpool.api.pools.schemas import CODE
from fundpool.ledger.money import format_amount
from fundpool.matching.reasons import rendered

LOCALES = ("zh-CN", "en")


def locale() -> str:
    """``?lang=`` if given, else the best of Accept-Language; Chinese by default."""
    asked = request.args.get("lang")
    if asked in LOCALES:
        return asked
    return request.accept_languages.best_match(LOCALES, default="zh-CN")


def _reasons(stored: list[dict]) -> list[dict]:
    return rendered(stored, locale())


def _cny(minor: int) -> str:
    return format_amount(minor, "CNY")


REASONS_DOC = {"type": "array", "description": "Why, as codes with parameters and their text",
               "items": {"type": "object", "properties": {
                   "code": {"type": "string", "example": "category_match"},
                   "params": {"type": "object"},
                   "text": {"type": "string", "example": "服务类别一致：特殊困难老人"}}}}


class MatchNeedSchema(ma.Schema):
    need_id = ma.fields.Integer()
    pool = ma.fields.Function(lambda row: row.need.pool.code)
    category = ma.fields.Function(lambda row: row.need.category)
    urgency = ma.fields.Function(lambda row: row.need.urgency)
    people = ma.fields.Function(lambda row: row.need.people)
    reasons = ma.fields.Function(lambda row: _reasons(row.reasons),
                                 metadata=REASONS_DOC)


class ShareSchema(ma.Schema):
    fund = ma.fields.Function(lambda share: share.fund.code)
    amount = ma.fields.Function(lambda share: _cny(share.amount),
                                metadata={"type": "string", "example": "1000.00"})
    reasons = ma.fields.Function(lambda share: _reasons(share.reasons),
                                 metadata=REASONS_DOC)


class MatchSchema(ma.Schema):
    id = ma.fields.Integer()
    run_id = ma.fields.Integer()
    proposal_id = ma.fields.Integer()
    proposal_title = ma.fields.Function(lambda m: m.proposal.title)
    status = ma.fields.String(metadata={"enum": ["proposed", "approved", "rejected",
                                                 "superseded", "completed", "cancelled"]})
    people = ma.fields.Integer()
    budget = ma.fields.Function(lambda m: _cny(m.budget), metadata={"type": "string"})
    paid = ma.fields.Function(lambda m: _cny(m.paid), metadata={"type": "string"})
    held = ma.fields.Function(lambda m: _cny(m.budget - m.paid if m.status == "approved" else 0),
                              metadata={"type": "string"})
    needs = ma.fields.List(ma.fields.Nested(MatchNeedSchema))
    shares = ma.fields.List(ma.fields.Nested(ShareSchema))
    reasons = ma.fields.Function(lambda m: _reasons(m.reasons),
                                 metadata=REASONS_DOC)
    hold_id = ma.fields.Integer(allow_none=True)
    decided_by = ma.fields.String(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    rejection_reason = ma.fields.String(allow_none=True)


class RunSchema(ma.Schema):
    """A run's record and figures. Its matches are read a page at a time
    (``/runs/{id}/matches``): a city's run proposes thousands, serving about 100,000 needs,
    which inline made a 54 MiB answer."""

    id = ma.fields.Integer()
    trigger = ma.fields.String(metadata={"enum": ["schedule", "person"]})
    triggered_by = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["running", "done", "failed"]})
    started_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)
    needs_seen = ma.fields.Integer()
    proposals_seen = ma.fields.Integer()
    funds_seen = ma.fields.Integer()
    objective = ma.fields.Float(allow_none=True)
    bound = ma.fields.Float(allow_none=True)
    gap = ma.fields.Float(allow_none=True)
    method = ma.fields.String(allow_none=True)
    optimal = ma.fields.Boolean(allow_none=True)
    seconds = ma.fields.Float(allow_none=True)
    message = ma.fields.String(allow_none=True)


class RunInSchema(ma.Schema):
    on = ma.fields.Date(load_default=None, metadata={
        "description": "The day the grants would be made (fund validity is checked against "
                       "it); default today, never earlier"})


class ReasonInSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 500))


class DisbursementInSchema(ma.Schema):
    amount = Amount(required=True)
    effective_date = ma.fields.Date(load_default=None)
    memo = ma.fields.String(load_default="", validate=ma.validate.Length(0, 500))


class DisbursementSchema(ma.Schema):
    match = ma.fields.Nested(MatchSchema)
    grant_entry_id = ma.fields.Integer()
    payment_entry_id = ma.fields.Integer()


class RunMatchesQuerySchema(PageArgsSchema):
    within = ma.fields.String(validate=CODE, metadata={
        "description": "Matches whose proposal's reserve pool lies in this pool's subtree "
                       "(an admin: its own subtree when not given)"})
