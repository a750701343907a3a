"""How often one network address may fail to sign in: ``LIMIT`` failures per ``WINDOW``.

The per-account lock (five wrong passwords) stops guessing one person's password; it does
not stop one client trying a common password against every sign-in name. This limit does:
once an address has failed ``LIMIT`` times in its window, it is refused (429, saying when to
retry) before any password is checked, right or wrong, until the window ends. A success does
not reset the count, so a client with one valid account cannot launder its failures. A
browser that signed in with the same name before is not held to it (the console's device
cookie), so a guesser sharing an address with real users cannot lock them out. Addresses are
counted by ``bucket``: IPv6 by /64 network, anything unreadable in one shared count.

The count lives in the database, so every worker sees the same one and a restart forgets
nothing. Each attempt is counted, by one upsert, before its password is checked and given
back if it succeeds; the upsert's row lock makes attempts from one address take turns, so
no more than ``LIMIT`` passwords are ever checked for it in a window, however many requests
arrive at once.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fundpool.auth.user_models import SignInAddress
from fundpool.db import utcnow
from fundpool.errors import TooManyRequests

LIMIT = 20
WINDOW = timedelta(minutes=15)
TOO_MANY = ("too many failed sign-ins from your network address; try again later (within "
            "15 minutes)")


def bucket(address: str | None) -> str:
    """What an address is counted as: an IPv4 address; an IPv6 address's /64 network (one
    subscriber's usual allocation, which a client can roam within); ``unknown`` for no
    address or anything that is not one, all of which share one count (a limit that turned
    itself off for them would invite sending them)."""
    ip = _parsed((address or "").strip())
    if ip is None:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _parsed(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in ``text``, also when a proxy wrote it with its port (``1.2.3.4:5``,
    ``[2001:db8::1]:5``)."""
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1:text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.split(":")[0])
    for candidate in candidates:
        try:
            return ipaddress.ip_address(candidate)
        except ValueError:
            continue
    return None


def take_attempt(session: Session, address: str | None, now: datetime | None = None) -> None:
    """Count this attempt against ``address`` before any password work, or refuse with
    :class:`TooManyRequests` when it would be one more than ``LIMIT`` this window (the
    caller rolls back, so a refused attempt is not counted). The count's row stays locked
    until the caller's transaction ends, so attempts from one address are counted one after
    another, however many arrive at once; :func:`give_back` undoes it for a success."""
    now = now or utcnow()
    failures, window_start = session.execute(_counted(session, bucket(address), now)).one()
    if failures <= LIMIT:
        return
    wait = max(1, math.ceil((window_start + WINDOW - now).total_seconds()))
    raise TooManyRequests(TOO_MANY, "login", retry_after=wait)


def give_back(session: Session, address: str | None) -> None:
    """A successful sign-in does not count: take back what :func:`take_attempt` counted."""
    table = SignInAddress.__table__
    session.execute(update(table).where(table.c.address == bucket(address))
                    .values(failures=table.c.failures - 1))


def note_failure(session: Session, address: str | None, now: datetime | None = None) -> None:
    """Count one failure for ``address`` after the fact (a browser not held to the limit)."""
    session.execute(_counted(session, bucket(address), now or utcnow()))


def _counted(session: Session, key: str, now: datetime):
    """One more for ``key``, as an upsert returning the count and its window's start; a
    window that has ended starts again at one."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = SignInAddress.__table__
    expired = table.c.window_start <= now - WINDOW
    upsert = dialect.insert(table).values(address=key, failures=1, window_start=now)
    return upsert.on_conflict_do_update(
        index_elements=[table.c.address],
        set_={"failures": case((expired, 1), else_=table.c.failures + 1),
              "window_start": case((expired, literal(now, table.c.window_start.type)),
                                   else_=table.c.window_start)},
    ).returning(table.c.failures, table.c.window_start)


def forget_ended_windows(session: Session, now: datetime | None = None) -> int:
    """Delete the counts whose window has ended (they would start again at one anyway), so
    the table holds only the addresses that failed in the last ``WINDOW``; how many went."""
    now = now or utcnow()
    table = SignInAddress.__table__
    return session.execute(delete(table).where(table.c.window_start <= now - WINDOW)).rowcount
