"""Every write leaves an audit event; the log itself cannot be edited; auditors find and
export it."""

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
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


def _new_community(client, shenzhen, code, name, request_id):
    response = client.post("/api/v1/pools", headers={
        **shenzhen.headers("street_admin"), "X-Request-ID": request_id}, json={
        "code": code, "name": name, "level": "community", "parent_code": "440304001"})
    assert response.status_code == 201, response.json


def test_auditors_find_events_by_actor_target_request_and_day(client, shenzhen):
    _new_community(client, shenzhen, "440304001003", "南园社区", "survey-a")
    _new_community(client, shenzhen, "440304001004", "滨河社区", "survey-b")
    auditor = shenzhen.headers("auditor")

    def found(query):
        response = client.get(f"/api/v1/audit-events?limit=500&{query}", headers=auditor)
        assert response.status_code == 200, response.json
        return [(e["action"], e["target_id"]) for e in response.json["items"]]

    assert found("request_id=survey-b") == [("pool.create", "440304001004")]
    assert found("target_type=pool&target_id=440304001003") == [("pool.create", "440304001003")]
    actor = client.get("/api/v1/audit-events?request_id=survey-a",
                       headers=auditor).json["items"][0]["actor"]
    assert ("pool.create", "440304001004") in found(f"actor={actor}")
    assert all(a == "pool.create" for a, _ in found(f"actor={actor}&action=pool.create"))
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert ("pool.create", "440304001003") in found(f"from={today}&to={today}")
    assert found(f"to={today - timedelta(days=1)}") == []


def test_a_backwards_day_range_is_refused_naming_from(client, shenzhen):
    response = client.get("/api/v1/audit-events?from=2026-03-02&to=2026-03-01",
                          headers=shenzhen.headers("auditor"))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.json["errors"][0]["field"] == "from"


def test_the_audit_log_downloads_as_csv_with_formulas_defused(client, shenzhen):
    _new_community(client, shenzhen, "440304001005", "东滨社区", "-1-1")
    response = client.get("/api/v1/audit-events/export?request_id=-1-1",
                          headers=shenzhen.headers("auditor"))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff编号 / id,时间 / occurred_at,操作人 / actor")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2
    event = dict(zip([h.split(" / ")[1] for h in rows[0]], rows[1]))
    assert event["action"] == "pool.create" and event["target_id"] == "440304001005"
    assert event["occurred_at"].endswith("+08:00")
    details = json.loads(event["details"])
    assert details["parent_code"] == "440304001"
    assert event["request_id"] == "'-1-1"  # a spreadsheet would compute -1-1


def test_the_audit_log_downloads_as_json_lines_and_xlsx(client, shenzhen):
    _new_community(client, shenzhen, "440304001006", "海月社区", "export-2")
    auditor = shenzhen.headers("auditor")
    lines = client.get("/api/v1/audit-events/export?format=jsonl&request_id=export-2",
                       headers=auditor).data.decode("utf-8").splitlines()
    assert [json.loads(line)["details"]["parent_code"] for line in lines] == ["440304001"]
    with client.get("/api/v1/audit-events/export?format=xlsx&action=pool.create",
                    headers=auditor) as response:
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "编号 / id"
    assert "440304001006" in [row[6] for row in rows[1:]]


def test_only_auditors_export_the_audit_log(client, shenzhen):
    for who in ("city_admin", "foundation"):
        response = client.get("/api/v1/audit-events/export", headers=shenzhen.headers(who))
        assert response.status_code == 403


def test_days_outside_what_a_calendar_can_bound_are_refused_not_a_server_error(client, shenzhen):
    auditor = shenzhen.headers("auditor")
    for query, field in (("from=0001-01-01&to=2000-01-01", "from"), ("to=9999-12-31", "to")):
        response = client.get(f"/api/v1/audit-events?{query}", headers=auditor)
        assert response.status_code == 422, query
        assert response.json["errors"][0]["field"] == field
    assert client.get("/api/v1/audit-events?from=2000-01-01&to=9998-12-31",
                      headers=auditor).status_code == 200
