"""The pool table: one row per city, district, street or community fund pool."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundpool.db import Base, utcnow
from fundpool.pools.codes import Level

LEVEL_VALUES = ", ".join(f"'{level.value}'" for level in Level)


class Pool(Base):
    __tablename__ = "pools"
    __table_args__ = (
        CheckConstraint(f"level IN ({LEVEL_VALUES})", name="level_known"),
        CheckConstraint("(level = 'city') = (parent_id IS NULL)", name="only_cities_are_roots"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("pools.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    parent: Mapped[Pool | None] = relationship(remote_side=[id], back_populates="children",
                                               lazy="joined", join_depth=1)
    children: Mapped[list[Pool]] = relationship(back_populates="parent", order_by=code,
                                                lazy="raise")

    @property
    def level_enum(self) -> Level:
        return Level(self.level)

    @property
    def parent_code(self) -> str | None:
        return self.parent.code if self.parent else None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
