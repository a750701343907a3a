"""The Shenzhen demo: the real city, districts and streets, and a few communities each.

Community codes and names are illustrative: the NBS community list is not
shipped, so each street gets three residents' committees numbered 001-003
with plausible names. They are marked as such in their English name.
"""

from __future__ import annotations

import zlib

from sqlalchemy.orm import Session

from fundpool.audit.log import Actor
from fundpool.auth.tokens import create_token
from fundpool.pools.codes import Level
from fundpool.pools.divisions import shenzhen
from fundpool.pools.service import NewPool, import_pools

CITY = "440300"
COMMUNITIES_PER_STREET = 3
STEMS = ("滨河", "新村", "花园", "翠竹", "华富", "锦绣", "东湖", "桂园", "莲花", "荔枝",
         "松坪", "南岭", "沙河", "海滨", "景田", "龙塘", "石厦", "梅林", "玉田", "文锦")


def communities(streets: list[NewPool]) -> list[NewPool]:
    """Three illustrative communities per street, the same every time."""
    made = []
    for street in streets:
        start = zlib.crc32(street.code.encode()) % len(STEMS)
        for number in range(1, COMMUNITIES_PER_STREET + 1):
            stem = STEMS[(start + number * 7) % len(STEMS)]
            made.append(NewPool(code=f"{street.code}{number:03d}", name=f"{stem}社区",
                                level=Level.COMMUNITY, parent_code=street.code,
                                name_en=f"{stem} Community (illustrative)"))
    return made


def load(session: Session, actor: Actor) -> tuple[int, int]:
    """Create whatever of the demo is missing; return (created, already there)."""
    divisions = shenzhen()
    streets = [row for row in divisions if row.level is Level.STREET]
    return import_pools(session, actor, divisions + communities(streets))


def admin_token(session: Session, actor: Actor) -> str:
    _token, secret = create_token(session, actor, name="demo city admin", role="admin",
                                  pool_code=CITY)
    return secret
