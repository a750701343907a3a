"""Every error as RFC 9457 ``application/problem+json``, built in one place.

Domain errors, validation errors from the schemas and plain HTTP errors all
come out with the same members: ``type``, ``title``, ``status``, ``detail``
(a sentence for a person), ``instance``, ``request_id``, and ``errors`` — one
``{field, message}`` per offending input, so a form can point at the field.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import Response, g, json, request
from werkzeug.exceptions import HTTPException

from fundpool.errors import (Busy, Conflict, Forbidden, FundpoolError, InsufficientFunds,
                             InvalidInput, NotFound, PeriodClosed, TooManyRequests,
                             Unauthenticated)

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("fundpool.api")

DOMAIN_STATUS: dict[type[FundpoolError], tuple[int, str]] = {
    InsufficientFunds: (409, "insufficient-funds"),
    PeriodClosed: (409, "period-closed"),
    Busy: (503, "busy"),
    TooManyRequests: (429, "too-many-requests"),
    InvalidInput: (422, "invalid-input"),
    NotFound: (404, "not-found"),
    Conflict: (409, "conflict"),
    Forbidden: (403, "forbidden"),
    Unauthenticated: (401, "unauthenticated"),
}

FRIENDLIER = {
    "Unknown field.": "is not a field of this request",
    "Missing data for required field.": "is required",
    "Field may not be null.": "may not be null",
    "Not a valid string.": "must be text",
    "Not a valid integer.": "must be a whole number",
}


class ProblemErrorSchema(ma.Schema):
    field = ma.fields.String(allow_none=True, metadata={"description": "The input at fault"})
    message = ma.fields.String(metadata={"description": "What is wrong with it"})


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(metadata={"description": "URI naming the kind of problem"})
    title = ma.fields.String(metadata={"description": "Short summary of the kind of problem"})
    status = ma.fields.Integer(metadata={"description": "HTTP status code"})
    detail = ma.fields.String(metadata={"description": "What went wrong, for a person"})
    instance = ma.fields.String(metadata={"description": "The request path"})
    request_id = ma.fields.String(metadata={"description": "Quote this when reporting a problem"})
    errors = ma.fields.List(ma.fields.Nested(ProblemErrorSchema))


def problem(status: int, detail: str, *, slug: str | None = None,
            errors: list[dict[str, Any]] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    body = {
        "type": f"urn:fundpool:problem:{slug}" if slug else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "request_id": getattr(g, "request_id", None),
        "errors": errors or [],
    }
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE, headers=headers)
    return response


def from_domain(error: FundpoolError) -> Response:
    status, slug = next(v for cls, v in DOMAIN_STATUS.items() if isinstance(error, cls))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": "1"}
    if isinstance(error, TooManyRequests):
        headers = {"Retry-After": str(error.retry_after)}
    return problem(status, _sentence(error.message), slug=slug,
                   errors=[{"field": error.field, "message": error.message}], headers=headers)


def from_http(error: HTTPException) -> Response:
    """Render webargs validation failures and plain HTTP errors."""
    messages = (getattr(error, "data", None) or {}).get("messages")
    if messages:
        errors = list(_flatten(messages))
        first = errors[0]
        detail = (f"{first['field']}: {first['message']}" if first["field"] else first["message"])
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        return problem(error.code, _sentence(detail), slug="invalid-request", errors=errors)
    if error.code == 413:
        detail = f"The request body is larger than the {request.max_content_length} bytes allowed."
        return problem(413, detail, slug="body-too-large", errors=[{"field": None, "message": detail}])
    if error.code and error.code >= 500:
        return internal_error(error)
    return problem(error.code or 500, error.description or HTTPStatus(error.code).phrase,
                   headers=_allowed_methods(error))


def _allowed_methods(error: HTTPException) -> dict[str, str] | None:
    """A 405 names the methods the resource does answer (RFC 9110 requires ``Allow``)."""
    methods = getattr(error, "valid_methods", None)
    return {"Allow": ", ".join(methods)} if methods else None


def internal_error(error: BaseException) -> Response:
    log.error("unhandled error", exc_info=error)
    return problem(500, "Something went wrong on our side; nothing was saved. "
                        f"It is logged under request id {getattr(g, 'request_id', '?')}.")


def _flatten(messages: Any, field: str | None = None):
    """Turn webargs' nested {location: {field: [msg]}} into [{field, message}]."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            if field is None and key in ("json", "query", "path", "headers", "form"):
                yield from _flatten(value, None)
            elif key == "_schema":
                yield from _flatten(value, field)
            else:
                yield from _flatten(value, f"{field}.{key}" if field else str(key))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        for message in messages:
            yield {"field": field, "message": FRIENDLIER.get(message, message)}
    else:
        for message in messages:
            yield from _flatten(message, field)


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."
