"""Scheduled jobs: expired holds are voided; old idempotency keys are forgotten."""

from datetime import timedelta

from sqlalchemy import select

from fundpool import jobs
from fundpool.audit.log import Actor
from fundpool.auth.sign_in_limit import WINDOW, note_failure
from fundpool.auth.user_models import SignInAddress
from fundpool.db import utcnow
from fundpool.idempotency import IdempotencyKey
from fundpool.ledger import holds
from fundpool.ledger.accounts import get_account
from fundpool.ledger.posting import post_entry, today
from fundpool.ledger.values import Line, NewEntry, Side
from tests.factories import bank, cost, income

STREET = "440304001"


def test_the_sweep_voids_only_expired_holds(db, shenzhen):
    actor = Actor("test")
    with db.transaction() as session:
        post_entry(session, actor, NewEntry("donation", today(), (
            Line(bank(STREET), Side.DEBIT, 1_000), Line(income(STREET), Side.CREDIT, 1_000))))
        leg = [holds.NewLeg(bank(STREET), cost(STREET), 300)]
        soon = holds.create_hold(session, actor, leg, kind="grant",
                                 expires_at=utcnow() + timedelta(seconds=1)).id
        later = holds.create_hold(session, actor, leg, kind="grant",
                                  expires_at=utcnow() + timedelta(days=1)).id
    with db.transaction() as session:
        expired = holds.expire_holds(session, actor, utcnow() + timedelta(minutes=1))
    assert expired == [soon]
    assert jobs.sweep_holds(db) == []
    with db.sessions() as session:
        assert get_account(session, bank(STREET)).pending == 300
        assert holds.get_hold(session, later).status == "pending"


def test_old_idempotency_keys_are_forgotten(db, shenzhen):
    with db.transaction() as session:
        session.add_all([
            IdempotencyKey(token_id=1, key="old", fingerprint="x", status_code=201, body="{}",
                           created_at=utcnow() - timedelta(hours=25)),
            IdempotencyKey(token_id=1, key="new", fingerprint="x", status_code=201, body="{}")])
    assert jobs.forget_idempotency_keys(db, 24) == 1
    with db.sessions() as session:
        assert session.scalars(select(IdempotencyKey.key)).all() == ["new"]


def test_sign_in_counts_whose_window_ended_are_forgotten(db):
    with db.transaction() as session:
        note_failure(session, "198.51.100.7", utcnow() - WINDOW - timedelta(seconds=1))
        note_failure(session, "198.51.100.8")
    assert jobs.forget_sign_in_failures(db) == 1
    with db.sessions() as session:
        assert session.scalars(select(SignInAddress.address)).all() == ["198.51.100.8"]


def test_the_schedule_has_its_four_jobs(db, app):
    scheduler = jobs.build_scheduler(db, app.config["FUNDPOOL"])
    assert sorted(job.id for job in scheduler.get_jobs()) == [
        "forget_idempotency_keys", "forget_sign_in_failures", "matching", "sweep_holds"]


def _hold_the_lock(url, job, acquired, release):
    """In another process: take the job's lock, say so, keep it until told to let go."""
    from fundpool.db import Database, make_engine
    from fundpool.job_lock import exclusive
    database = Database(make_engine(url))
    with exclusive(database, job) as held:
        acquired.put(held)
        release.wait(timeout=60)
    database.engine.dispose()


def test_a_job_running_in_another_process_is_not_run_again_at_once(db, database_url):
    import multiprocessing

    from fundpool.job_lock import run_alone
    context = multiprocessing.get_context("spawn")
    acquired, release = context.Queue(), context.Event()
    other = context.Process(target=_hold_the_lock,
                            args=(database_url, "sweep_holds", acquired, release))
    other.start()
    try:
        assert acquired.get(timeout=60) is True
        assert run_alone(db, "sweep_holds", jobs.sweep_holds) is None
    finally:
        release.set()
        other.join(timeout=60)
    assert run_alone(db, "sweep_holds", jobs.sweep_holds) == []


