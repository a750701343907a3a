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
    recent = [occurred for occurred, token_id in session.execute(
        select(AuditEvent.occurred_at, AuditEvent.token_id)
        .where(AuditEvent.action == "token.create", AuditEvent.token_id.is_not(None),
               AuditEvent.occurred_at > now - WINDOW)
        .order_by(AuditEvent.occurred_at.desc()))
        if _root_of(session, token_id, {issuer.token_id: root}) == root][:LIMIT]
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
    return _root_of(session, token_id, {})


def _root_of(session: Session, token_id: int, known: dict[int, int]) -> int:
    """``root_issuer``, remembering in ``known`` the roots found on the way: the window's
    events are mostly of a few chains."""
    chain = []
    while token_id not in known and token_id not in chain:
        chain.append(token_id)
        created_by = session.scalar(select(ApiToken.created_by).where(ApiToken.id == token_id))
        issued_by = _ISSUED_BY_TOKEN.match(created_by or "")
        if issued_by is None:
            known[token_id] = token_id
            break
        token_id = int(issued_by.group(1))
    root = known.get(token_id, token_id)
    known.update(dict.fromkeys(chain, root))
    return root
