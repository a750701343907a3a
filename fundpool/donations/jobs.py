"""A donations file imported as a job (``fundpool.import_jobs`` runs it)."""

from __future__ import annotations

from pathlib import Path

from fundpool import import_jobs
from fundpool.audit.log import Actor
from fundpool.db import Database
from fundpool.donations.importer import Settings, import_donations
from fundpool.donations.models import ImportJob


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
