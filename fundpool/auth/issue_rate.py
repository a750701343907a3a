"""How fast one token may issue others: at most ``LIMIT`` new tokens in any ``WINDOW``.

A leaked admin token must not be able to mint tokens faster than anyone would notice.
The count is of the audit log's ``token.create`` events made with the issuing token, so
every worker process sees the same count and a restart forgets nothing; the issuing
token's row is locked first, so concurrent requests from one token are counted one
after another and the limit holds under concurrency (on PostgreSQL).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.audit.models import AuditEvent
from fundpool.auth.principal import Principal
from fundpool.auth.tokens import get_token
from fundpool.db import utcnow
from fundpool.errors import TooManyRequests

LIMIT = 10
WINDOW = timedelta(minutes=10)


def check_issue_rate(session: Session, issuer: Principal, now: datetime | None = None) -> None:
    """Refuse with :class:`TooManyRequests` (saying when to retry) if ``issuer`` has issued
    ``LIMIT`` tokens within the last ``WINDOW``; call it in the transaction that issues."""
    now = now or utcnow()
    get_token(session, issuer.token_id, lock=True)
    recent = session.scalars(
        select(AuditEvent.occurred_at)
        .where(AuditEvent.action == "token.create", AuditEvent.token_id == issuer.token_id,
               AuditEvent.occurred_at > now - WINDOW)
        .order_by(AuditEvent.occurred_at.desc()).limit(LIMIT)).all()
    if len(recent) < LIMIT:
        return
    wait = math.ceil((recent[-1] + WINDOW - now).total_seconds())
    minutes = int(WINDOW.total_seconds() // 60)
    raise TooManyRequests(f"this token has issued {LIMIT} tokens in the last {minutes} "
                          f"minutes, the most allowed; try again in {wait} seconds",
                          "Authorization", retry_after=max(wait, 1))
