"""Request and response shapes for API tokens."""

from __future__ import annotations

import marshmallow as ma

from fundpool.api.pagination import page_schema
from fundpool.api.pools.schemas import CODE
from fundpool.auth.models import ROLES


class TokenCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100),
                            metadata={"description": "Who or what uses it", "example": "南园街道 管理员"})
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    pool_code = ma.fields.String(load_default=None, allow_none=True, validate=CODE, metadata={
        "description": "For an admin: the pool whose subtree it administers"})


class TokenSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    role = ma.fields.String(metadata={"enum": list(ROLES)})
    pool_code = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    created_by = ma.fields.String()
    revoked_at = ma.fields.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = ma.fields.String(metadata={"description": "The secret: shown once, never again"})


TokenPageSchema = page_schema(TokenSchema, "TokenPageSchema")
