"""Reading JSON request bodies strictly, before any schema sees them.

Python's ``json`` module is lenient where a ledger must not be: it accepts ``NaN`` and
``Infinity``, lets nesting run until the interpreter's recursion limit breaks (a 500),
and hands over values no database can store (NUL, unpaired surrogates, whole numbers
beyond 64 bits, ``1e999`` as infinity). Here a body must be UTF-8 JSON with no such
constants, nested at most ``MAX_DEPTH`` deep, and every value in it storable; anything
else is a 400 or a 422 naming the field, before a view runs, so nothing is half-written.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Request
from flask_smorest import abort
from flask_smorest.arguments import ArgumentsMixin
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

MAX_DEPTH = 32
#: The largest whole number a BIGINT column holds.
BIGGEST = 2**63 - 1
#: What no text column stores: PostgreSQL refuses NUL, and an unpaired surrogate is no text.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class StrictJsonParser(FlaskParser):
    """flask-smorest's parser with :func:`load_body` for JSON bodies."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return load_body(req.get_data(cache=True))

    def load_querystring(self, req: Request, schema) -> Any:
        """The query string, once no value in it is one a text column cannot store (the
        database would refuse it mid-query, as a 500)."""
        for name, value in req.args.items(multi=True):
            if UNSTORABLE.search(name) or UNSTORABLE.search(value):
                _refuse(422, name if name.isprintable() else None, "contains a NUL character "
                        "or an unpaired surrogate, which cannot be stored as text", "query")
        return super().load_querystring(req, schema)


def load_body(raw: bytes) -> Any:
    """The parsed body, or an HTTP error saying what is wrong with it."""
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:
        _refuse(400, None, f"the JSON body is nested more than {MAX_DEPTH} levels deep")
    except UnicodeDecodeError as exc:
        _refuse(400, None, f"the body is not UTF-8 text (byte {exc.start})")
    except json.JSONDecodeError as exc:
        _refuse(400, None, f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}")
    except ValueError as exc:  # NaN, Infinity
        _refuse(400, None, f"the body is not valid JSON: {exc}")
    _check(body)
    return body


def install() -> None:
    """Make flask-smorest's one parser a :class:`StrictJsonParser`. The blueprints' argument
    decorators took that parser object when their modules were imported, so the object
    itself is changed, not the attribute that named it; safe to call more than once."""
    parser = ArgumentsMixin.ARGUMENTS_PARSER
    if type(parser) is FlaskParser:
        parser.__class__ = StrictJsonParser


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check(body: Any) -> None:
    """Walk the body iteratively (it parsed, but may still be hundreds of levels deep)."""
    stack: list[tuple[str, int, Any]] = [("", 0, body)]
    while stack:
        path, depth, value = stack.pop()
        if depth > MAX_DEPTH:
            _refuse(400, None, f"the JSON body is nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, bool):
            continue
        if _too_large(value):
            _refuse(422, path or None, "is a number too large to be stored")
        elif isinstance(value, str):
            if UNSTORABLE.search(value):
                _refuse(422, path or None, "contains a NUL character or an unpaired surrogate, "
                                           "which cannot be stored as text")
        elif isinstance(value, dict):
            for key, item in value.items():
                if UNSTORABLE.search(key):
                    _refuse(422, path or None, "has a field name that cannot be stored")
                stack.append((f"{path}.{key}" if path else key, depth + 1, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), depth + 1, item)
                         for i, item in enumerate(value))


def _too_large(value: Any) -> bool:
    if isinstance(value, int):
        return not -BIGGEST <= value <= BIGGEST
    return isinstance(value, float) and not math.isfinite(value)


def _refuse(status: int, field: str | None, message: str, location: str = "json") -> None:
    messages = {location: {field: [message]}} if field else {location: [message]}
    abort(status, messages=messages)
