"""Request and response shapes for needs and survey imports."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload

from fundpool.api.ledger.schemas import Amount
from fundpool.api.pagination import PageArgsSchema, page_schema
from fundpool.api.pools.schemas import CODE
from fundpool.funds.models import CATEGORIES, CATEGORY_NAMES_ZH
from fundpool.ledger.money import format_amount
from fundpool.matching.models import IMPORT_STATUSES, NEED_STATUSES, URGENCIES, URGENCY_NAMES_ZH
from fundpool.matching.needs import MAX_PEOPLE, NOTE_MAX, REF_MAX

REASON = ma.validate.Length(1, 500)


class NeedCreateSchema(ma.Schema):
    pool_code = ma.fields.String(required=True, validate=CODE, metadata={
        "description": "The community (12-digit code) the people live in",
        "example": "440304001001"})
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(CATEGORIES), metadata={
        "description": "Beneficiary category (服务对象)", "example": "elderly_in_difficulty"})
    people = ma.fields.Integer(required=True, strict=True,
                               validate=ma.validate.Range(1, MAX_PEOPLE),
                               metadata={"example": 12})
    urgency = ma.fields.String(required=True, validate=ma.validate.OneOf(URGENCIES), metadata={
        "description": "Three-level response scale (三级响应): crisis 危机, priority 优先, "
                       "routine 常规"})
    estimated_cost = Amount(required=True, metadata={"description": "CNY"})
    survey_date = ma.fields.Date(required=True, metadata={
        "description": "The day of the survey (需求调研); not in the future"})
    note = ma.fields.String(load_default="", validate=ma.validate.Length(0, NOTE_MAX),
                            metadata={"example": "独居老人助餐"})
    survey_ref = ma.fields.String(load_default=None, validate=ma.validate.Length(1, REF_MAX),
                                  metadata={"description": "The survey's own number; unique "
                                            "per community", "example": "NY-2026-0001"})


class NeedSchema(ma.Schema):
    id = ma.fields.Integer()
    pool_code = ma.fields.Function(lambda need: need.pool.code)
    pool_name = ma.fields.Function(lambda need: need.pool.name)
    category = ma.fields.String(metadata={"enum": list(CATEGORIES)})
    category_zh = ma.fields.Function(lambda need: CATEGORY_NAMES_ZH[need.category])
    people = ma.fields.Integer()
    urgency = ma.fields.String(metadata={"enum": list(URGENCIES)})
    urgency_zh = ma.fields.Function(lambda need: URGENCY_NAMES_ZH[need.urgency])
    estimated_cost = ma.fields.Function(lambda need: format_amount(need.estimated_cost, "CNY"),
                                        metadata={"type": "string", "example": "36000.00"})
    survey_date = ma.fields.Date()
    survey_ref = ma.fields.String(allow_none=True)
    note = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(NEED_STATUSES)})
    import_job_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "The survey import it came from, if any"})
    created_by = ma.fields.String()
    created_at = ma.fields.DateTime()
    status_changed_at = ma.fields.DateTime()


class NeedQuerySchema(PageArgsSchema):
    within = ma.fields.String(validate=CODE, metadata={"description": "Needs of this pool's "
                                                       "subtree"})
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    urgency = ma.fields.String(validate=ma.validate.OneOf(URGENCIES))
    status = ma.fields.String(validate=ma.validate.OneOf(NEED_STATUSES))


class NeedStatusSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(NEED_STATUSES), metadata={
        "description": "open → matched → served → closed, open → closed, matched → open"})
    reason = ma.fields.String(load_default=None, validate=REASON, metadata={
        "description": "Kept in the audit log"})


class NeedImportFormSchema(ma.Schema):
    strict = ma.fields.Boolean(load_default=False, metadata={
        "description": "Import nothing if any row is bad"})


class NeedUploadSchema(NeedImportFormSchema):
    """The multipart body: the file, and the form fields beside it (read from the form)."""

    file = Upload(required=True, metadata={
        "description": "A survey file: CSV (UTF-8 or GBK) or XLSX; columns in "
                       "docs/needs-and-proposals.md"})


class NeedImportJobSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": list(IMPORT_STATUSES)})
    file_name = ma.fields.String()
    strict = ma.fields.Boolean()
    rows_total = ma.fields.Integer(allow_none=True)
    rows_done = ma.fields.Integer()
    imported = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    rejected = ma.fields.Integer()
    message = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)


class NeedImportReportSchema(NeedImportJobSchema):
    report = ma.fields.Dict(allow_none=True, metadata={
        "description": "At the end: rejected and duplicates ([{line, reason}], the first "
                       "10,000 of each), people and estimated_cost of the needs recorded"})


NeedPageSchema = page_schema(NeedSchema, "NeedPageSchema")
