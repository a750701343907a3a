"""Running an import as a job whose progress anyone allowed can watch.

The job row is updated in short transactions of its own as the import goes
(rows checked, rows recorded), and holds the report at the end: every rejected
row with its line and reason, every duplicate (up to the importer's REPORT_LIMIT of each).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import update

from fundpool.audit.log import Actor
from fundpool.db import Database, utcnow
from fundpool.donations.importer import Settings, import_donations
from fundpool.donations.models import ImportJob
from fundpool.errors import FundpoolError

log = logging.getLogger("fundpool.imports")


def run_job(db: Database, actor: Actor, job_id: int, path: Path, settings: Settings) -> None:
    """Run the import as job ``job_id``, then delete the uploaded file: it holds personal
    data (donors' or residents' names) the report no longer needs. Never raises."""
    try:
        _run_job(db, actor, job_id, path, settings)
    finally:
        path.unlink(missing_ok=True)


def _run_job(db: Database, actor: Actor, job_id: int, path: Path, settings: Settings) -> None:
    """Run the import; never raises (a failure is recorded on the job).

    The import is one transaction. On PostgreSQL the job row shows its progress as it
    goes; SQLite has a single writer, which the import holds, so there the job shows
    ``checking`` until the report is in."""
    _set(db, job_id, status="checking")

    def progress(done: int, total: int) -> None:
        if db.is_postgres:
            _set(db, job_id, status="importing", rows_done=done, rows_total=total)
    try:
        report = import_donations(db, actor, path, settings, progress)
    except FundpoolError as exc:
        _set(db, job_id, status="failed", message=exc.message[:500], finished_at=utcnow())
        return
    except Exception:  # noqa: BLE001 - the job must end in a state, whatever happened
        log.exception("import %s failed", job_id)
        _set(db, job_id, status="failed", message="unexpected error; see the service log",
             finished_at=utcnow())
        return
    _set(db, job_id, status="stopped" if report.stopped else "done", message=report.stopped,
         rows_total=report.rows, rows_done=report.rows, imported=report.imported,
         duplicates=report.duplicate_count, rejected=report.rejected_count,
         finished_at=utcnow(), report={
             "rejected": [{"line": line, "reason": reason}
                          for line, reason in report.rejected],
             "duplicates": [{"line": line, "reason": reason}
                            for line, reason in report.duplicates],
             "total": {currency: minor for currency, minor in report.total.items()}})


def _set(db: Database, job_id: int, **values) -> None:
    with db.transaction() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
