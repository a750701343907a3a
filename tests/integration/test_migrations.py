"""Migrations: an empty database upgrades to exactly the models' schema, and back."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

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
    assert len(codes) == 11  # the chart as of 0002, plus 1201 from 0008
    engine.dispose()
