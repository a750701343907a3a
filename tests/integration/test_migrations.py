"""Migrations: an empty database upgrades to exactly the models' schema, and back."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from fundpool import migrate
from fundpool.db import make_engine
from fundpool.models import Base


def test_upgrading_an_empty_database_gives_the_models_schema(empty_database):
    engine = make_engine(empty_database())
    assert migrate.current(engine) is None
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_downgrade_to_nothing_and_up_again(empty_database):
    engine = make_engine(empty_database())
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert {"pools", "api_tokens", "audit_events"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_enforces_foreign_keys_and_runs_in_wal_mode(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_pools_made_before_the_ledger_get_their_accounts(empty_database):
    engine = make_engine(empty_database())
    migrate.upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO pools (code, name, level, created_at) "
            "VALUES ('440300', '深圳市', 'city', CURRENT_TIMESTAMP)")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        codes = connection.exec_driver_sql(
            "SELECT code FROM accounts ORDER BY code").scalars().all()
    assert "440300:1002:CNY" in codes
    assert len(codes) == 13  # the chart as of 0002, 1201 from 0008, 1701 and 2601 from 0009
    engine.dispose()


def test_funds_made_before_pass_through_gifts_get_their_accounts_and_keep_their_donations(
        empty_database, monkeypatch):
    """0009 opens 1701 and 2601 for every fund in every currency it keeps; donations already
    recorded (with receipts pointing at them) keep their rows, and the new check holds."""
    from sqlalchemy.orm import Session

    from fundpool.audit.log import Actor
    from fundpool.donations import receipts
    from fundpool.donations.service import NewDonor, create_donor
    from fundpool.funds.service import NewFund, create_fund, get_fund
    from fundpool.ledger import chart
    from fundpool.ledger.posting import today
    from fundpool.pools.service import get_pool

    engine = make_engine(empty_database())
    migrate.upgrade(engine, "0001")
    with engine.begin() as connection:
        for code, name, level, parent in (("440300", "深圳市", "city", None),
                                          ("440304", "福田区", "district", "440300")):
            connection.exec_driver_sql(
                "INSERT INTO pools (code, name, level, parent_id, created_at) VALUES "
                f"('{code}', '{name}', '{level}', (SELECT id FROM pools WHERE code = "
                f"'{parent}'), CURRENT_TIMESTAMP)")
    migrate.upgrade(engine, "0008")
    # The chart as 0008 knew it, so the fund opens what it would have opened then.
    monkeypatch.setattr(chart, "CHART", tuple(item for item in chart.CHART
                                              if item.code not in ("1701", "2601")))
    actor = Actor("migration-test")
    with Session(engine) as session, session.begin():
        fund = create_fund(session, actor, NewFund(
            code="ELDER-440304", name="福田区助老基金", kind="special", pool_code="440304",
            restricted=False))
        chart.open_fund_accounts(session, fund, "HKD")
        donor = create_donor(session, actor, NewDonor("individual", "李四"))
        receipts.register_book(session, actor, get_pool(session, "440304"), "44030001",
                               "0000000001", "0000000010")
        # The gift's entry row as 0008's schema holds it, written by hand: today's posting
        # code also reads tables that came later (year_ends). Its postings do not matter here.
        entry_id = session.execute(text(
            "INSERT INTO entries (effective_date, recorded_at, kind, memo, metadata, actor, "
            "entry_hash) VALUES (:day, CURRENT_TIMESTAMP, 'donation', '', '{}', :actor, :hash) "
            "RETURNING id"), {"day": today(), "actor": actor.name, "hash": "0" * 64}).scalar_one()
        donation_id = session.execute(text(
            "INSERT INTO donations (donor_id, fund_id, amount, currency, channel, channel_ref, "
            "received_date, purpose, entry_id, refunded, created_at) VALUES (:donor, :fund, "
            "10000, 'CNY', 'bank_transfer', 'BOC-1', :day, '', :entry, 0, CURRENT_TIMESTAMP) "
            "RETURNING id"), {"donor": donor.id, "fund": fund.id, "day": today(),
                               "entry": entry_id}).scalar_one()
        receipts.take_receipt(session, fund.pool_id, donation_id, 10_000, "CNY")
    monkeypatch.undo()
    migrate.upgrade(engine)
    with engine.connect() as connection:
        opened = set(connection.exec_driver_sql(
            "SELECT code FROM accounts WHERE chart_code IN ('1701', '2601')").scalars())
        kept = connection.exec_driver_sql(
            "SELECT amount, paid_on, pass_through_recipient FROM donations").one()
        receipt = connection.exec_driver_sql("SELECT donation_id FROM receipts").scalar_one()
        flags = set(connection.exec_driver_sql(
            "SELECT no_overdraft FROM accounts WHERE chart_code IN ('1701', '2601')").scalars())
    assert opened == {f"{owner}:{chart_code}:{currency}"
                      for owner, currencies in (("440300", ["CNY"]), ("440304", ["CNY"]),
                                                ("ELDER-440304", ["CNY", "HKD"]))
                      for chart_code in ("1701", "2601") for currency in currencies}
    assert tuple(kept) == (10_000, 0, None)
    assert receipt == donation_id
    assert flags == {True}
    with Session(engine) as session:
        assert get_fund(session, "ELDER-440304").code == "ELDER-440304"
    with engine.begin() as connection:  # the new check holds in the database itself
        try:
            connection.exec_driver_sql("UPDATE donations SET paid_on = 1")
        except Exception as exc:  # noqa: BLE001 - either backend's IntegrityError
            assert "paid_on" in str(exc) or "CHECK" in str(exc).upper()
        else:
            raise AssertionError("a donation that is not pass-through was paid on")
    engine.dispose()
