"""Issuing, checking and revoking API tokens.

A token is ``fp_`` and 43 random URL-safe characters (256 bits). Only its
SHA-256 hash is stored: a leaked database reveals no usable token, and lookup
by hash stays one indexed read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.auth.models import ROLES, ApiToken
from fundpool.auth.principal import Principal
from fundpool.db import utcnow
from fundpool.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from fundpool.paging import Page, keyset_page
from fundpool.pools.codes import Level, subtree_bounds
from fundpool.pools.models import Pool
from fundpool.pools.service import get_pool

PREFIX = "fp_"
#: Every request's lookup, on the tables rather than the mapped classes: the ORM would
#: add nothing to plain columns but its own cost.
_TOKENS, _POOLS = ApiToken.__table__, Pool.__table__
_BY_HASH = (select(_TOKENS.c.id, _TOKENS.c.name, _TOKENS.c.role, _TOKENS.c.secret_hash,
                   _TOKENS.c.revoked_at, _POOLS.c.code.label("pool_code"),
                   _POOLS.c.level.label("pool_level"))
            .select_from(_TOKENS.outerjoin(_POOLS, _POOLS.c.id == _TOKENS.c.pool_id))
            .where(_TOKENS.c.secret_hash == bindparam("digest")))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, actor: Actor, *, name: str, role: str,
                 pool_code: str | None) -> tuple[ApiToken, str]:
    """Store a new token and return it with its secret, which is shown only this once."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, got {role!r}", "role")
    if role == "admin" and pool_code is None:
        raise InvalidInput("an admin token needs the pool it administers", "pool_code")
    pool = get_pool(session, pool_code, field="pool_code") if pool_code is not None else None
    if pool is not None and not pool.is_open:
        raise Conflict(f"pool {pool.code} is closed", "pool_code")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, pool=pool, secret_hash=hash_secret(secret),
                     created_by=actor.name)
    session.add(token)
    session.flush()
    record(session, actor, "token.create", "token", token.id, name=name, role=role,
           pool_code=pool_code)
    return token, secret


def authenticate(session: Session, secret: str) -> Principal:
    """The principal a secret belongs to. The lookup is by the secret's SHA-256, so timing
    tells a guesser nothing about the secret itself; the stored hash is compared again in
    constant time all the same. Every request makes it, so it reads the few columns a
    principal needs in one plain statement rather than loading the token and its pool.

    A lookup that began the session's transaction ends it with COMMIT, not ROLLBACK (the
    same for a read): psycopg forgets every prepared statement at a ROLLBACK, and ending
    each request's first read that way kept PostgreSQL parsing and planning every
    statement of every request afresh. Inside a caller's transaction it ends nothing."""
    digest = hash_secret(secret)
    own_transaction = not session.in_transaction()
    token = session.execute(_BY_HASH, {"digest": digest}).first()
    if own_transaction:
        session.commit()
    if token is None or not hmac.compare_digest(token.secret_hash, digest):
        raise Unauthenticated("the bearer token is not known")
    if token.revoked_at is not None:
        raise Unauthenticated("the bearer token has been revoked")
    return Principal(token.id, token.name, token.role, token.pool_code,
                     Level(token.pool_level) if token.pool_level is not None else None)


def get_token(session: Session, token_id: int, *, lock: bool = False) -> ApiToken:
    """Read a token; ``lock`` holds its row until commit and reads its latest state."""
    stmt = select(ApiToken).where(ApiToken.id == token_id)
    if lock:
        stmt = stmt.with_for_update(of=ApiToken).execution_options(populate_existing=True)
    token = session.scalar(stmt)
    if token is None:
        raise NotFound(f"there is no token with id {token_id}", "token_id")
    return token


def revoke_token(session: Session, actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke a token read with ``get_token(..., lock=True)``: exactly once."""
    if not token.is_active:
        raise Conflict(f"token {token.id} was already revoked", "token_id")
    token.revoked_at = utcnow()
    record(session, actor, "token.revoke", "token", token.id, name=token.name)
    return token


def list_tokens(session: Session, viewer: Principal, after: int | None, limit: int) -> Page:
    """Tokens the viewer may manage: all for a city admin, else its subtree's admin tokens
    (not an auditor's or a foundation's given a pool there: only a city admin manages those)."""
    stmt = select(ApiToken)
    if not viewer.is_root_admin:
        low, high = subtree_bounds(viewer.pool_code, viewer.pool_level)
        stmt = stmt.join(ApiToken.pool).where(Pool.code.between(low, high),
                                              ApiToken.role == "admin")
    return keyset_page(session, stmt, ApiToken.id, after, limit)
