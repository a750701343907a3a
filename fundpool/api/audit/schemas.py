"""Request and response shapes for the audit log."""

from __future__ import annotations

import marshmallow as ma

from fundpool.api.pagination import PageArgsSchema, page_schema
from fundpool.audit.query import AuditFilter
from fundpool.exports.audit_export import FORMATS


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer()
    occurred_at = ma.fields.DateTime()
    actor = ma.fields.String()
    action = ma.fields.String(metadata={"example": "pool.create"})
    target_type = ma.fields.String()
    target_id = ma.fields.String()
    request_id = ma.fields.String(allow_none=True)
    details = ma.fields.Dict()


class AuditFilterSchema(ma.Schema):
    """The filters; loads as an :class:`AuditFilter` under the key ``filter``."""

    action = ma.fields.String(metadata={"description": "Only events of this action",
                                        "example": "donation.create"})
    actor = ma.fields.String(metadata={"description": "Only events by this actor, as the log "
                                                      "names it", "example": "cli:root"})
    target_type = ma.fields.String(metadata={"description": "Only events on this kind of "
                                                            "object", "example": "fund"})
    target_id = ma.fields.String(metadata={"description": "Only events on this object "
                                                          "(with target_type)"})
    request_id = ma.fields.String(metadata={"description": "Only events of this request "
                                                           "(its X-Request-ID)"})
    day_from = ma.fields.Date(data_key="from", metadata={
        "description": "First day, China time (Asia/Shanghai)"})
    day_to = ma.fields.Date(data_key="to", metadata={
        "description": "Last day, China time (Asia/Shanghai)"})

    FIELDS = ("action", "actor", "target_type", "target_id", "request_id", "day_from", "day_to")

    @ma.post_load
    def _filter(self, data, **_):
        wanted = AuditFilter(**{key: data.pop(key) for key in self.FIELDS if key in data})
        return {**data, "filter": wanted}


class AuditQuerySchema(AuditFilterSchema, PageArgsSchema):
    pass


class AuditExportQuerySchema(AuditFilterSchema):
    format = ma.fields.String(load_default="csv", validate=ma.validate.OneOf(FORMATS),
                              metadata={"description": "csv (UTF-8 with BOM), jsonl or xlsx"})


AuditPageSchema = page_schema(AuditEventSchema, "AuditPageSchema")
