"""Test fixtures: a fresh database per run, a clean one per test, and API helpers.

The backend is SQLite unless FUNDPOOL_TEST_DATABASE_URL names a PostgreSQL
server; then this run creates its own database there (never reusing one) and
drops it at the end. Tests marked ``postgres`` need that server; under
``CI=true`` with a PostgreSQL URL set, skipping one of them fails the run.
"""

from __future__ import annotations

import copy
import os
import shutil
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from fundpool import create_app, migrate
from fundpool.db import Database, make_engine
from fundpool.logs import configure_logging
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


#: The tables whose statement trigger refuses TRUNCATE (migration 0016).
NO_TRUNCATE = ("audit_events", "entries", "postings")


def truncating(tables: list[str]) -> str:
    """``TRUNCATE … RESTART IDENTITY`` of ``tables``, for a server user not allowed the
    replica role: the append-only tables refuse TRUNCATE (migration 0016), so their
    ``_no_truncate`` triggers are off for that transaction only (the tables' owner may)."""
    guarded = [name for name in NO_TRUNCATE if name in tables]
    return ("".join(f"ALTER TABLE {name} DISABLE TRIGGER {name}_no_truncate;"
                    for name in guarded)
            + f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE;"
            + "".join(f"ALTER TABLE {name} ENABLE TRIGGER {name}_no_truncate;"
                      for name in guarded))


@pytest.fixture(scope="session")
def emptying(migrated_url):
    """On PostgreSQL, the SQL that empties every table and restarts its ids after a test.

    It is what ``TRUNCATE … RESTART IDENTITY`` does, done with DELETE and ``setval``:
    TRUNCATE gives each of the 30-odd tables new files, about 0.3 s a test (minutes over the
    suite), where deleting the few rows a test wrote takes milliseconds. Triggers (the
    append-only ones, and foreign keys) are off for that transaction only, in the replica
    role; a server user not allowed that role gets TRUNCATE."""
    engine = make_engine(migrated_url)
    tables = [t.name for t in Base.metadata.sorted_tables]
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            sequences = conn.execute(text(
                "SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename),"
                "       s.start_value"
                "  FROM pg_sequences s"
                "  JOIN pg_class c ON c.relname = s.sequencename"
                "  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname"
                "  JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid"
                "   AND d.deptype IN ('a', 'i')"
                "  JOIN pg_class t ON t.oid = d.refobjid"
                " WHERE t.relname = ANY(:tables)"), {"tables": tables}).all()
    except Exception:  # noqa: BLE001 - not allowed the replica role: the slower way
        return truncating(tables)
    finally:
        engine.dispose()
    return ("SET LOCAL session_replication_role = replica;"
            + "".join(f"DELETE FROM {name};" for name in reversed(tables))
            + "".join(f"SELECT setval('{name}', {start}, false);" for name, start in sequences))


@pytest.fixture
def database_url(migrated_url, tmp_path, request):
    """A clean, migrated database for this test."""
    if backend() == "sqlite":
        path = tmp_path / "fundpool.sqlite3"
        shutil.copyfile(make_url(migrated_url).database, path)
        yield f"sqlite:///{path}"
        return
    emptying = request.getfixturevalue("emptying")
    yield migrated_url
    engine = make_engine(migrated_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(emptying)
    engine.dispose()


@pytest.fixture(scope="session")
def shared_app(migrated_url):
    """One app for the run. Building one takes about a quarter of a second (registering the
    API's routes and their OpenAPI document), minutes over the suite; ``app`` gives each test
    this one on its own database, and puts its configuration and extensions back afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("FUNDPOOL_CONFIG", raising=False)
        app = create_app({"database_url": migrated_url, "secret_key": "test",
                          "log_level": "WARNING"})
    app.config["TESTING"] = True
    app.extensions["fundpool.db"].engine.dispose()
    return app, copy.deepcopy(dict(app.config)), dict(app.extensions)


@pytest.fixture
def app(shared_app, database_url, monkeypatch):
    """The app on this test's clean database, as ``create_app`` made it."""
    monkeypatch.delenv("FUNDPOOL_CONFIG", raising=False)
    app, config, extensions = shared_app
    app.config.update(copy.deepcopy(config))
    app.config["FUNDPOOL"]["database_url"] = database_url
    app.extensions.update(extensions)
    configure_logging(config["FUNDPOOL"]["log_level"])
    database = Database(make_engine(database_url, config["FUNDPOOL"]["database_pool_size"]))
    app.extensions["fundpool.db"] = database
    yield app
    for worker in app.extensions.get("fundpool.import_threads", []):
        worker.join(timeout=120)  # an import still running would write after the test
    database.engine.dispose()
    app.config.clear()
    app.extensions.clear()


@pytest.fixture
def own_app(database_url, monkeypatch):
    """An app of this test's own on its database, for a test that adds to the app itself
    (a route, a hook): the shared one has served requests and takes no more of those."""
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
    """Rows of every table, to show that a refused request changed nothing. On PostgreSQL
    in one query (each table's rows as a JSON array, every value written out in full): a
    query per table was most of the time of the tests that take hundreds of snapshots."""
    if db.engine.dialect.name == "postgresql":
        query = text(_snapshot_sql(db.engine.dialect.identifier_preparer.quote))

        def take():
            with db.engine.connect() as conn:
                return conn.execute(query).one()._asdict()
        return take

    def take():
        with db.engine.connect() as conn:
            return {t.name: conn.execute(t.select().order_by(*t.primary_key.columns)).all()
                    for t in Base.metadata.sorted_tables}
    return take


def _snapshot_sql(quote) -> str:
    arrays = []
    for table in Base.metadata.sorted_tables:
        order = ", ".join(f"snapshot_row.{quote(c.name)}" for c in table.primary_key.columns)
        arrays.append(f"(SELECT coalesce(json_agg(snapshot_row ORDER BY {order}), '[]')"
                      f" FROM {quote(table.name)} snapshot_row) AS {quote(table.name)}")
    return "SELECT " + ", ".join(arrays)
