"""China's statistical division codes (统计用区划代码) and the four pool levels.

A code says where a pool sits: 6 digits for a city (ending 00) or a district,
9 for a street, 12 for a community, each beginning with its parent's
significant prefix. Because of that, a pool's whole subtree is one range of
codes, which is what makes subtree queries a single indexed scan.
"""

from __future__ import annotations

from enum import Enum

from fundpool.errors import InvalidInput


class Level(str, Enum):
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"

    @property
    def depth(self) -> int:
        return LEVELS.index(self)

    @property
    def label_zh(self) -> str:
        return {"city": "市", "district": "区", "street": "街道", "community": "社区"}[self.value]


LEVELS = tuple(Level)
CODE_LENGTH = {Level.CITY: 6, Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12}
MAX_CODE_LENGTH = 12


def subtree_prefix(code: str, level: Level) -> str:
    """The digits every code in the pool's subtree starts with."""
    return code[:4] if level is Level.CITY else code


def subtree_bounds(code: str, level: Level) -> tuple[str, str]:
    """Inclusive bounds of the subtree's codes; digits sort alike in every collation."""
    prefix = subtree_prefix(code, level)
    return prefix, prefix + "9" * (MAX_CODE_LENGTH - len(prefix))


def in_subtree(code: str, root_code: str, root_level: Level) -> bool:
    return code.startswith(subtree_prefix(root_code, root_level))


def check_code(code: str, level: Level) -> None:
    """Check the code's own form for its level (length, digits, reserved endings)."""
    length = CODE_LENGTH[level]
    if not code.isascii() or not code.isdigit() or len(code) != length:
        raise InvalidInput(f"a {level.value} code is {length} digits, got {code!r}", "code")
    if level is Level.CITY and not code.endswith("00"):
        raise InvalidInput(f"a city code ends in 00, got {code!r}", "code")
    if level is Level.DISTRICT and code.endswith("00"):
        raise InvalidInput(f"{code!r} ends in 00, which marks a city, not a district", "code")
    if level in (Level.STREET, Level.COMMUNITY) and code.endswith("000"):
        raise InvalidInput(f"a {level.value} code does not end in 000, got {code!r}", "code")


def check_placement(code: str, level: Level, parent_code: str | None,
                    parent_level: Level | None) -> None:
    """Check the level sits one below the parent's and the code carries its prefix."""
    if level is Level.CITY:
        if parent_code is not None:
            raise InvalidInput("a city has no parent pool", "parent_code")
        return
    if parent_code is None or parent_level is None:
        raise InvalidInput(f"a {level.value} needs a parent pool", "parent_code")
    if parent_level.depth != level.depth - 1:
        expected = LEVELS[level.depth - 1].value
        raise InvalidInput(
            f"a {level.value}'s parent must be a {expected}, but {parent_code} is a {parent_level.value}",
            "parent_code")
    prefix = subtree_prefix(parent_code, parent_level)
    if not code.startswith(prefix):
        raise InvalidInput(
            f"code {code} must begin with {prefix}, the prefix of its parent {parent_code}", "code")