def test_the_scheduler_runs_every_job_alone_and_coalesces_missed_runs(db):
    scheduler = jobs.build_scheduler(db, {"hold_sweep_seconds": 60, "idempotency_key_hours": 24,
                                          "matching_cron": "0 2 * * *"})
    for job in scheduler.get_jobs():
        assert job.func.__name__ == "run_alone"
        assert job.coalesce and job.max_instances == 1
    assert str(scheduler.get_job("matching").trigger.timezone) == "Asia/Shanghai"


def test_a_bad_matching_schedule_stops_the_scheduler_with_a_message(db):
    import pytest

    from fundpool.settings import ConfigError
    with pytest.raises(ConfigError, match="matching_cron 'at two' is not a crontab"):
        jobs.build_scheduler(db, {"hold_sweep_seconds": 60, "idempotency_key_hours": 24,
                                  "matching_cron": "at two"})


def test_a_scheduled_run_cut_off_by_a_crash_is_marked_failed_by_the_next_one(db, shenzhen):
    """A scheduler killed while it solves leaves its run 'running' (the reliability workload
    kills it so); the next scheduled matching, holding the job's lock, marks it failed."""
    from fundpool.matching.run_models import MatchingRun
    with db.transaction() as session:
        cut_off = MatchingRun(trigger="schedule", triggered_by="scheduler")
        asked = MatchingRun(trigger="person", triggered_by="someone", status="done")
        session.add_all([cut_off, asked])
        session.flush()
        cut_off_id, asked_id = cut_off.id, asked.id
    new_id = jobs.match_on_schedule(db)
    with db.sessions() as session:
        cut_off = session.get(MatchingRun, cut_off_id)
        assert (cut_off.status, cut_off.finished_at is not None) == ("failed", True)
        assert "interrupted" in cut_off.message
        assert session.get(MatchingRun, asked_id).status == "done"
        assert session.get(MatchingRun, new_id).status == "done"


def test_the_matching_schedule_counts_weekdays_as_crontab_does():
    """crontab counts 0 and 7 as Sunday; APScheduler 3's own numbers start at Monday. A
    weekly run set for Sunday ('0 2 * * 0') must not run on Monday, nor weekdays ('1-5')
    from Tuesday to Saturday."""
    import datetime as dt
    from zoneinfo import ZoneInfo
    shanghai = ZoneInfo("Asia/Shanghai")
    saturday = dt.datetime(2026, 11, 28, 3, 0, tzinfo=shanghai)

    def next_day(cron: str) -> str:
        fire = jobs.matching_trigger(cron).get_next_fire_time(None, saturday)
        return f"{fire:%a %H:%M}"
    assert next_day("0 2 * * 0") == "Sun 02:00"
    assert next_day("0 2 * * 7") == "Sun 02:00"
    assert next_day("0 2 * * 1-5") == "Mon 02:00"
    assert next_day("0 2 * * 6") == "Sat 02:00"  # the next one, a week on
    assert next_day("30 1 * * mon,wed") == "Mon 01:30"
    assert next_day("0 2 * * 5-7") == "Sun 02:00"
    assert next_day("0 2 * * */2") == "Sun 02:00"  # Sunday, Tuesday, Thursday, Saturday
    assert next_day("0 2 * * *") == "Sun 02:00"


def test_the_scheduled_run_first_expires_proposals_whose_end_date_has_passed(db, shenzhen):
    """A proposal left in the reserve past its end date (accepted before it ended) expires
    when the nightly matching starts, so the reserve does not keep it for ever."""
    from fundpool.matching import proposals
    from fundpool.matching.models import Proposal
    ended = today() - timedelta(days=1)
    with db.transaction() as session:
        proposal = proposals.create_proposal(session, Actor("test"), proposals.NewProposal(
            organisation="福田区社工服务中心", title="长者暑期活动",
            categories=("elderly_in_difficulty",), area_codes=("440304001001",),
            budget=50_000_00, capacity=30, start_date=ended - timedelta(days=59), end_date=ended))
        proposal.status = "in_reserve"
        proposal_id = proposal.id
    jobs.match_on_schedule(db)
    with db.sessions() as session:
        assert session.get(Proposal, proposal_id).status == "expired"


