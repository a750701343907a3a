"""Fixtures for fuzzing: the seeded scene is built once, and each operation gets its own copy.

Seeding runs the matching solver and dozens of requests, too slow to repeat for each of
the API's operations; copying the seeded database (a file copy on SQLite, ``CREATE
DATABASE … TEMPLATE`` on PostgreSQL) keeps operations from seeing each other's writes
for a few milliseconds each.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from fundpool import create_app, migrate
from fundpool.db import Database, make_engine
from tests.conftest import SERVER_URL, backend
from tests.fuzz import scene as scenes


class Copies:
    """Copies of one seeded database, made and dropped one at a time."""

    def __init__(self, template_url: str, folder) -> None:
        self.template = make_url(template_url)
        self.folder = folder
        self.admin = (make_engine(SERVER_URL).execution_options(isolation_level="AUTOCOMMIT")
                      if backend() == "postgresql" else None)

    def make(self) -> str:
        if self.admin is None:
            path = self.folder / f"{uuid.uuid4().hex}.sqlite3"
            shutil.copyfile(self.template.database, path)
            return f"sqlite:///{path}"
        name = f"fundpool_fuzz_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template.database}"'))
        return self.template.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        if self.admin is None:
            for suffix in ("", "-wal", "-shm"):
                Path(make_url(url).database + suffix).unlink(missing_ok=True)
            return
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))

    def close(self) -> None:
        if self.admin is not None:
            self.admin.dispose()


@pytest.fixture(scope="module")
def fuzz_world(empty_database, tmp_path_factory):
    """The app (one for the module), the seeded scene, and a maker of database copies."""
    url = empty_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app({"database_url": url, "secret_key": "fuzz", "log_level": "WARNING",
                      "instance_folder": str(folder / "instance")})
    app.config["TESTING"] = True
    db = app.extensions["fundpool.db"]
    scene = scenes.build(db, app.test_client())
    db.engine.dispose()
    copies = Copies(url, folder)
    yield app, scene, copies
    copies.close()


@pytest.fixture
def fuzz_app(fuzz_world):
    """The app on a fresh copy of the seeded database, for one operation's examples."""
    app, scene, copies = fuzz_world
    url = copies.make()
    database = Database(make_engine(url))
    app.extensions["fundpool.db"] = database
    yield app, scene
    database.engine.dispose()
    copies.drop(url)
