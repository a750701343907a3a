"""Console user accounts: people who sign in with a password.

A user acts through an *identity*: an API-token row that holds the role, the pool scope
and the foundation's fund grants, so a person and a machine with the same role are
authorised by the same rules. The identity's secret is never shown; revoking the identity
locks the user out everywhere.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundpool.auth.models import ApiToken
from fundpool.db import Base, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    identity_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None]
    #: Bumped when access is reset, so every earlier sign-in session ends.
    session_epoch: Mapped[int] = mapped_column(default=0)
    #: Wrong passwords in a row from browsers that never signed in as this person, and how
    #: long such browsers are then refused: what a stranger who knows the name can reach.
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    #: The same for browsers that did sign in as this person before (the device cookie), so
    #: that a stranger's guesses never lock the person out of their own browser.
    device_failed_sign_ins: Mapped[int] = mapped_column(default=0, server_default="0")
    device_locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))

    identity: Mapped[ApiToken] = relationship(lazy="joined")

    @property
    def role(self) -> str:
        return self.identity.role

    @property
    def pool_code(self) -> str | None:
        return self.identity.pool_code

    @property
    def is_active(self) -> bool:
        return self.identity.is_active

    @property
    def status(self) -> str:
        """``invited`` until a password is set, ``active``, or ``revoked``."""
        if not self.is_active:
            return "revoked"
        return "active" if self.password_hash else "invited"


class SignInAddress(Base):
    """Failed console sign-ins from one network address in its current window: a
    password-spraying client is slowed down across all accounts, not only per account."""

    __tablename__ = "sign_in_addresses"

    address: Mapped[str] = mapped_column(String(45), primary_key=True)
    failures: Mapped[int]
    window_start: Mapped[datetime]
