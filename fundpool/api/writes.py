"""The unit of work of every write endpoint: idempotent replay, bounded retries, commit.

A POST may carry ``Idempotency-Key``. The key is claimed by inserting a row in
the same transaction as the write, *before* the write: a concurrent duplicate
waits on that row, then finds the first request's stored response and replays
it. So a retried request creates nothing twice, even when both copies arrive at
once. The same key with a different body is refused (422).
"""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import Response, request
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from fundpool.idempotency import IdempotencyKey
from fundpool.api.requests import db_session, principal
from fundpool.errors import Busy, InvalidInput

HEADER = "Idempotency-Key"
ATTEMPTS = 3
TRANSIENT_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock
HEADER_DOC = {"in": "header", "name": HEADER, "required": False,
              "schema": {"type": "string", "minLength": 1, "maxLength": 200},
              "description": "Retry-safe key: the same key and body replay the first response."}


def unit_of_work(blp):
    def decorate(view):
        view = blp.doc(parameters=[HEADER_DOC])(view)

        @wraps(view)
        def wrapper(*args, **kwargs):
            for _attempt in range(ATTEMPTS):
                try:
                    return _once(view, args, kwargs)
                except DBAPIError as exc:
                    db_session().rollback()
                    if not _transient(exc):
                        raise
            raise Busy("the ledger was too busy to take this request; send it again "
                       "(with the same Idempotency-Key)")
        return wrapper
    return decorate


def _once(view, args, kwargs) -> Response:
    session = db_session()
    key = request.headers.get(HEADER)
    if key is None:
        response = view(*args, **kwargs)
        session.commit()
        return response
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise InvalidInput("Idempotency-Key is 1 to 200 printable characters", HEADER)
    fingerprint = hashlib.sha256(b"%s %s\n%s" % (request.method.encode(), request.path.encode(),
                                                 request.get_data())).hexdigest()
    claim = _claim(session, key, fingerprint)
    if isinstance(claim, Response):
        return claim
    response = view(*args, **kwargs)
    claim.status_code, claim.body = response.status_code, response.get_data(as_text=True)
    session.commit()
    return response


def _claim(session: Session, key: str, fingerprint: str) -> IdempotencyKey | Response:
    token_id = principal().token_id
    stored = _find(session, token_id, key)
    if stored is None:
        claim = IdempotencyKey(token_id=token_id, key=key, fingerprint=fingerprint)
        session.add(claim)
        try:
            session.flush()
            return claim
        except IntegrityError:
            session.rollback()
            stored = _find(session, token_id, key)
    if stored.fingerprint != fingerprint:
        raise InvalidInput("this Idempotency-Key was already used for a different request; "
                           "use a new key for a new request", HEADER)
    return Response(stored.body, status=stored.status_code, mimetype="application/json",
                    headers={"Idempotent-Replayed": "true"})


def _find(session: Session, token_id: int, key: str) -> IdempotencyKey | None:
    return session.scalar(select(IdempotencyKey).where(IdempotencyKey.token_id == token_id,
                                                       IdempotencyKey.key == key))


def _transient(exc: DBAPIError) -> bool:
    """Worth running again: a deadlock or serialization failure, SQLite's busy lock, or a
    pooled connection the database dropped (there is no ping before each checkout)."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return (sqlstate in TRANSIENT_SQLSTATES or exc.connection_invalidated
            or "database is locked" in str(exc.orig))

