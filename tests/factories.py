"""Builders for test data with sensible defaults, through the real services."""

from __future__ import annotations

from dataclasses import dataclass, field

from fundpool.audit.log import Actor
from fundpool.auth.tokens import create_token
from fundpool.auth.user_models import User
from fundpool.auth.users import accept_invite, invite_user
from fundpool.db import Database
from fundpool.pools.codes import Level
from fundpool.pools.models import Pool
from fundpool.pools.service import NewPool, create_pool

ACTOR = Actor("test-setup")
PASSWORD = "correct horse battery"

SMALL_CITY = [
    ("440300", "深圳市", Level.CITY, None),
    ("440303", "罗湖区", Level.DISTRICT, "440300"),
    ("440304", "福田区", Level.DISTRICT, "440300"),
    ("440303001", "桂园街道", Level.STREET, "440303"),
    ("440304001", "南园街道", Level.STREET, "440304"),
    ("440304002", "园岭街道", Level.STREET, "440304"),
    ("440304001001", "滨河社区", Level.COMMUNITY, "440304001"),
    ("440304001002", "南华社区", Level.COMMUNITY, "440304001"),
    ("440304002001", "百花社区", Level.COMMUNITY, "440304002"),
]


@dataclass
class City:
    """The small city and a token per role; ``headers(name)`` gives auth headers."""

    secrets: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[who]}"}


class Factory:
    def __init__(self, db: Database) -> None:
        self.db = db

    def pool(self, code: str, name: str, level: Level, parent_code: str | None = None) -> Pool:
        with self.db.transaction() as session:
            return create_pool(session, ACTOR, NewPool(code, name, level, parent_code))

    def token(self, role: str, pool_code: str | None = None, name: str | None = None) -> str:
        with self.db.transaction() as session:
            _token, secret = create_token(session, ACTOR, name=name or f"{role} {pool_code}",
                                          role=role, pool_code=pool_code)
        return secret

    def user(self, login: str, role: str, pool_code: str | None = None,
             password: str = PASSWORD) -> User:
        """A person who can sign in to the console with ``password``."""
        with self.db.transaction() as session:
            user, secret = invite_user(session, ACTOR, None, login=login, display_name=login,
                                       role=role, pool_code=pool_code)
            accept_invite(session, secret, password)
        return user

    def small_city(self) -> City:
        for code, name, level, parent in SMALL_CITY:
            self.pool(code, name, level, parent)
        city = City()
        city.secrets = {
            "city_admin": self.token("admin", "440300"),
            "district_admin": self.token("admin", "440304"),
            "street_admin": self.token("admin", "440304001"),
            "other_street_admin": self.token("admin", "440304002"),
            "community_admin": self.token("admin", "440304001001"),
            "auditor": self.token("auditor"),
            "foundation": self.token("foundation"),
        }
        return city


def bank(pool_code: str, currency: str = "CNY") -> str:
    return f"{pool_code}:1002:{currency}"


def income(pool_code: str, currency: str = "CNY") -> str:
    return f"{pool_code}:410101:{currency}"


def cost(pool_code: str, currency: str = "CNY") -> str:
    return f"{pool_code}:5101:{currency}"
