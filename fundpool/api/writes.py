"""The unit of work of every write endpoint: idempotent replay, bounded retries, commit.

A POST may carry ``Idempotency-Key``. The key is claimed by inserting a row in
the same transaction as the write, *before* the write: a concurrent duplicate
waits on that row, then finds the first request's stored response and replays
it. So a retried request creates nothing twice, even when both copies arrive at
once. The same key with a different body is refused (422).

A write whose effect reaches beyond the transaction (an import's background job, which
must see its committed job row) hands that effect to ``after_commit``: it runs once the
request's transaction has committed, never for a replay or a rolled-back attempt.
"""

from __future__ import annotations

import hashlib
from functools import wraps
from typing import Callable

from flask import Response, g, request
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from fundpool.api.requests import db_session, principal
from fundpool.errors import Busy, InvalidInput
from fundpool.idempotency import IdempotencyKey

HEADER = "Idempotency-Key"
ATTEMPTS = 3
TRANSIENT_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock
HEADER_DOC = {"in": "header", "name": HEADER, "required": False,
              "schema": {"type": "string", "minLength": 1, "maxLength": 200},
              "description": "Retry-safe key: the same key and body replay the first response."}

_KEYS = IdempotencyKey.__table__
#: The claim, one statement per backend: a row back means this request holds the key; none
#: means the key was taken already (on PostgreSQL, after waiting for a concurrent holder to
#: commit or roll back).
_CLAIMS = {name: dialect.insert(_KEYS)
           .values(token_id=bindparam("token_id"), key=bindparam("key"),
                   fingerprint=bindparam("fingerprint"))
           .on_conflict_do_nothing(index_elements=[_KEYS.c.token_id, _KEYS.c.key])
           .returning(_KEYS.c.id)
           for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
_STORED = select(_KEYS.c.fingerprint, _KEYS.c.status_code, _KEYS.c.body).where(
    _KEYS.c.token_id == bindparam("token_id"), _KEYS.c.key == bindparam("key"))
_ANSWER = update(_KEYS).where(_KEYS.c.id == bindparam("claim_id")).values(
    status_code=bindparam("status_code"), body=bindparam("body"))


def body_fingerprint() -> bytes:
    """What a key's request is: method, path and body (a JSON body, held in memory anyway)."""
    return b"%s %s\n%s" % (request.method.encode(), request.path.encode(), request.get_data())


def upload_fingerprint() -> bytes:
    """What a multipart upload's request is, without holding the upload in memory (it may
    be hundreds of megabytes): method, path, the form fields, and each file's name and the
    SHA-256 of its content, read in chunks."""
    digest = hashlib.sha256(b"%s %s\n" % (request.method.encode(), request.path.encode()))
    for name, value in sorted(request.form.items(multi=True)):
        digest.update(repr(("form", name, value)).encode())
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        content = hashlib.sha256()
        for chunk in iter(lambda: upload.stream.read(1 << 20), b""):
            content.update(chunk)
        upload.stream.seek(0)
        digest.update(repr(("file", name, upload.filename, content.hexdigest())).encode())
    return digest.digest()


def after_commit(action: Callable[[], None], otherwise: Callable[[], None] = lambda: None) -> None:
    """Run ``action`` once this request's transaction has committed, or ``otherwise`` if it
    does not (an error, or an attempt rolled back to be retried); never for a replay."""
    g.fundpool_after_commit.append((action, otherwise))


def unit_of_work(blp, fingerprint: Callable[[], bytes] = body_fingerprint):
    def decorate(view):
        view = blp.doc(parameters=[HEADER_DOC])(view)

        @wraps(view)
        def wrapper(*args, **kwargs):
            for _attempt in range(ATTEMPTS):
                try:
                    return _settled(view, args, kwargs, fingerprint)
                except DBAPIError as exc:
                    db_session().rollback()
                    if not _transient(exc):
                        raise
            raise Busy("the ledger was too busy to take this request; send it again "
                       "(with the same Idempotency-Key)")
        return wrapper
    return decorate


def _settled(view, args, kwargs, fingerprint: Callable[[], bytes]) -> Response:
    """One attempt, then what the view left for after its commit (``after_commit``)."""
    g.fundpool_after_commit = pending = []
    try:
        response = _once(view, args, kwargs, fingerprint)
    except BaseException:
        for _action, otherwise in pending:
            otherwise()
        raise
    for action, _otherwise in pending:
        action()
    return response


def _once(view, args, kwargs, fingerprint: Callable[[], bytes]) -> Response:
    session = db_session()
    key = request.headers.get(HEADER)
    if key is None:
        response = view(*args, **kwargs)
        session.commit()
        return response
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise InvalidInput("Idempotency-Key is 1 to 200 printable characters", HEADER)
    claim = _claim(session, key, hashlib.sha256(fingerprint()).hexdigest())
    if isinstance(claim, Response):
        return claim
    response = view(*args, **kwargs)
    session.execute(_ANSWER, {"claim_id": claim, "status_code": response.status_code,
                              "body": response.get_data(as_text=True)})
    session.commit()
    return response


def _claim(session: Session, key: str, fingerprint: str) -> int | Response:
    """The id of the key's row, claimed for this request, or the first request's stored
    answer to replay. The claim is one INSERT … ON CONFLICT DO NOTHING RETURNING in the
    request's transaction: on PostgreSQL a concurrent request holding the same key makes
    it wait until that request commits (nothing comes back; its answer is read) or rolls
    back (this one claims the key). SQLite's transaction holds the write lock from its
    start, so nobody else holds a key meanwhile."""
    params = {"token_id": principal().token_id, "key": key}
    claims = _CLAIMS[session.get_bind().dialect.name]
    for _attempt in range(2):
        claimed = session.execute(claims, {**params, "fingerprint": fingerprint}).scalar()
        if claimed is not None:
            return claimed
        stored = session.execute(_STORED, params).first()
        if stored is not None:
            break
    else:  # purged between the two statements, twice: hardly worth a third try
        raise Busy("the ledger was too busy to take this request; send it again "
                   "(with the same Idempotency-Key)")
    if stored.fingerprint != fingerprint:
        raise InvalidInput("this Idempotency-Key was already used for a different request; "
                           "use a new key for a new request", HEADER)
    return Response(stored.body, status=stored.status_code, mimetype="application/json",
                    headers={"Idempotent-Replayed": "true"})


def _transient(exc: DBAPIError) -> bool:
    """Worth running again: a deadlock or serialization failure, SQLite's busy lock, or a
    pooled connection the database dropped (there is no ping before each checkout)."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return (sqlstate in TRANSIENT_SQLSTATES or exc.connection_invalidated
            or "database is locked" in str(exc.orig))