def _scheduled_run(db, started_at, status="done", message=None) -> None:
    from fundpool.matching.run_models import MatchingRun
    with db.transaction() as session:
        session.add(MatchingRun(trigger="schedule", triggered_by="scheduler", status=status,
                                started_at=started_at, message=message))


def _shanghai(day, hour, minute=0):
    """A moment of November 2026 on the schedule's clock, in UTC as the database keeps it."""
    from datetime import datetime, timezone

    from fundpool.ledger.posting import LEDGER_TZ
    return datetime(2026, 11, day, hour, minute, tzinfo=LEDGER_TZ).astimezone(timezone.utc)


def test_a_nightly_run_missed_while_the_scheduler_was_down_runs_once_at_start(db):
    """Last night's 02:00 run fell while no scheduler ran: started at 03:00, the scheduler
    runs matching at once (one run, however many nights were missed). Started before 02:00,
    or after tonight's run finished, it waits for the schedule."""
    from datetime import datetime, timezone

    from fundpool.ledger.posting import LEDGER_TZ
    trigger = jobs.matching_trigger("0 2 * * *")

    def at(day, hour):
        return datetime(2026, 11, day, hour, tzinfo=LEDGER_TZ).astimezone(timezone.utc)

    assert not jobs.matching_missed(db, trigger, now=at(28, 3))  # never ran: first night
    _scheduled_run(db, at(25, 2))
    assert jobs.matching_missed(db, trigger, now=at(28, 3))  # three nights missed: once
    _scheduled_run(db, at(27, 2))
    assert not jobs.matching_missed(db, trigger, now=at(28, 1))
    assert jobs.matching_missed(db, trigger, now=at(28, 3))
    _scheduled_run(db, at(28, 2), status="running")  # killed during tonight's run
    assert jobs.matching_missed(db, trigger, now=at(28, 3))
    _scheduled_run(db, at(28, 2))
    assert not jobs.matching_missed(db, trigger, now=at(28, 3))


def test_a_scheduler_started_after_a_missed_night_runs_matching_at_once(db):
    _scheduled_run(db, _shanghai(25, 2))
    started = _shanghai(28, 3)
    scheduler = jobs.build_scheduler(db, {"hold_sweep_seconds": 60, "idempotency_key_hours": 24,
                                          "matching_cron": "0 2 * * *"}, background=True,
                                     now=started)
    scheduler.start(paused=True)
    try:
        assert scheduler.get_job("matching").next_run_time == started
    finally:
        scheduler.shutdown(wait=False)


def test_a_scheduler_started_after_tonights_run_keeps_the_schedule(db):
    _scheduled_run(db, jobs.utcnow())
    scheduler = jobs.build_scheduler(db, {"hold_sweep_seconds": 60, "idempotency_key_hours": 24,
                                          "matching_cron": "0 2 * * *"}, background=True)
    scheduler.start(paused=True)
    try:
        assert scheduler.get_job("matching").next_run_time > jobs.utcnow()
    finally:
        scheduler.shutdown(wait=False)


def test_a_scheduled_run_that_failed_is_not_run_again_at_every_start(db):
    """A nightly run the engine failed on had its night: restarting the scheduler must not
    run it again at once, or each restart (a crash loop, a deploy) re-runs a failing job."""
    trigger = jobs.matching_trigger("0 2 * * *")
    _scheduled_run(db, _shanghai(27, 2))
    _scheduled_run(db, _shanghai(28, 2), status="failed", message="the engine gave up")
    assert not jobs.matching_missed(db, trigger, now=_shanghai(28, 3))
    assert jobs.matching_missed(db, trigger, now=_shanghai(29, 3))  # tomorrow's was missed


def test_a_run_cut_off_twice_is_still_caught_up(db):
    """A run killed mid-way stays 'running'; the catch-up at the next start marks it failed
    (interrupted) before it runs. If that catch-up is killed too, the interrupted run must
    not count as the night's run: the next start catches up again. Even the first night's
    run, killed, is caught up: the schedule had begun."""
    from fundpool.matching import runs
    trigger = jobs.matching_trigger("0 2 * * *")
    _scheduled_run(db, _shanghai(28, 2), status="running")  # the first night's, killed
    assert jobs.matching_missed(db, trigger, now=_shanghai(28, 3))
    with db.transaction() as session:
        runs.fail_interrupted(session)  # what the catch-up does first
    _scheduled_run(db, _shanghai(28, 3), status="running")  # the catch-up, killed too
    assert jobs.matching_missed(db, trigger, now=_shanghai(28, 4))
    _scheduled_run(db, _shanghai(28, 4))
    assert not jobs.matching_missed(db, trigger, now=_shanghai(28, 5))


