"""Request and response shapes for pools."""

from __future__ import annotations

import marshmallow as ma

from fundpool.api.pagination import PageArgsSchema, page_schema
from fundpool.pools.codes import Level

LEVEL_CHOICES = [level.value for level in Level]


class WholeRegexp(ma.validate.Regexp):
    """A Regexp the whole value must match. marshmallow's uses ``re.match``, and Python's
    ``$`` also matches before a trailing newline ("440304\\n" passed); the pattern stays
    ``^…$`` because the OpenAPI document publishes it, where it means what it says."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


CODE = WholeRegexp(r"^[0-9]{6}([0-9]{3}){0,2}$", error="a division code is 6, 9 or 12 digits")


class PoolCreateSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=CODE, metadata={
        "description": "Statistical division code: 6 digits (city, district), 9 (street), "
                       "12 (community)", "example": "440304001"})
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100),
                            metadata={"example": "南园街道"})
    name_en = ma.fields.String(load_default=None, allow_none=True,
                               validate=ma.validate.Length(1, 200),
                               metadata={"example": "Nanyuan Subdistrict"})
    level = ma.fields.String(required=True, validate=ma.validate.OneOf(LEVEL_CHOICES),
                             metadata={"example": "street"})
    parent_code = ma.fields.String(load_default=None, allow_none=True, validate=CODE,
                                   metadata={"description": "The pool one level up; none for a city",
                                             "example": "440304"})


class PoolCloseSchema(ma.Schema):
    reason = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 500),
                              metadata={"description": "Why the pool is closed (kept in the audit log)"})


class PoolSummarySchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)
    level = ma.fields.String(metadata={"enum": LEVEL_CHOICES})
    parent_code = ma.fields.String(allow_none=True)
    status = ma.fields.Function(lambda pool: "open" if pool.is_open else "closed",
                                metadata={"enum": ["open", "closed"]})
    created_at = ma.fields.DateTime()
    closed_at = ma.fields.DateTime(allow_none=True)


class PoolSchema(PoolSummarySchema):
    children = ma.fields.List(ma.fields.Nested(PoolSummarySchema))


class PoolQuerySchema(PageArgsSchema):
    level = ma.fields.String(validate=ma.validate.OneOf(LEVEL_CHOICES))
    parent = ma.fields.String(validate=CODE, metadata={"description": "Only children of this pool"})
    within = ma.fields.String(validate=CODE,
                              metadata={"description": "Only this pool's whole subtree, itself included"})


PoolPageSchema = page_schema(PoolSummarySchema, "PoolPageSchema")
