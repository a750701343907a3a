"""Backing the database up while the service runs, and restoring it into an empty database.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies the file page by
  page as one consistent snapshot, also while the service writes; the backup is itself
  an SQLite database file, and restoring copies it back the same way.
- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, taken without
  stopping writers) and ``pg_restore --single-transaction --exit-on-error``, so a restore
  either lands whole or leaves the target empty. The server's own client programs must
  be on ``PATH``; connection details reach them through libpq's environment
  (``PGHOST``…, the password never on a command line).

A restore goes only into an empty database: never over books that exist. Whether the
restored books are whole is for ``fundpool verify`` to say, and the CLI runs it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL

from fundpool.errors import Conflict, FundpoolError, InvalidInput


class BackupFailed(FundpoolError):
    """PostgreSQL's dump or restore program refused; its own message says why."""


def backup(engine: Engine, target: Path) -> None:
    """Write a consistent copy of the whole database to ``target`` (made or replaced)."""
    if engine.dialect.name == "sqlite":
        _sqlite_backup(_sqlite_path(engine.url), target)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}",
              f"--dbname={_conninfo(engine.url)}"], engine.url)


def restore(engine: Engine, source: Path) -> None:
    """Load a backup made by :func:`backup` on the same backend into an empty database."""
    if not source.is_file():
        raise InvalidInput(f"no backup file at {source}", "file")
    if inspect(engine).get_table_names():
        raise Conflict("the database is not empty; restore only into a new, empty database",
                       "database")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        _check_sqlite_file(source)
        _sqlite_copy(source, _sqlite_path(engine.url))
    else:
        _run(["pg_restore", "--no-owner", "--single-transaction", "--exit-on-error",
              f"--dbname={_conninfo(engine.url)}", str(source)], engine.url)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise InvalidInput("an in-memory SQLite database has nothing to back up", "database")
    return Path(url.database)


def _sqlite_backup(source: Path, target: Path) -> None:
    """The copy, with SQLite's refusal to write ``target`` (no such directory, no right to
    write there, a file there that is no database) said for the operator, not as a
    traceback; SQLite refuses such a file before changing it."""
    try:
        _sqlite_copy(source, target)
    except sqlite3.Error as exc:
        raise BackupFailed(f"cannot write a backup to {target} ({exc}); name a new file, or "
                           "an earlier backup to replace, in a directory that exists",
                           "file") from exc


def _sqlite_copy(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _check_sqlite_file(source: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{source} is not an SQLite backup ({exc})", "file") from exc


def _run(argv: list[str], url: URL) -> None:
    program = argv[0]
    path = shutil.which(program)
    if path is None:
        raise BackupFailed(f"{program} is not installed; install PostgreSQL's client programs "
                           "(Debian: postgresql-client)")
    done = subprocess.run([path, *argv[1:]], env={**os.environ, **_libpq_env(url)},
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupFailed(f"{program} failed: {done.stderr.strip()[-2000:]}")


def _conninfo(url: URL) -> str:
    """The database and the URL's query settings (``sslmode``, ``sslrootcert``, a socket
    directory as ``host``, ``options`` …) as libpq's ``key='value'`` string, so that the
    dump and restore programs connect as the service does. Host, port, user and password go
    by environment (``_libpq_env``): the password never appears on a command line."""
    pairs = {"dbname": url.database or ""}
    for key, value in url.query.items():
        pairs[key] = value if isinstance(value, str) else value[-1]
    return " ".join(f"{key}='{_quoted(value)}'" for key, value in pairs.items())


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _libpq_env(url: URL) -> dict[str, str]:
    pairs = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username,
             "PGPASSWORD": url.password}
    return {key: str(value) for key, value in pairs.items() if value is not None}
