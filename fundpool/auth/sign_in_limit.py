"""How often one network address may fail to sign in: ``LIMIT`` failures per ``WINDOW``.

The per-account lock (five wrong passwords) stops guessing one person's password; it does
not stop one client trying a common password against every sign-in name. This limit does:
once an address has failed ``LIMIT`` times in its window, it is refused (429, saying when to
retry) before any password is checked, right or wrong, until the window ends. A success does
not reset the count, so a client with one valid account cannot launder its failures.

The count lives in the database, so every worker sees the same one and a restart forgets
nothing. It is bumped by one upsert, so concurrent failures are all counted; checks running
at the same moment as the failure that reaches the limit may still pass, at most one per
concurrent request, each paying a full Argon2 verification.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import case, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fundpool.auth.user_models import SignInAddress
from fundpool.db import utcnow
from fundpool.errors import TooManyRequests

LIMIT = 20
WINDOW = timedelta(minutes=15)
ADDRESS_MAX = 45  # an IPv6 address written out in full
TOO_MANY = ("too many failed sign-ins from your network address; try again later (within "
            "15 minutes)")


def check_address(session: Session, address: str | None, now: datetime | None = None) -> None:
    """Refuse with :class:`TooManyRequests` if ``address`` used up its failures this window."""
    if not address:
        return
    now = now or utcnow()
    row = session.get(SignInAddress, address[:ADDRESS_MAX])
    if row is None or row.failures < LIMIT or row.window_start <= now - WINDOW:
        return
    wait = max(1, math.ceil((row.window_start + WINDOW - now).total_seconds()))
    raise TooManyRequests(TOO_MANY, "login", retry_after=wait)


def note_failure(session: Session, address: str | None, now: datetime | None = None) -> None:
    """Count one failure for ``address``; a window that has ended starts again at one."""
    if not address:
        return
    now = now or utcnow()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = SignInAddress.__table__
    expired = table.c.window_start <= now - WINDOW
    upsert = dialect.insert(table).values(address=address[:ADDRESS_MAX], failures=1,
                                          window_start=now)
    session.execute(upsert.on_conflict_do_update(
        index_elements=[table.c.address],
        set_={"failures": case((expired, 1), else_=table.c.failures + 1),
              "window_start": case((expired, literal(now, table.c.window_start.type)),
                                   else_=table.c.window_start)}))
