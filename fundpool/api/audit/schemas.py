"""Response shapes for the audit log."""

from __future__ import annotations

import marshmallow as ma

from fundpool.api.pagination import PageArgsSchema, page_schema


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer()
    occurred_at = ma.fields.DateTime()
    actor = ma.fields.String()
    action = ma.fields.String(metadata={"example": "pool.create"})
    target_type = ma.fields.String()
    target_id = ma.fields.String()
    request_id = ma.fields.String(allow_none=True)
    details = ma.fields.Dict()


class AuditQuerySchema(PageArgsSchema):
    action = ma.fields.String(metadata={"description": "Only events of this action"})


AuditPageSchema = page_schema(AuditEventSchema, "AuditPageSchema")
