"""Backup and restore: a backup restored into an empty database verifies and has every
balance, entry and audit event of the original, and its books go on from there."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from fundpool import backup, demo, migrate
from fundpool.audit.log import Actor
from fundpool.db import Database, make_engine
from fundpool.errors import Conflict
from fundpool.funds.allocation import allocate
from fundpool.funds.service import get_fund
from fundpool.ledger.models import Account
from fundpool.ledger.posting import today
from fundpool.ledger.verify import verify
from fundpool.matching.runs import run_now

ACTOR = Actor("backup-test")


def _books(engine):
    """What an auditor compares: every account's balances, every entry's hash, the log."""
    with engine.connect() as conn:
        return {
            "accounts": conn.execute(text(
                "SELECT code, balance, pending, last_seq FROM accounts ORDER BY code")).all(),
            "entries": conn.execute(text("SELECT id, entry_hash FROM entries ORDER BY id")).all(),
            "audit": conn.execute(text("SELECT count(*) FROM audit_events")).scalar(),
            "receipts": conn.execute(text(
                "SELECT number FROM receipts ORDER BY number")).scalars().all(),
        }


@pytest.fixture
def books(db):
    """The demo's Shenzhen with its money, needs, proposals and a matching run."""
    with db.transaction() as session:
        demo.load(session, ACTOR)
        demo.load_money(session, ACTOR)
        demo.load_reserve(session, ACTOR)
    with db.transaction() as session:
        run_now(session, ACTOR)
    return db


def test_a_restored_backup_verifies_with_every_balance_and_goes_on(books, empty_database,
                                                                   tmp_path):
    before = _books(books.engine)
    assert before["receipts"] and len(before["entries"]) > 5
    file = tmp_path / "fundpool.backup"
    backup.backup(books.engine, file)

    restored = Database(make_engine(empty_database()))
    try:
        backup.restore(restored.engine, file)
        assert migrate.current(restored.engine) == migrate.head()
        with restored.sessions() as session:
            assert verify(session).ok
        assert _books(restored.engine) == before
        with restored.transaction() as session:  # identities continue after the restored rows
            allocate(session, ACTOR, get_fund(session, "440304"), get_fund(session, "440304001"),
                     1_000_00, "CNY", today() - timedelta(days=1), "恢复后拨付")
        with restored.sessions() as session:
            assert verify(session).ok
            street = session.scalar(select(Account).where(Account.code == "440304001:1002:CNY"))
            old = {code: balance for code, balance, *_ in before["accounts"]}
            assert street.balance == old["440304001:1002:CNY"] + 1_000_00
    finally:
        restored.engine.dispose()


def test_a_restore_never_overwrites_books_that_exist(db, shenzhen, tmp_path):
    file = tmp_path / "fundpool.backup"
    backup.backup(db.engine, file)
    before = _books(db.engine)
    with pytest.raises(Conflict, match="not empty"):
        backup.restore(db.engine, file)
    assert _books(db.engine) == before


@pytest.mark.postgres
def test_the_dump_and_restore_programs_connect_with_the_urls_settings(db, database_url, tmp_path):
    """Settings in the database URL's query (sslmode, a socket directory, …) reach pg_dump
    and pg_restore as they reach the service. Asking for a read-only session of this
    read-write server shows they do: the dump is refused for it, not taken regardless."""
    from sqlalchemy.engine import make_url
    url = make_url(database_url).update_query_dict({"target_session_attrs": "read-only"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(backup.BackupFailed, match="session is not read-only"):
            backup.backup(engine, tmp_path / "fundpool.backup")
    finally:
        engine.dispose()
