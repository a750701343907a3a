"""Needs over HTTP: record, list, read, move; scope 403s, problem+json fields, pagination,
and survey imports as jobs (report, strict mode, GBK)."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from fundpool.ledger.posting import today
from fundpool.matching.models import NeedImportJob
from tests.integration.test_needs import SAMPLE

BINHE, NANHUA, BAIHUA = "440304001001", "440304001002", "440304002001"
NEED = {"pool_code": BINHE, "category": "elderly_in_difficulty", "people": 12,
        "urgency": "priority", "estimated_cost": "36000.00", "survey_date": "2026-11-02",
        "note": "独居老人助餐", "survey_ref": "NY-2026-0001"}


def post(client, headers, **changes):
    body = {k: v for k, v in {**NEED, **changes}.items() if v is not ...}
    return client.post("/api/v1/needs", headers=headers, json=body)


def test_a_need_is_recorded_and_read(client, shenzhen):
    admin = shenzhen.headers("street_admin")
    made = post(client, admin)
    assert made.status_code == 201, made.json
    body = made.json
    assert {k: body[k] for k in NEED} == NEED
    assert (body["status"], body["category_zh"], body["urgency_zh"], body["pool_name"]) == (
        "open", "特殊困难老人", "优先", "滨河社区")
    assert client.get(f"/api/v1/needs/{body['id']}", headers=admin).json == body


@pytest.mark.parametrize("who, status", [
    ("city_admin", 201), ("district_admin", 201), ("street_admin", 201),
    ("community_admin", 201), ("other_street_admin", 403), ("auditor", 403),
    ("foundation", 403),
])
def test_recording_a_need_by_role_and_scope(client, shenzhen, snapshot, who, status):
    before = snapshot()
    response = post(client, shenzhen.headers(who))
    assert response.status_code == status, response.json
    if status == 403:
        assert response.content_type == "application/problem+json"
        assert snapshot() == before


CASES = [
    ("unknown category", {"category": "pets"}, 422, "category"),
    ("a street is not a community", {"pool_code": "440304001"}, 422, "pool_code"),
    ("unknown community", {"pool_code": "440304001009"}, 404, "pool_code"),
    ("malformed code", {"pool_code": "4403"}, 422, "pool_code"),
    ("no people", {"people": 0}, 422, "people"),
    ("people as text", {"people": "12"}, 422, "people"),
    ("zero cost", {"estimated_cost": "0.00"}, 422, "estimated_cost"),
    ("negative cost", {"estimated_cost": "-5.00"}, 422, "estimated_cost"),
    ("cost as a number", {"estimated_cost": 36000}, 422, "estimated_cost"),
    ("fen beyond two places", {"estimated_cost": "1.005"}, 422, "estimated_cost"),
    ("survey in the future", {"survey_date": str(today() + timedelta(days=1))}, 422,
     "survey_date"),
    ("unknown urgency", {"urgency": "urgent"}, 422, "urgency"),
    ("missing urgency", {"urgency": ...}, 422, "urgency"),
    ("unknown field", {"colour": "red"}, 422, "colour"),
]


@pytest.mark.parametrize("case, changes, status, field", CASES, ids=[c[0] for c in CASES])
def test_bad_needs_are_problems_naming_the_field(client, shenzhen, snapshot, case, changes,
                                                 status, field):
    before = snapshot()
    response = post(client, shenzhen.headers("district_admin"), **changes)
    assert response.status_code == status, response.json
    assert response.content_type == "application/problem+json"
    assert response.json["detail"]
    assert field in [error["field"] for error in response.json["errors"]]
    assert snapshot() == before


def test_a_repeated_survey_ref_is_409(client, shenzhen):
    admin = shenzhen.headers("street_admin")
    post(client, admin)
    again = post(client, admin)
    assert again.status_code == 409
    assert again.json["errors"][0]["field"] == "survey_ref"


def test_an_idempotency_key_records_the_need_once(client, shenzhen):
    headers = {**shenzhen.headers("street_admin"), "Idempotency-Key": "survey-row-1"}
    first, second = post(client, headers), post(client, headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    listed = client.get("/api/v1/needs", headers=shenzhen.headers("auditor")).json
    assert [n["id"] for n in listed["items"]] == [first.json["id"]]


@pytest.fixture
def several(client, shenzhen):
    """Seven needs across three communities of two streets."""
    admin = shenzhen.headers("district_admin")
    rows = [(BINHE, "disability", "crisis"), (BINHE, "elderly_in_difficulty", "routine"),
            (NANHUA, "disability", "priority"), (NANHUA, "disability", "crisis"),
            (BAIHUA, "disability", "crisis"), (BAIHUA, "single_mothers", "routine"),
            (BAIHUA, "elderly_in_difficulty", "crisis")]
    return [post(client, admin, pool_code=pool, category=category, urgency=urgency,
                 survey_ref=None).json["id"] for pool, category, urgency in rows]


def listed(client, headers, query=""):
    response = client.get(f"/api/v1/needs{query}", headers=headers)
    assert response.status_code == 200, response.json
    return [n["id"] for n in response.json["items"]]


def test_listing_by_scope_and_filters(client, shenzhen, several):
    street, auditor = shenzhen.headers("street_admin"), shenzhen.headers("auditor")
    assert listed(client, street) == several[:4]
    assert listed(client, auditor) == several
    assert listed(client, auditor, "?within=440304002") == several[4:]
    assert listed(client, auditor, "?category=disability&urgency=crisis") == [
        several[0], several[3], several[4]]
    assert listed(client, street, f"?within={NANHUA}&urgency=crisis") == [several[3]]
    client.post(f"/api/v1/needs/{several[0]}/status", headers=street, json={"status": "closed"})
    assert listed(client, street, "?status=open") == several[1:4]
    assert listed(client, street, "?status=closed") == [several[0]]


def test_listing_pages_with_a_cursor(client, shenzhen, several):
    auditor = shenzhen.headers("auditor")
    seen, query = [], "?limit=3"
    while True:
        page = client.get(f"/api/v1/needs{query}", headers=auditor).json
        seen += [n["id"] for n in page["items"]]
        if page["next_cursor"] is None:
            break
        query = f"?limit=3&cursor={page['next_cursor']}"
    assert seen == several
    bad = client.get("/api/v1/needs?cursor=nonsense", headers=auditor)
    assert (bad.status_code, bad.json["errors"][0]["field"]) == (422, "cursor")


@pytest.mark.parametrize("who, query, status, field", [
    ("other_street_admin", "?within=440304001", 403, "within"),
    ("street_admin", "?within=440303", 403, "within"),
    ("auditor", "?within=440399", 404, "within"),
    ("foundation", "", 403, None),
    ("auditor", "?urgency=urgent", 422, "urgency"),
    ("auditor", "?colour=red", 422, "colour"),
])
def test_listing_refusals(client, shenzhen, who, query, status, field):
    response = client.get(f"/api/v1/needs{query}", headers=shenzhen.headers(who))
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert response.json["errors"][0]["field"] == field


@pytest.mark.parametrize("who, status", [
    ("street_admin", 200), ("city_admin", 200), ("auditor", 200), ("other_street_admin", 403),
    ("foundation", 403),
])
def test_reading_a_need_by_role_and_scope(client, shenzhen, several, who, status):
    response = client.get(f"/api/v1/needs/{several[0]}", headers=shenzhen.headers(who))
    assert response.status_code == status


def test_an_unknown_need_is_404(client, shenzhen):
    response = client.get("/api/v1/needs/999", headers=shenzhen.headers("auditor"))
    assert (response.status_code, response.json["errors"][0]["field"]) == (404, "need_id")


def test_status_moves_along_the_graph_and_illegal_moves_are_409(client, shenzhen, several,
                                                                snapshot):
    admin = shenzhen.headers("street_admin")
    url = f"/api/v1/needs/{several[0]}/status"
    for status in ("matched", "served", "closed"):
        moved = client.post(url, headers=admin, json={"status": status, "reason": "上门服务"})
        assert (moved.status_code, moved.json["status"]) == (200, status)
    before = snapshot()
    back = client.post(url, headers=admin, json={"status": "open"})
    assert back.status_code == 409
    assert back.content_type == "application/problem+json"
    assert back.json["detail"] == (f"Need {several[0]} is closed; it cannot become open (from "
                                   "closed it can become: nothing (closed is final)).")
    assert back.json["errors"][0]["field"] == "status"
    unknown = client.post(url, headers=admin, json={"status": "lost"})
    assert (unknown.status_code, unknown.json["errors"][0]["field"]) == (422, "status")
    assert snapshot() == before


@pytest.mark.parametrize("who, status", [
    ("street_admin", 200), ("district_admin", 200), ("other_street_admin", 403),
    ("auditor", 403), ("foundation", 403),
])
def test_moving_a_need_by_role_and_scope(client, shenzhen, several, snapshot, who, status):
    before = snapshot()
    response = client.post(f"/api/v1/needs/{several[0]}/status", headers=shenzhen.headers(who),
                           json={"status": "closed"})
    assert response.status_code == status
    if status == 403:
        assert snapshot() == before


# Survey imports ---------------------------------------------------------------------------

def finish(app):
    for worker in app.extensions.get("fundpool.import_threads", []):
        worker.join(timeout=120)


def upload(client, headers, content, name="survey.csv", **form):
    data = {"file": (io.BytesIO(content), name), **{k: str(v) for k, v in form.items()}}
    return client.post("/api/v1/needs/imports", headers=headers, data=data,
                       content_type="multipart/form-data")


def job(client, headers, started):
    return client.get(f"/api/v1/needs/imports/{started.json['id']}", headers=headers).json


def test_an_uploaded_survey_is_imported_and_reported(app, client, shenzhen):
    admin = shenzhen.headers("street_admin")
    started = upload(client, admin, SAMPLE.read_bytes())
    assert started.status_code == 202, started.json
    assert started.json["status"] == "queued"
    finish(app)
    done = job(client, admin, started)
    assert done["status"] == "done", done
    assert (done["rows_total"], done["rows_done"], done["imported"], done["rejected"],
            done["duplicates"]) == (10, 10, 10, 0, 0)
    assert done["report"] == {"rejected": [], "duplicates": [], "people": 236,
                              "estimated_cost": "329500.00"}
    needs = client.get("/api/v1/needs?limit=500", headers=admin).json["items"]
    assert len(needs) == 10 and {n["import_job_id"] for n in needs} == {started.json["id"]}
    again = upload(client, admin, SAMPLE.read_bytes())
    finish(app)
    assert job(client, admin, again)["duplicates"] == 10
    for who, status in (("other_street_admin", 403), ("auditor", 200), ("city_admin", 200)):
        response = client.get(f"/api/v1/needs/imports/{started.json['id']}",
                              headers=shenzhen.headers(who))
        assert response.status_code == status


def test_rows_outside_the_uploaders_subtree_are_rejected(app, client, shenzhen):
    admin = shenzhen.headers("other_street_admin")
    started = upload(client, admin, SAMPLE.read_bytes())
    finish(app)
    report = job(client, admin, started)
    assert (report["status"], report["imported"], report["rejected"]) == ("done", 0, 10)
    assert report["report"]["rejected"][0] == {
        "line": 2, "reason": "community 440304001001 is outside your scope"}


BAD = ("调研编号,社区编码,服务对象,人数,紧急程度,预估费用,调研日期\n"
       f"G-1,{BINHE},残疾人,4,危机,8000.00,2026-11-01\n"
       f"G-2,{BINHE},宠物,4,危机,8000.00,2026-11-01\n")


def test_strict_mode_stops_the_job_and_imports_nothing(app, client, shenzhen):
    admin = shenzhen.headers("street_admin")
    started = upload(client, admin, BAD.encode("gbk"), strict="true")
    finish(app)
    stopped = job(client, admin, started)
    assert (stopped["status"], stopped["imported"], stopped["rejected"]) == ("stopped", 0, 1)
    assert stopped["message"] == "strict mode: 1 bad row(s); nothing was imported"
    assert stopped["report"]["rejected"][0]["line"] == 3
    assert client.get("/api/v1/needs", headers=admin).json["items"] == []


def test_a_gbk_survey_imports_its_good_rows(app, client, shenzhen):
    admin = shenzhen.headers("street_admin")
    started = upload(client, admin, BAD.encode("gbk"))
    finish(app)
    done = job(client, admin, started)
    assert (done["status"], done["imported"], done["rejected"]) == ("done", 1, 1)
    assert "unknown category '宠物'" in done["report"]["rejected"][0]["reason"]


def test_a_survey_upload_with_an_idempotency_key_starts_one_job(app, client, shenzhen):
    headers = {**shenzhen.headers("street_admin"), "Idempotency-Key": "survey-upload-1"}
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(SAMPLE.read_bytes()),
                                                           "survey.csv")})
    first, second = (client.post("/api/v1/needs/imports", headers=headers, data=body,
                                 content_type=f"multipart/form-data; boundary={boundary}")
                     for _ in range(2))
    finish(app)
    assert first.status_code == second.status_code == 202
    assert second.json["id"] == first.json["id"]
    assert len(app.extensions["fundpool.import_threads"]) == 1
    assert job(client, headers, first)["imported"] == 10


def test_bad_uploads_are_refused(app, client, shenzhen):
    admin = shenzhen.headers("street_admin")
    assert upload(client, admin, b"x", name="survey.pdf").json["errors"][0]["field"] == "file"
    response = upload(client, admin, b"x", strict="perhaps")
    assert (response.status_code, response.json["errors"][0]["field"]) == (422, "strict")
    assert upload(client, shenzhen.headers("auditor"), b"x").status_code == 403
    assert upload(client, shenzhen.headers("foundation"), b"x").status_code == 403
    missing = client.get("/api/v1/needs/imports/99", headers=admin)
    assert (missing.status_code, missing.json["errors"][0]["field"]) == (404, "job_id")
    columns = upload(client, admin, "编号,钱\n1,2\n".encode("gbk"))
    finish(app)
    failed = job(client, admin, columns)
    assert failed["status"] == "failed" and "lacks the column" in failed["message"]


def test_a_survey_upload_whose_commit_is_retried_starts_one_job_and_leaves_no_file(
        app, client, shenzhen, db):
    """A transient failure at the commit runs the request again: the first attempt's file is
    removed and its job never starts; the retry imports the whole file once."""
    folder = Path(app.instance_path) / "imports"
    before = set(folder.glob("*"))
    failures = []

    def locked_once(session):
        if not failures and any(isinstance(o, NeedImportJob)
                                for o in session.identity_map.values()):
            failures.append(True)
            raise OperationalError("COMMIT", {}, Exception("database is locked"))
    event.listen(Session, "before_commit", locked_once)
    try:
        started = upload(client, shenzhen.headers("street_admin"), SAMPLE.read_bytes())
    finally:
        event.remove(Session, "before_commit", locked_once)
    finish(app)
    assert (started.status_code, failures) == (202, [True]), started.json
    with db.sessions() as session:
        assert session.execute(select(NeedImportJob.id, NeedImportJob.status,
                                      NeedImportJob.imported)).all() == [
            (started.json["id"], "done", 10)]
    assert set(folder.glob("*")) - before == set()
