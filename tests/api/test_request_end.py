"""How a request's transaction ends when the request did not commit it: on PostgreSQL with
COMMIT if it wrote nothing (psycopg forgets its prepared statements at every ROLLBACK),
with ROLLBACK if it wrote, locked a row, failed, or holds changes not yet flushed."""

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from fundpool.api.requests import end_read
from fundpool.donations.models import Donor

STREET = "440304001"


@pytest.fixture
def endings(db):
    """The COMMITs and ROLLBACKs sent on the app's engine, in order."""
    seen: list[str] = []
    listeners = {"commit": lambda _conn: seen.append("commit"),
                 "rollback": lambda _conn: seen.append("rollback")}
    for name, listener in listeners.items():
        event.listen(db.engine, name, listener)
    yield seen
    for name, listener in listeners.items():
        event.remove(db.engine, name, listener)


def donors(db) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Donor))


def postgres_only(db) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite every unfinished transaction rolls back")


def test_a_read_ends_with_commit_on_postgresql_and_rollback_on_sqlite(db, endings):
    with db.sessions() as session:
        session.scalar(select(func.count()).select_from(Donor))
        end_read(session)
        assert not session.in_transaction()
    expected = "commit" if db.engine.dialect.name == "postgresql" else "rollback"
    assert endings == [expected]


def test_a_write_not_committed_is_rolled_back(db, endings):
    with db.sessions() as session:
        session.execute(insert(Donor).values(kind="individual", name="甲", anonymous=False))
        end_read(session)
    assert endings == ["rollback"]
    assert donors(db) == 0


def test_changes_not_yet_flushed_are_rolled_back_not_flushed(db, endings):
    with db.sessions() as session:
        session.scalar(select(func.count()).select_from(Donor))
        session.add(Donor(kind="individual", name="乙", anonymous=False))
        end_read(session)
    assert endings == ["rollback"]
    assert donors(db) == 0


def test_a_row_locked_is_let_go_with_rollback(db, make, endings):
    postgres_only(db)
    make.small_city()
    endings.clear()
    with db.sessions() as session:
        session.execute(text("SELECT id FROM pools ORDER BY id LIMIT 1 FOR UPDATE")).all()
        end_read(session)
    assert endings == ["rollback"]


def test_a_transaction_in_error_is_rolled_back(db, endings):
    postgres_only(db)
    with db.sessions() as session:
        with pytest.raises(DBAPIError):
            session.execute(text("SELECT 1 / 0"))
        end_read(session)
        assert not session.in_transaction()
    assert endings[-1] == "rollback"
    assert "commit" not in endings


def test_a_read_only_request_ends_with_commit_on_postgresql(client, shenzhen, db, endings):
    postgres_only(db)
    response = client.get(f"/api/v1/pools/{STREET}", headers=shenzhen.headers("city_admin"))
    assert response.status_code == 200
    assert "rollback" not in endings


def test_a_refused_request_rolls_back(client, shenzhen, db, endings):
    response = client.get("/api/v1/donors/999999", headers=shenzhen.headers("city_admin"))
    assert response.status_code == 404
    assert endings[-1] == "rollback"


def test_a_replay_ends_with_commit_on_postgresql(client, shenzhen, db, endings):
    postgres_only(db)
    headers = {**shenzhen.headers("city_admin"), "Idempotency-Key": "donor-1"}
    body = {"kind": "individual", "name": "丙"}
    assert client.post("/api/v1/donors", headers=headers, json=body).status_code == 201
    endings.clear()
    again = client.post("/api/v1/donors", headers=headers, json=body)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "rollback" not in endings
    assert donors(db) == 1


def test_a_write_is_one_transaction_with_its_token_lookup_on_postgresql(client, shenzhen, db,
                                                                        endings):
    headers = {**shenzhen.headers("city_admin"), "Idempotency-Key": "donor-2"}
    response = client.post("/api/v1/donors", headers=headers,
                           json={"kind": "individual", "name": "丁"})
    assert response.status_code == 201
    postgres = db.engine.dialect.name == "postgresql"
    assert endings == (["commit"] if postgres else ["commit", "commit"])
    assert donors(db) == 1


def test_an_unknown_token_ends_its_read_without_rollback_on_postgresql(client, db, endings):
    postgres_only(db)
    response = client.get(f"/api/v1/pools/{STREET}",
                          headers={"Authorization": "Bearer fp_" + "x" * 43})
    assert response.status_code == 401
    assert endings == ["commit"]
