"""A donations file imported as a job (``fundpool.import_jobs`` runs it)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy.orm import Session

from fundpool import import_jobs
from fundpool.audit.log import Actor
from fundpool.auth.principal import Principal
from fundpool.db import Database
from fundpool.donations.importer import Settings, import_donations
from fundpool.donations.models import ImportJob
from fundpool.errors import Forbidden, NotFound


def run_job(db: Database, actor: Actor, job_id: int, path: Path, settings: Settings) -> None:
    """Import ``path`` as job ``job_id``; never raises.

    The import is one transaction. On PostgreSQL the job row shows its progress as it
    goes; SQLite has a single writer, which the import holds, so there the job shows
    ``checking`` until the report is in."""
    def work(job: import_jobs.Update) -> dict:
        def progress(done: int, total: int) -> None:
            if db.is_postgres:
                job(status="importing", rows_done=done, rows_total=total)
        report = import_donations(db, actor, path, settings, progress)
        return import_jobs.outcome(report, total=dict(report.total))
    import_jobs.run(db, ImportJob, job_id, path, work)


def settings_for(viewer: Principal, channel: str, strict: bool = False,
                 expected_rows: int | None = None, expected_total: int | None = None) -> Settings:
    """An import's settings as ``viewer`` uploads it: only funds in the uploader's subtree
    may receive its rows (the others are rejected in the report)."""
    return Settings(channel=channel, strict=strict, expected_rows=expected_rows,
                    expected_total=expected_total,
                    may_write=lambda fund: viewer.covers(fund.pool.code))


def queue_job(session: Session, viewer: Principal, file_name: str,
              settings: Settings) -> ImportJob:
    """The job row of an upload, ``queued``; the caller commits it before starting it."""
    job = ImportJob(file_name=file_name, channel=settings.channel, strict=settings.strict,
                    created_by=viewer.actor.name, token_id=viewer.token_id)
    session.add(job)
    session.flush()
    return job


def start_job(db: Database, viewer: Principal, job_id: int, path: Path,
              settings: Settings) -> threading.Thread:
    """Run the job in a background thread (returned, so tests and shutdown can join it)."""
    worker = threading.Thread(target=run_job, args=(db, viewer.actor, job_id, path, settings),
                              daemon=True)
    worker.start()
    return worker


def readable_job(session: Session, viewer: Principal, job_id: int) -> ImportJob:
    """A job its uploader (the same token or identity), an auditor or the city's
    administrators may watch; others are refused."""
    job = session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"there is no import {job_id}", "job_id")
    if viewer.role != "auditor" and not viewer.is_root_admin and job.token_id != viewer.token_id:
        raise Forbidden("this import was started by another token")
    return job
