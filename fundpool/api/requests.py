"""Per-request plumbing: request ids, bearer authentication, access log, sessions.

Authentication is deny-by-default: every endpoint needs a valid token unless
its blueprint is listed in ``OPEN_BLUEPRINTS``.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, current_app, g, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from fundpool.api import json_bodies
from fundpool.auth.principal import Principal
from fundpool.auth.tokens import authenticate
from fundpool.db import Database
from fundpool.errors import InvalidInput, Unauthenticated
from fundpool.logs import request_id_var

OPEN_BLUEPRINTS = {"health", "api-docs", "public", "console"}  # the console signs people in itself
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # fullmatch: "$" passes "x\n"
access_log = logging.getLogger("fundpool.access")


def database() -> Database:
    return current_app.extensions["fundpool.db"]


def principal() -> Principal:
    return g.principal


def db_session() -> Session:
    """The request's session; it stays open until the response is written."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session


def init_requests(app: Flask) -> None:
    json_bodies.install()
    app.before_request(_start)
    app.before_request(_authenticate)
    app.before_request(_refuse_unstorable_path)
    app.after_request(_finish)
    app.teardown_request(_teardown)


def end_read(session: Session) -> None:
    """End the session's transaction, keeping nothing: with COMMIT when PostgreSQL says it
    wrote nothing (no transaction id assigned: no row written or locked), else ROLLBACK.
    Either way the session's objects are expired afterwards, as by a rollback.

    psycopg forgets every prepared statement at a ROLLBACK, so ending each read-only
    request with one kept PostgreSQL parsing and planning every statement afresh. A
    transaction without an id has nothing a COMMIT could keep; one that wrote or locked a
    row, one in error, and a session holding changes not yet flushed (COMMIT would flush
    them) roll back as before. On SQLite the two are the same, and it rolls back."""
    if not session.in_transaction():
        return
    if session.get_bind().dialect.name != "postgresql" or session.new or session.dirty \
            or session.deleted:
        session.rollback()
        return
    try:
        if session.connection().exec_driver_sql(_WROTE).scalar():
            session.rollback()
        else:
            session.commit()
            session.expire_all()
    except DBAPIError:
        session.rollback()


_WROTE = "SELECT pg_current_xact_id_if_assigned() IS NOT NULL"


def _teardown(exc) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        try:
            if exc is None and g.get("status", 500) < 400:
                end_read(session)
        finally:
            session.close()
    request_id_var.set(None)


def _start() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.started = time.perf_counter()
    request_id_var.set(g.request_id)


def _authenticate() -> None:
    """Who is asking. On PostgreSQL the token is read in the request's own transaction (begun
    here, so the lookup ends nothing): a write then goes out as one transaction, a read ends
    with ``end_read``'s COMMIT. On SQLite, where a transaction holds the write lock from its
    first statement, the lookup ends its own."""
    if request.blueprint in OPEN_BLUEPRINTS or request.endpoint is None:
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("this endpoint needs an API token: send 'Authorization: Bearer <token>'",
                              "Authorization")
    session = db_session()
    if database().is_postgres:
        session.connection()
    try:
        g.principal = authenticate(session, secret.strip())
    except Unauthenticated:
        end_read(session)
        raise
    if not database().is_postgres:
        session.rollback()


def _refuse_unstorable_path() -> None:
    """Refuse a part of the path no text column can store (a NUL, ``%00``), naming it (422),
    as JSON bodies and query strings are: PostgreSQL would refuse it only mid-query, a 500
    anyone could cause with one public request. After authentication, so that nobody
    learns anything of an endpoint they may not call."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and json_bodies.UNSTORABLE.search(value):
            raise InvalidInput(f"{name} contains a NUL character or an unpaired surrogate, "
                               "which cannot be stored as text", name)


def _logged_path() -> str:
    """The path, less the one-time secret of a console invitation link."""
    if request.endpoint == "console.invite":
        return "/invite/…"
    return request.path


def _finish(response):
    g.status = response.status_code
    response.headers["X-Request-ID"] = g.get("request_id", "")
    started = g.get("started")
    who = g.get("principal")
    access_log.info("request", extra={"fields": {
        "method": request.method, "path": _logged_path(), "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        "token_id": who.token_id if who else None}})
    return response