def test_a_catch_up_close_to_the_matching_time_leaves_it_to_that_run(db):
    """Started at 01:30 after a missed night, the scheduler would catch up at once and run
    again at 02:00: two runs in a row, the second superseding the first's proposals while
    people may be reading them. The 02:00 run does the catching up. Started further from the
    next matching time, the catch-up runs at once as before."""
    from datetime import timezone
    settings = {"hold_sweep_seconds": 60, "idempotency_key_hours": 24,
                "matching_cron": "0 2 * * *"}
    _scheduled_run(db, _shanghai(26, 2))  # the 27th's run was missed

    def first_run(now):
        job = jobs.build_scheduler(db, settings, background=True, now=now).get_job("matching")
        return job.next_run_time.astimezone(timezone.utc)
    assert first_run(_shanghai(28, 1, 30)) == _shanghai(28, 2)
    assert first_run(_shanghai(28, 1, 1)) == _shanghai(28, 2)
    assert first_run(_shanghai(28, 0, 59)) == _shanghai(28, 0, 59)
    assert first_run(_shanghai(27, 3)) == _shanghai(27, 3)
    _scheduled_run(db, _shanghai(28, 2))
    assert first_run(_shanghai(28, 3)) == _shanghai(29, 2)  # nothing missed


def test_day_of_month_and_weekday_both_set_mean_either_as_in_crontab():
    """crontab runs '0 2 1 * 1' on the 1st of each month and on every Monday; APScheduler's
    cron trigger alone would run it only on Mondays that are the 1st (February 2027 here).
    A field starting with '*' (such as '*/2') leaves the other to decide, as in crontab."""
    from zoneinfo import ZoneInfo
    saturday = _shanghai(28, 3).astimezone(ZoneInfo("Asia/Shanghai"))

    def next_days(cron: str, count: int = 3) -> list[str]:
        trigger, fire, days = jobs.matching_trigger(cron), None, []
        for _ in range(count):
            fire = trigger.get_next_fire_time(fire, fire or saturday)
            days.append(f"{fire:%a %d %b %H:%M}")
        return days
    assert next_days("0 2 1 * 1") == ["Mon 30 Nov 02:00", "Tue 01 Dec 02:00", "Mon 07 Dec 02:00"]
    assert next_days("0 2 1,15 * sat,sun") == ["Sun 29 Nov 02:00", "Tue 01 Dec 02:00",
                                               "Sat 05 Dec 02:00"]
    assert next_days("0 2 */2 * 1") == ["Mon 07 Dec 02:00", "Mon 21 Dec 02:00",
                                        "Mon 11 Jan 02:00"]  # odd days that are Mondays
    assert next_days("0 2 1 * *", 2) == ["Tue 01 Dec 02:00", "Fri 01 Jan 02:00"]


def test_a_missed_first_of_the_month_is_caught_up_with_a_weekly_schedule(db):
    """The catch-up reads the schedule as the scheduler does: with '0 2 1 * 1', Tuesday the
    1st was a matching time, though not a Monday."""
    trigger = jobs.matching_trigger("0 2 1 * 1")
    _scheduled_run(db, _shanghai(30, 2))  # Monday 30 November
    assert not jobs.matching_missed(db, trigger, now=_shanghai(30, 23))
    tuesday_the_1st = _shanghai(30, 23) + timedelta(hours=4)  # 1 December, 03:00
    assert jobs.matching_missed(db, trigger, now=tuesday_the_1st)
    scheduler = jobs.build_scheduler(db, {"hold_sweep_seconds": 60, "idempotency_key_hours": 24,
                                          "matching_cron": "0 2 1 * 1"}, background=True,
                                     now=tuesday_the_1st)
    assert scheduler.get_job("matching").next_run_time == tuesday_the_1st
