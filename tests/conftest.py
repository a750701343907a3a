"""Test fixtures: a fresh database per run, a clean one per test, and API helpers.

The backend is SQLite unless FUNDPOOL_TEST_DATABASE_URL names a PostgreSQL
server; then this run creates its own database there (never reusing one) and
drops it at the end. Tests marked ``postgres`` need that server; under
``CI=true`` with a PostgreSQL URL set, skipping one of them fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from fundpool import create_app, migrate
from fundpool.db import make_engine
from fundpool.models import Base
from tests.factories import Factory

SERVER_URL = os.environ.get("FUNDPOOL_TEST_DATABASE_URL")
IN_CI = os.environ.get("CI") == "true"


def backend() -> str:
    return "postgresql" if SERVER_URL else "sqlite"


def pytest_report_header(config):
    return f"fundpool backend: {backend()}"


def pytest_collection_modifyitems(config, items):
    if backend() == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set FUNDPOOL_TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and backend() == "postgresql" and report.skipped and "postgres" in item.keywords:
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid}: a PostgreSQL test was skipped in CI"


class ServerDatabases:
    """Creates and drops throwaway databases on the PostgreSQL server under test."""

    def __init__(self, server_url: str) -> None:
        self.server = make_url(server_url).set(drivername="postgresql+psycopg")
        self.admin = make_engine(self.server.render_as_string(hide_password=False))
        self.made: list[str] = []

    def create(self) -> str:
        name = f"fundpool_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        return self.server.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in self.made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory):
    """A factory of brand-new empty databases on the backend under test."""
    if backend() == "sqlite":
        folder = tmp_path_factory.mktemp("empty")
        yield lambda: f"sqlite:///{folder / uuid.uuid4().hex}.sqlite3"
        return
    try:
        server = ServerDatabases(SERVER_URL)
        server.create()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server stops the run
        pytest.exit(f"cannot create a database on {SERVER_URL}: {exc}", returncode=3)
    yield server.create
    server.drop_all()


@pytest.fixture(scope="session")
def migrated_url(empty_database):
    """One database per run, migrated to head once."""
    url = empty_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def database_url(migrated_url, tmp_path):
    """A clean, migrated database for this test."""
    if backend() == "sqlite":
        path = tmp_path / "fundpool.sqlite3"
        shutil.copyfile(make_url(migrated_url).database, path)
        yield f"sqlite:///{path}"
        return
    yield migrated_url
    engine = make_engine(migrated_url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("FUNDPOOL_CONFIG", raising=False)
    app = create_app({"database_url": database_url, "secret_key": "test", "log_level": "WARNING"})
    app.config["TESTING"] = True
    yield app
    app.extensions["fundpool.db"].engine.dispose()


@pytest.fixture
def db(app):
    return app.extensions["fundpool.db"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make(db):
    return Factory(db)


@pytest.fixture
def shenzhen(make):
    """福田区 and 罗湖区 with two streets and communities each, plus tokens for each level."""
    return make.small_city()


@pytest.fixture
def snapshot(db):
    """Rows of every table, to show that a refused request changed nothing."""
    def take():
        with db.engine.connect() as conn:
            return {t.name: conn.execute(t.select().order_by(*t.primary_key.columns)).all()
                    for t in Base.metadata.sorted_tables}
    return take
