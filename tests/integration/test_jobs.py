"""Scheduled jobs: expired holds are voided; old idempotency keys are forgotten."""

from datetime import timedelta

from sqlalchemy import select

from fundpool import jobs
from fundpool.audit.log import Actor
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


def test_the_schedule_has_both_jobs(db, app):
    scheduler = jobs.build_scheduler(db, app.config["FUNDPOOL"])
    assert sorted(job.id for job in scheduler.get_jobs()) == ["forget_idempotency_keys",
                                                             "sweep_holds"]
