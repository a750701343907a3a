"""Scheduled jobs, run by ``fundpool scheduler`` in its own process (APScheduler).

Each job is a plain function over the database, so the CLI and tests call the
same code the schedule runs.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from fundpool.audit.log import Actor
from fundpool.auth.sign_in_limit import forget_ended_windows
from fundpool.db import Database, utcnow
from fundpool.idempotency import purge_keys
from fundpool.job_lock import run_alone
from fundpool.ledger.holds import expire_holds
from fundpool.settings import ConfigError

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


def forget_sign_in_failures(database: Database) -> int:
    """Drop per-address sign-in counts whose window has ended."""
    with database.transaction() as session:
        return forget_ended_windows(session)


def match_on_schedule(database: Database) -> int:
    """Mark runs a killed scheduler left behind failed, let lapsed grants go (their holds
    expired) and ended proposals expire, then run matching; the run's id. Runs under the
    matching job's lock."""
    from fundpool.matching import approval, proposals, runs  # the engine loads scipy
    with database.transaction() as session:
        interrupted = runs.fail_interrupted(session)
        lapsed = approval.lapse_expired(session, SCHEDULER)
        ended = proposals.expire_ended(session, SCHEDULER)
    if interrupted:
        log.warning("matching runs cut off by a stopped scheduler marked failed",
                    extra={"fields": {"runs": interrupted}})
    if lapsed:
        log.info("lapsed grants released", extra={"fields": {"matches": lapsed}})
    if ended:
        log.info("ended proposals expired", extra={"fields": {"proposals": ended}})
    return runs.run_matching(database, SCHEDULER)


CRONTAB_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab's 0 to 6


def matching_trigger(cron: str) -> BaseTrigger:
    """The crontab schedule, read as crontab reads it. APScheduler 3's ``from_crontab``
    takes a weekday number as its own (0 is Monday), not crontab's (0 and 7 are Sunday):
    '0 2 * * 0' would run on Mondays. So the weekday field is given to it as names. And where
    crontab runs on a day matching *either* day field when both are restricted (neither
    starts with '*'), APScheduler wants both: such a schedule is two triggers, either firing."""
    try:
        fields = cron.split()
        if len(fields) != 5:
            raise ValueError(f"Wrong number of fields; got {len(fields)}, expected 5")
        minute, hour, day, month, weekday = fields
        weekdays = _crontab_weekdays(weekday)
        if day.startswith("*") or weekday.startswith("*"):
            return _cron(minute, hour, day, month, weekdays)
        return OrTrigger([_cron(minute, hour, day, month, "*"),
                          _cron(minute, hour, "*", month, weekdays)])
    except ValueError as exc:
        raise ConfigError(f"matching_cron {cron!r} is not a crontab schedule such as "
                          f"'0 2 * * *': {exc}") from None


def _cron(minute: str, hour: str, day: str, month: str, weekdays: str) -> CronTrigger:
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekdays,
                       timezone="Asia/Shanghai")


def _crontab_weekdays(field: str) -> str:
    """crontab's weekday field (``*``, ``1-5``, ``0,6``, ``*/2``, ``mon-fri``; 0 and 7 are
    Sunday) as the list of day names it means, which APScheduler reads the same way."""
    days: set[int] = set()
    for item in field.lower().split(","):
        span, slash, step = item.partition("/")
        every = int(step) if slash else 1
        if every < 1:
            raise ValueError(f"weekday step {step!r} is not above 0")
        if span == "*":
            first, last = 0, 6
        else:
            low, dash, high = span.partition("-")
            first = _crontab_weekday(low)
            last = _crontab_weekday(high) if dash else (7 if slash else first)
            if last < first:
                raise ValueError(f"weekday range {span!r} runs backwards")
        days.update(number % 7 for number in range(first, last + 1, every))
    if len(days) == 7:
        return "*"
    return ",".join(CRONTAB_WEEKDAYS[number] for number in sorted(days))


def _crontab_weekday(token: str) -> int:
    if token in CRONTAB_WEEKDAYS:
        return CRONTAB_WEEKDAYS.index(token)
    if token.isdigit() and int(token) <= 7:
        return int(token)
    raise ValueError(f"{token!r} is not a weekday (0-7, 0 and 7 being Sunday, or sun-sat)")


def matching_missed(database: Database, trigger: BaseTrigger,
                    now: datetime | None = None) -> bool:
    """Whether a scheduled matching time has passed since the last scheduled run that had
    its go began (``runs.last_scheduled_start``: done, or failed by the engine): the
    scheduler was down then, or was killed during the run (APScheduler keeps its jobs in
    memory, so it cannot know by itself). A run the engine failed on is not run again: each
    restart would re-run a failing job. A database whose schedule never started a run has
    missed none: its first night is the schedule's; one whose only runs were cut off has."""
    from fundpool.matching import runs
    with database.sessions() as session:
        last = runs.last_scheduled_start(session)
        if last is None:
            return runs.any_scheduled_run(session)
    due = trigger.get_next_fire_time(None, last + timedelta(seconds=1))
    return due is not None and due <= (now or utcnow())


#: A catch-up at start is left to the next matching time when that is nearer than this, so
#: matching does not run twice in a row (the second run superseding the first's proposals).
CATCH_UP_MARGIN = timedelta(hours=1)


def first_matching_time(database: Database, trigger: BaseTrigger,
                        now: datetime | None = None) -> datetime | None:
    """When the matching job first runs after a start: at once if a matching time was missed
    (``matching_missed``), unless the next one is less than ``CATCH_UP_MARGIN`` away — then
    that run catches up, rather than one ending just before it (or still under way: APScheduler
    would skip it) — else at the schedule's next time."""
    now = now or utcnow()
    upcoming = trigger.get_next_fire_time(None, now)
    near = upcoming is not None and upcoming - now < CATCH_UP_MARGIN
    return now if matching_missed(database, trigger, now) and not near else upcoming


def build_scheduler(database: Database, settings: dict, background: bool = False,
                    now: datetime | None = None) -> BaseScheduler:
    """Every job runs alone across processes (job_lock) and missed runs coalesce: while
    the scheduler runs, APScheduler's ``coalesce``; across a stop, the matching job runs at
    once on start when its time passed meanwhile (``first_matching_time``) — once, however
    many nights were missed. ``background``: in a thread of the calling process (the demo's);
    ``now``: the time of the start (tests set it)."""
    kind = BackgroundScheduler if background else BlockingScheduler
    scheduler = kind(timezone="Asia/Shanghai")
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(run_alone, "interval", seconds=settings["hold_sweep_seconds"],
                      args=[database, "sweep_holds", sweep_holds], id="sweep_holds", **common)
    scheduler.add_job(run_alone, "interval", hours=1,
                      args=[database, "forget_idempotency_keys", forget_idempotency_keys,
                            settings["idempotency_key_hours"]],
                      id="forget_idempotency_keys", **common)
    scheduler.add_job(run_alone, "interval", hours=1,
                      args=[database, "forget_sign_in_failures", forget_sign_in_failures],
                      id="forget_sign_in_failures", **common)
    trigger = matching_trigger(settings["matching_cron"])
    scheduler.add_job(run_alone, trigger, args=[database, "matching", match_on_schedule],
                      id="matching", next_run_time=first_matching_time(database, trigger, now),
                      **common)
    return scheduler
