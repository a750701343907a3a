"""Running a file import as a job whose progress anyone allowed can watch.

Donations files and needs surveys are imported the same way: the job row is updated in
short transactions of its own as the import goes, ends ``done``, ``stopped`` or
``failed`` with its report (every rejected row with its line and reason, every
duplicate, up to the importer's limit), and the uploaded file is deleted at the end —
it holds personal data (donors' or residents' names) the report no longer needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import update

from fundpool.db import Database, utcnow
from fundpool.errors import FundpoolError

log = logging.getLogger("fundpool.imports")
Update = Callable[..., None]


def run(db: Database, model: type, job_id: int, path: Path,
        work: Callable[[Update], dict[str, Any]]) -> None:
    """``work(update)`` imports, calling ``update(**columns)`` to show progress, and returns
    the job's final columns (see ``outcome``). Never raises: a failure is kept on the job."""
    def job(**values) -> None:
        save(db, model, job_id, **values)
    job(status="checking")
    try:
        final = work(job)
    except FundpoolError as exc:
        job(status="failed", message=exc.message[:500], finished_at=utcnow())
    except Exception:  # noqa: BLE001 - the job must end in a state, whatever happened
        log.exception("import job %s (%s) failed", job_id, model.__tablename__)
        job(status="failed", message="unexpected error; see the service log",
            finished_at=utcnow())
    else:
        job(finished_at=utcnow(), **final)
    finally:
        path.unlink(missing_ok=True)


def save(db: Database, model: type, job_id: int, **values) -> None:
    """Update the job row in a short transaction of its own, so watchers see it at once."""
    with db.transaction() as session:
        session.execute(update(model).where(model.id == job_id).values(**values))


def outcome(report, **extra) -> dict[str, Any]:
    """A finished report as the job's columns; ``extra`` goes into the report body."""
    return {"status": "stopped" if report.stopped else "done", "message": report.stopped,
            "rows_total": report.rows, "rows_done": report.rows, "imported": report.imported,
            "duplicates": report.duplicate_count, "rejected": report.rejected_count,
            "report": {"rejected": [{"line": line, "reason": reason}
                                    for line, reason in report.rejected],
                       "duplicates": [{"line": line, "reason": reason}
                                      for line, reason in report.duplicates], **extra}}
