"""Recording writes in the audit log, inside the transaction that makes them."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from fundpool.audit.models import AuditEvent
from fundpool.logs import request_id_var


@dataclass(frozen=True, slots=True)
class Actor:
    """Whoever makes a change: an API token, or an operator at the command line."""

    name: str
    token_id: int | None = None

    @classmethod
    def cli(cls) -> Actor:
        return cls(f"cli:{_login()}")


def _login() -> str:
    """The operator's login name. A container's user may have none (a uid missing from
    /etc/passwd and no USER or LOGNAME), where getpass raises: the uid still says who."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def record(session: Session, actor: Actor, action: str, target_type: str,
           target_id: str | int, **details: Any) -> AuditEvent:
    """Add one audit event; it commits or rolls back with the change it describes."""
    event = AuditEvent(actor=actor.name, token_id=actor.token_id, action=action,
                       target_type=target_type, target_id=str(target_id),
                       request_id=request_id_var.get(), details=details)
    session.add(event)
    return event


_INSERT = insert(AuditEvent.__table__)


def record_now(session: Session, actor: Actor, action: str, target_type: str,
               target_id: str | int, **details: Any) -> None:
    """``record``, written at once on the session's connection instead of at its next flush:
    the same row in the same transaction, without the unit of work's cost, for a hot path.
    Nothing is flushed first, which is right because an event refers to no other row."""
    session.connection().execute(_INSERT, {
        "actor": actor.name, "token_id": actor.token_id, "action": action,
        "target_type": target_type, "target_id": str(target_id),
        "request_id": request_id_var.get(), "details": details})
