"""The declarative base, shared column types, and one engine per application.

SQLite runs with foreign keys enforced and in WAL mode so that readers never
block the writer; PostgreSQL runs through psycopg 3. Nothing here knows Flask.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import BigInteger, DateTime, Engine, Integer, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from fundpool.errors import InvalidInput
from fundpool.settings import ConfigError

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SUPPORTED_DIALECTS = ("sqlite", "postgresql")


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; fundpool stores UTC-aware times only")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # SQLite makes only INTEGER PRIMARY KEY an auto-assigned row id.
    type_annotation_map = {datetime: UTCDateTime(),
                           int: BigInteger().with_variant(Integer(), "sqlite")}


def check_lengths(model: type[Base], **values: str | None) -> None:
    """Refuse text longer than its column holds, naming the field, before any write.

    PostgreSQL would refuse it too, but as a database error after half the work; SQLite
    would store it whole. The limits are read from the model, so they cannot drift."""
    for field, value in values.items():
        limit = model.__table__.c[field].type.length
        if value is not None and len(value) > limit:
            raise InvalidInput("{name} may have at most {limit} characters", field,
                               name=field.replace("_", " "), limit=limit)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """Create the engine for ``url``; unsupported or malformed URLs are a ConfigError.

    A database error's message leaves out the statement's values (``hide_parameters``): the
    service logs an unexpected one whole, and the values may be a donor's identity number,
    phone or name, which no log may hold."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database_url {url!r} is not a database URL") from None
    if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
        raise ConfigError(f"database_url must be sqlite or postgresql, got {parsed.drivername!r}")
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_size=pool_size, hide_parameters=True)
    engine = create_engine(parsed, connect_args={"timeout": 30}, hide_parameters=True)
    event.listen(engine, "connect", _sqlite_pragmas)
    # SQLite has one writer: take its lock when a transaction begins, so a
    # transaction never reads, then finds another writer got in first.
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """An engine and its session factory, shared by the API, the CLI and jobs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits if the block finishes, rolls back if it raises."""
        with self.sessions.begin() as session:
            yield session

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"
