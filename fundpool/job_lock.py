"""One run of a scheduled job at a time, however many schedulers were started.

Two ``fundpool scheduler`` processes started by mistake must never run the same
job at once. Each run first takes the job's lock without waiting: on PostgreSQL a
session-level advisory lock on a connection kept for the run, on SQLite an
exclusive ``flock`` on a file beside the database. A run that finds the lock taken
is skipped (the other process is doing the work). Both locks die with their
process, so a killed scheduler never leaves a job locked.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from fundpool.db import Database

log = logging.getLogger("fundpool.jobs")


@contextmanager
def exclusive(database: Database, job: str) -> Iterator[bool]:
    """Yield True if this process holds the job's lock for the block, else False."""
    if database.is_postgres:
        with _advisory(database, job) as held:
            yield held
    else:
        with _file_lock(database, job) as held:
            yield held


@contextmanager
def _advisory(database: Database, job: str) -> Iterator[bool]:
    key = f"fundpool.job:{job}"
    with database.engine.connect() as connection:
        held = connection.execute(text("SELECT pg_try_advisory_lock(hashtext(:key))"),
                                  {"key": key}).scalar()
        connection.commit()
        try:
            yield bool(held)
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"),
                                   {"key": key})
                connection.commit()


@contextmanager
def _file_lock(database: Database, job: str) -> Iterator[bool]:
    name = database.engine.url.database
    folder = Path(name).parent if name and name != ":memory:" else Path(".")
    path = folder / f".fundpool-job-{job}.lock"
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_alone(database: Database, job: str, work, *args):
    """Run ``work(database, *args)`` under the job's lock; None if another process has it."""
    with exclusive(database, job) as held:
        if not held:
            log.info("job already running elsewhere; skipped", extra={"fields": {"job": job}})
            return None
        return work(database, *args)
