"""API tokens. Only a SHA-256 hash of each secret is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundpool.db import Base, utcnow
from fundpool.pools.models import Pool

ROLES = ("admin", "foundation", "auditor")


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'foundation', 'auditor')", name="role_known"),
        CheckConstraint("role <> 'admin' OR pool_id IS NOT NULL", name="admin_has_pool"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("pools.id", ondelete="RESTRICT"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None]

    pool: Mapped[Pool | None] = relationship(lazy="joined")

    @property
    def pool_code(self) -> str | None:
        return self.pool.code if self.pool else None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
