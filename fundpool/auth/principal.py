"""Who is calling, and the pure rules of what each role may do.

Roles: ``admin`` writes within its pool's subtree (a city admin, everywhere in
its city); ``foundation`` reads the funds it is granted; ``auditor`` reads and
exports everything and writes nothing. These checks take plain values so the
API, the CLI and later the console share them.
"""

from __future__ import annotations

from dataclasses import dataclass

from fundpool.audit.log import Actor
from fundpool.errors import Forbidden
from fundpool.pools.codes import Level, in_subtree


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: int
    name: str
    role: str
    pool_code: str | None
    pool_level: Level | None
    #: Set when a person signed in to the console; ``token_id`` is then their identity and
    #: ``name`` their sign-in name.
    user_id: int | None = None
    display_name: str | None = None

    @property
    def actor(self) -> Actor:
        if self.user_id is not None:
            return Actor(f"user:{self.user_id}:{self.name}", self.token_id)
        return Actor(f"token:{self.token_id}:{self.name}", self.token_id)

    @property
    def is_root_admin(self) -> bool:
        return self.role == "admin" and self.pool_level is Level.CITY

    def covers(self, code: str) -> bool:
        """Whether ``code`` lies in this principal's pool subtree."""
        return (self.pool_code is not None and self.pool_level is not None
                and in_subtree(code, self.pool_code, self.pool_level))


def require_role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise Forbidden("this needs the {roles} role; your token has the {role} role",
                        roles=" or ".join(roles), role=principal.role)


def require_admin_of(principal: Principal, code: str, field: str | None = None) -> None:
    """Writes are for admins, and only inside their own pool's subtree."""
    require_role(principal, "admin")
    if not principal.covers(code):
        raise Forbidden("pool {code} is outside your scope (pool {own} and below)", field,
                        code=code, own=principal.pool_code)


def require_token_issuer(principal: Principal, role: str, pool_code: str | None) -> None:
    """Admins issue admin tokens in their subtree; only a city admin issues the others."""
    if role == "admin" and pool_code is not None:
        require_admin_of(principal, pool_code, "pool_code")
    elif not principal.is_root_admin:
        raise Forbidden(f"only a city admin can issue or revoke {role} tokens", "role")
