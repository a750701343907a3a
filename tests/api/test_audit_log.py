"""Every write leaves an audit event; the log itself cannot be edited."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError


def test_writes_are_recorded_with_actor_and_request_id(client, shenzhen):
    response = client.post("/api/v1/pools", headers={
        **shenzhen.headers("street_admin"), "X-Request-ID": "survey-2026-11-27"}, json={
        "code": "440304001003", "name": "南园社区", "level": "community",
        "parent_code": "440304001"})
    assert response.status_code == 201
    events = client.get("/api/v1/audit-events?action=pool.create&limit=500",
                        headers=shenzhen.headers("auditor")).json["items"]
    event = events[-1]
    assert event["target_id"] == "440304001003"
    assert event["request_id"] == "survey-2026-11-27"
    assert "admin 440304001" in event["actor"]
    assert event["details"]["parent_code"] == "440304001"


def test_refused_writes_leave_no_event(client, shenzhen):
    count = len(client.get("/api/v1/audit-events?limit=500",
                           headers=shenzhen.headers("auditor")).json["items"])
    client.post("/api/v1/pools/440304001001/close", headers=shenzhen.headers("other_street_admin"),
                json={})
    after = client.get("/api/v1/audit-events?limit=500", headers=shenzhen.headers("auditor")).json
    assert len(after["items"]) == count


def test_only_auditors_read_the_audit_log(client, shenzhen):
    for who in ("city_admin", "foundation"):
        assert client.get("/api/v1/audit-events", headers=shenzhen.headers(who)).status_code == 403


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET actor = 'someone else'",
    "DELETE FROM audit_events",
])
def test_the_database_refuses_to_edit_the_audit_log(db, shenzhen, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(text(statement))
