"""Keyset pagination over any select ordered by one unique column.

Keyset (not offset) pages stay fast and stable while rows are added: a page
is "the next ``limit`` rows after this key", so nothing is skipped or repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Sequence, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_after: Any | None  # key of the last item when more rows follow


def keyset_page(session: Session, stmt: Select, key: InstrumentedAttribute,
                after: Any | None, limit: int) -> Page:
    """Return up to ``limit`` rows of ``stmt`` whose ``key`` is greater than ``after``."""
    if after is not None:
        stmt = stmt.where(key > after)
    rows = session.scalars(stmt.order_by(key).limit(limit + 1)).all()
    more = len(rows) > limit
    items = rows[:limit]
    return Page(items, getattr(items[-1], key.key) if more else None)
