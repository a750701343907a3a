"""Stored responses of POST requests made with an Idempotency-Key, and their expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, Text, UniqueConstraint, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from fundpool.db import Base, utcnow


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("token_id", "key", name="uq_idempotency_keys_token_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int]
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status_code: Mapped[int | None]
    body: Mapped[str | None] = mapped_column(Text)


def purge_keys(session: Session, now: datetime, keep_hours: int) -> int:
    """Forget keys older than ``keep_hours``; a retry after that is a new request."""
    result = session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.created_at < now - timedelta(hours=keep_hours)))
    return result.rowcount
