"""Tamper evidence: rows changed, deleted or inserted with SQL are found and named."""

import sqlite3
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor
from fundpool.ledger import hashing
from fundpool.ledger.balances import balance_as_of
from fundpool.ledger.models import Account, Entry, Posting
from fundpool.ledger.posting import post_entry, today
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.ledger.verify import take_checkpoint, verify
from tests.factories import bank, cost, income

STREET = "440304001"


@pytest.fixture
def history(db, shenzhen):
    """Five entries: three donations and two grants; returns their ids."""
    ids = []
    for amount, kind in ((10_000, "donation"), (20_000, "donation"), (5_000, "grant"),
                         (7_000, "donation"), (3_000, "grant")):
        lines = ((bank(STREET), Side.DEBIT, amount), (income(STREET), Side.CREDIT, amount)) \
            if kind == "donation" else \
            ((cost(STREET), Side.DEBIT, amount), (bank(STREET), Side.CREDIT, amount))
        with db.transaction() as session:
            ids.append(post_entry(session, Actor("test"), NewEntry(
                kind, today(), tuple(Line(*line) for line in lines))).id)
    return ids


@contextmanager
def guard_lifted(db):
    """What someone with database rights can do: write with the append-only guard off
    (for this connection only on PostgreSQL; this test's own file on SQLite)."""
    with db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for table in ("entries", "postings"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
        yield conn


def behind_the_back(db, *statements):
    with guard_lifted(db) as conn:
        for statement in statements:
            conn.execute(text(statement))


def report(db, checkpoint=None):
    with db.sessions() as session:
        return verify(session, checkpoint)


def test_an_untouched_ledger_verifies(db, history):
    result = report(db)
    assert result.ok
    assert (result.entries, result.postings) == (5, 10)


def test_the_service_cannot_edit_posted_rows(db, history):
    with pytest.raises(Exception, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE postings SET amount = 1"))


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["postings", "entries", "audit_events"])
def test_the_append_only_tables_cannot_be_truncated(db, history, table):
    """TRUNCATE skips PostgreSQL's row triggers; the append-only tables refuse it too, so a
    history cannot be emptied in one statement by anyone short of the replica role."""
    with pytest.raises(Exception, match="append-only: it is never truncated"):
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {table} CASCADE"))
    assert report(db).ok


@pytest.mark.postgres
def test_the_tests_can_still_empty_the_tables_without_the_replica_role(db, history):
    """A server user not allowed the replica role empties the tables after each test with
    TRUNCATE (tests/conftest.py): the append-only tables' refusal must not stop it, and must
    hold again afterwards."""
    from fundpool.models import Base
    from tests.conftest import truncating
    with db.engine.begin() as conn:
        conn.exec_driver_sql(truncating([t.name for t in Base.metadata.sorted_tables]))
    with db.engine.connect() as conn:
        for table in ("postings", "entries", "audit_events"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
    with pytest.raises(Exception, match="append-only: it is never truncated"):
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_events CASCADE"))


def test_a_changed_amount_names_its_entry(db, history):
    behind_the_back(db, f"UPDATE postings SET amount = 99999 WHERE entry_id = {history[1]} "
                        "AND side = 'debit'")
    result = report(db)
    assert not result.ok
    assert result.first_problem.entry_id == history[1]
    assert "changed since it was posted" in result.first_problem.message


def test_a_changed_memo_names_its_entry(db, history):
    behind_the_back(db, f"UPDATE entries SET memo = 'edited' WHERE id = {history[2]}")
    assert report(db).first_problem.entry_id == history[2]


def test_a_deleted_entry_is_found(db, history):
    behind_the_back(db, f"DELETE FROM postings WHERE entry_id = {history[2]}",
                    f"DELETE FROM entries WHERE id = {history[2]}")
    result = report(db)
    assert not result.ok
    assert any("missing" in p.message for p in result.problems)
    assert result.first_problem.entry_id == history[3]


def delete_the_newest_entry(db, entry_id):
    """Delete it and wind its accounts back to their previous posting, with plain SQL: the
    previous chain hash is right there in the table, no hashing is needed."""
    wind_back = ("UPDATE accounts SET last_seq = last_seq - 1, "
                 "balance = balance - (SELECT CASE WHEN p.side = CASE WHEN accounts.type IN "
                 "('asset', 'expense') THEN 'debit' ELSE 'credit' END THEN p.amount "
                 "ELSE -p.amount END FROM postings p "
                 f"WHERE p.entry_id = {entry_id} AND p.account_id = accounts.id), "
                 "head_hash = (SELECT q.chain_hash FROM postings q WHERE q.account_id = "
                 "accounts.id AND q.account_seq = accounts.last_seq - 1) "
                 f"WHERE id IN (SELECT account_id FROM postings WHERE entry_id = {entry_id})")
    behind_the_back(db, wind_back, f"DELETE FROM postings WHERE entry_id = {entry_id}",
                    f"DELETE FROM entries WHERE id = {entry_id}")


def test_the_newest_entry_deleted_is_caught_only_by_a_checkpoint(db, history):
    """What docs/ledger.md says verify cannot do: the database alone cannot show that its
    newest entries are gone; a checkpoint taken after them and kept outside it does."""
    with db.sessions() as session:
        checkpoint = take_checkpoint(session)
    delete_the_newest_entry(db, history[-1])  # the grant of 30.00: Dr 5101, Cr 1002
    alone = report(db)
    assert alone.entries == 4
    assert alone.ok, "the shortened history is consistent: nothing after it shows a gap"
    result = report(db, checkpoint)
    assert not result.ok
    assert {p.account_code for p in result.problems} == {bank(STREET), cost(STREET)}
    assert all("differs from the checkpoint" in p.message for p in result.problems)


def test_an_inserted_posting_is_found(db, history):
    behind_the_back(db, "INSERT INTO postings (entry_id, account_id, side, amount, currency, "
                        "effective_date, account_seq, chain_hash) SELECT entry_id, account_id, "
                        f"side, 1, currency, effective_date, 99, chain_hash FROM postings "
                        f"WHERE entry_id = {history[0]} AND side = 'debit'")
    result = report(db)
    assert result.first_problem.entry_id == history[0]


def test_a_changed_posting_date_names_its_entry(db, history):
    """postings.effective_date is not in the entry hash, but every as-of report reads it."""
    long_ago = (today() - timedelta(days=400)).isoformat()
    yesterday = today() - timedelta(days=1)
    with db.sessions() as session:
        account = session.scalar(select(Account).where(Account.code == bank(STREET)))
        before = balance_as_of(session, account, yesterday)
    behind_the_back(db, f"UPDATE postings SET effective_date = '{long_ago}' "
                        f"WHERE entry_id = {history[0]} AND side = 'debit'")
    with db.sessions() as session:
        account = session.scalar(select(Account).where(Account.code == bank(STREET)))
        after = balance_as_of(session, account, yesterday)
    assert (before, after) == (0, 10_000), "the tampering does change what reports show"
    result = report(db)
    assert not result.ok
    assert result.first_problem.entry_id == history[0]
    assert "date differs from its entry's" in result.first_problem.message


def test_an_account_whose_currency_was_changed_is_found(db, history):
    """The street's 290.00 yuan in the bank would read as 290.00 US dollars."""
    behind_the_back(db, f"UPDATE accounts SET currency = 'USD' WHERE code = '{bank(STREET)}'")
    result = report(db)
    assert not result.ok
    said = {(p.entry_id, p.account_code, p.message) for p in result.problems}
    assert (None, bank(STREET), "the code says chart 1002 in CNY, the row says chart 1002 "
                                "in USD") in said
    assert (history[0], bank(STREET), "a posting's currency is not its account's") in said
    assert result.first_problem.entry_id == history[0]


def test_an_account_whose_chart_code_was_changed_is_found(db, history):
    """The street's bank account would count as its 5101 costs in every report by chart."""
    behind_the_back(db, f"UPDATE accounts SET chart_code = '5101' WHERE code = '{bank(STREET)}'")
    messages = {p.message for p in report(db).problems if p.account_code == bank(STREET)}
    assert messages == {"the code says chart 1002 in CNY, the row says chart 5101 in CNY",
                        "the account is of type asset, but chart 5101 is expense"}


def test_an_account_whose_type_was_changed_is_found(db, history):
    behind_the_back(db, f"UPDATE accounts SET type = 'liability' WHERE code = '{bank(STREET)}'")
    messages = {p.message for p in report(db).problems if p.account_code == bank(STREET)}
    assert "the account is of type liability, but chart 1002 is asset" in messages


def delete_account_row(db, code):
    """As someone with database rights would: foreign keys do not stop them."""
    if db.is_postgres:  # the replica role lifts the foreign keys too
        behind_the_back(db, f"DELETE FROM accounts WHERE code = '{code}'")
        return
    # SQLite: a plain connection, as the sqlite3 shell opens one, enforces no foreign keys.
    with sqlite3.connect(make_url(str(db.engine.url)).database) as conn:
        conn.execute("DELETE FROM accounts WHERE code = ?", (code,))


def test_a_deleted_account_row_is_reported_not_a_crash(db, history):
    delete_account_row(db, bank(STREET))
    result = report(db)
    assert not result.ok
    assert any("which does not exist" in p.message for p in result.problems)
    assert result.first_problem.entry_id == history[0]


def test_a_checkpoint_catches_a_rewrite_by_someone_holding_db_and_code(db, history):
    with db.sessions() as session:
        checkpoint = take_checkpoint(session)
    rewrite_history_with_the_code(db, history[0], memo="rewritten")
    assert report(db).ok, "a full rewrite with the code passes the chain check alone"
    result = report(db, checkpoint)
    assert not result.ok
    assert "differs from the checkpoint" in result.first_problem.message


def test_an_edited_checkpoint_is_refused(db, history):
    with db.sessions() as session:
        checkpoint = take_checkpoint(session)
    checkpoint["accounts"][0]["seq"] += 1
    assert "was edited" in report(db, checkpoint).first_problem.message


def rewrite_history_with_the_code(db, entry_id, memo):
    """Change an entry, then recompute its hash and every later chain hash and head."""
    with guard_lifted(db) as conn, Session(bind=conn) as session:
        session.execute(text(f"UPDATE entries SET memo = '{memo}' WHERE id = {entry_id}"))
        for entry in session.scalars(select(Entry).order_by(Entry.id)):
            entry.entry_hash = hashing.hash_of(entry)
        session.flush()
        for account in session.scalars(select(Account)):
            head = "0" * 64
            for posting in session.scalars(select(Posting).where(
                    Posting.account_id == account.id).order_by(Posting.account_seq)):
                head = hashing.chain_step(head, posting.entry.entry_hash, posting.account_seq)
                posting.chain_hash = head
            account.head_hash = head
        session.flush()
