"""Opaque cursors for keyset pages: ``?limit=&cursor=`` in, ``next_cursor`` out."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import marshmallow as ma

from fundpool.errors import InvalidInput
from fundpool.paging import Page

MAX_LIMIT = 500
#: Arguments for ``blp.arguments`` on query strings: a misspelt parameter is an error.
QUERY = {"location": "query", "unknown": ma.RAISE}


class PageArgsSchema(ma.Schema):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, MAX_LIMIT),
                              metadata={"description": f"Items per page, 1 to {MAX_LIMIT}"})
    cursor = ma.fields.String(load_default=None,
                              metadata={"description": "next_cursor from the previous page"})


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    return type(name, (ma.Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "next_cursor": ma.fields.String(allow_none=True, required=True, metadata={
            "description": "Pass as ?cursor= for the next page; null on the last page"}),
    })


def decode_cursor(cursor: str | None, kind: type) -> Any:
    """The key a cursor carries; anything not made by ``encode_cursor`` is refused."""
    if cursor is None:
        return None
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=="))["after"]
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError):
        after = None
    if not isinstance(after, kind) or isinstance(after, bool):
        raise InvalidInput("cursor is not one this API gave out; start again without it",
                           "cursor")
    return after


def encode_cursor(after: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def page_body(page: Page) -> dict[str, Any]:
    return {"items": page.items,
            "next_cursor": encode_cursor(page.next_after) if page.next_after is not None else None}
