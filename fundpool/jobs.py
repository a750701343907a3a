"""Scheduled jobs, run by ``fundpool scheduler`` in its own process (APScheduler).

Each job is a plain function over the database, so the CLI and tests call the
same code the schedule runs.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.blocking import BlockingScheduler

from fundpool.audit.log import Actor
from fundpool.db import Database, utcnow
from fundpool.idempotency import purge_keys
from fundpool.job_lock import run_alone
from fundpool.ledger.holds import expire_holds

log = logging.getLogger("fundpool.jobs")
SCHEDULER = Actor("scheduler")


def sweep_holds(database: Database) -> list[int]:
    """Void every hold past its expiry; returns their ids."""
    with database.transaction() as session:
        expired = expire_holds(session, SCHEDULER)
    if expired:
        log.info("expired holds voided", extra={"fields": {"holds": expired}})
    return expired


def forget_idempotency_keys(database: Database, keep_hours: int) -> int:
    with database.transaction() as session:
        return purge_keys(session, utcnow(), keep_hours)


def build_scheduler(database: Database, settings: dict) -> BlockingScheduler:
    """Every job runs alone across processes (job_lock) and missed runs coalesce."""
    scheduler = BlockingScheduler(timezone="Asia/Shanghai")
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(run_alone, "interval", seconds=settings["hold_sweep_seconds"],
                      args=[database, "sweep_holds", sweep_holds], id="sweep_holds", **common)
    scheduler.add_job(run_alone, "interval", hours=1,
                      args=[database, "forget_idempotency_keys", forget_idempotency_keys,
                            settings["idempotency_key_hours"]],
                      id="forget_idempotency_keys", **common)
    return scheduler
