"""How fast tokens may be issued: at most ``LIMIT`` new tokens in any ``WINDOW`` per chain.

A leaked admin token must not be able to mint tokens faster than anyone would notice. A
limit per issuing token alone would not do: the holder of a token issues a second token,
whose secret it is given, and issues ten more with that one, and so on. So the count is per
*root issuer*: a token issued through the API by another token (its ``created_by`` is that
token's actor name, ``token:<id>:<name>``) counts as its issuer, up the chain, to a token no
token issued — one made at the command line, or a person's identity (made by an
invitation; a person issues with their identity). Everything issued with any token of the
chain counts against the root.

The count is of the audit log's ``token.create`` events made with the chain's tokens, so
every worker process sees the same count and a restart forgets nothing; the root's row is
locked first, so concurrent requests from tokens of one chain are counted one after another
and the limit holds under concurrency (on PostgreSQL).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.audit.models import AuditEvent
from fundpool.auth.models import ApiToken
from fundpool.auth.principal import Principal
from fundpool.auth.tokens import get_token
from fundpool.db import utcnow
from fundpool.errors import TooManyRequests

LIMIT = 10
WINDOW = timedelta(minutes=10)
#: ``created_by`` of a token issued through the API by another token (Principal.actor).
_ISSUED_BY_TOKEN = re.compile(r"token:(\d+):")


def check_issue_rate(session: Session, issuer: Principal, now: datetime | None = None) -> None:
    """Refuse with :class:`TooManyRequests` (saying when to retry) if the tokens of
    ``issuer``'s chain have issued ``LIMIT`` tokens within the last ``WINDOW``; call it in
    the transaction that issues."""
    now = now or utcnow()
    root = root_issuer(session, issuer.token_id)
    get_token(session, root, lock=True)
    events = session.execute(
        select(AuditEvent.occurred_at, AuditEvent.token_id)
        .where(AuditEvent.action == "token.create", AuditEvent.token_id.is_not(None),
               AuditEvent.occurred_at > now - WINDOW)
        .order_by(AuditEvent.occurred_at.desc())).all()
    roots = roots_of(session, {token_id for _, token_id in events})
    recent = [occurred for occurred, token_id in events if roots[token_id] == root][:LIMIT]
    if len(recent) < LIMIT:
        return
    wait = math.ceil((recent[-1] + WINDOW - now).total_seconds())
    minutes = int(WINDOW.total_seconds() // 60)
    raise TooManyRequests(f"this token and the tokens issued from it have issued {LIMIT} "
                          f"tokens in the last {minutes} minutes, the most allowed; try again "
                          f"in {wait} seconds", "Authorization", retry_after=max(wait, 1))


def root_issuer(session: Session, token_id: int) -> int:
    """The token at the top of ``token_id``'s chain of issuers (itself if no token issued
    it)."""
    return roots_of(session, {token_id})[token_id]


def roots_of(session: Session, token_ids: set[int]) -> dict[int, int]:
    """Each token's root issuer, the chains read a level at a time (one query per level,
    not per token): the window's events may come from many issuers at once."""
    issuer: dict[int, int | None] = {}
    wanted = set(token_ids)
    while wanted:
        created = dict(session.execute(select(ApiToken.id, ApiToken.created_by)
                                       .where(ApiToken.id.in_(wanted))).all())
        for token_id in wanted:
            issued_by = _ISSUED_BY_TOKEN.match(created.get(token_id) or "")
            issuer[token_id] = int(issued_by.group(1)) if issued_by else None
        wanted = {up for up in issuer.values() if up is not None and up not in issuer}
    return {token_id: _top(token_id, issuer) for token_id in token_ids}


def _top(token_id: int, issuer: dict[int, int | None]) -> int:
    """Follow ``issuer`` up from ``token_id`` (a loop, which ids that only grow cannot
    make, stops where it closes)."""
    seen = {token_id}
    while (up := issuer.get(token_id)) is not None and up not in seen:
        seen.add(up)
        token_id = up
    return token_id
