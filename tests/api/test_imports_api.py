"""Uploading a donations file: a job with progress, ending with its report."""

import io

from sqlalchemy import select

from fundpool.donations.models import Donation, ImportJob
from tests.integration.test_import import SAMPLE


def finish(app):
    for worker in app.extensions.get("fundpool.import_threads", []):
        worker.join(timeout=120)


def upload(client, headers, content, name="giving-day.csv", **form):
    data = {"file": (io.BytesIO(content), name), **{k: str(v) for k, v in form.items()}}
    return client.post("/api/v1/imports", headers=headers, data=data,
                       content_type="multipart/form-data")


def test_an_uploaded_file_is_imported_and_reported(app, client, shenzhen):
    admin = shenzhen.headers("street_admin")
    started = upload(client, admin, SAMPLE.read_bytes(), expect_rows=5)
    assert started.status_code == 202, started.json
    assert started.json["status"] == "queued"
    finish(app)
    job = client.get(f"/api/v1/imports/{started.json['id']}", headers=admin).json
    assert job["status"] == "done"
    assert (job["rows_total"], job["rows_done"], job["imported"], job["rejected"]) == (5, 5, 3, 2)
    assert [r["line"] for r in job["report"]["rejected"]] == [3, 5]
    assert job["report"]["total"] == {"CNY": 1_199}
    assert client.get(f"/api/v1/imports/{started.json['id']}",
                      headers=shenzhen.headers("other_street_admin")).status_code == 403


def test_a_wrong_stated_count_stops_the_job(app, client, shenzhen):
    admin = shenzhen.headers("street_admin")
    started = upload(client, admin, SAMPLE.read_bytes(), expect_rows=4)
    finish(app)
    job = client.get(f"/api/v1/imports/{started.json['id']}", headers=admin).json
    assert job["status"] == "stopped"
    assert "not the 4 stated" in job["message"]
    assert job["imported"] == 0


def test_bad_uploads_are_refused(client, shenzhen):
    admin = shenzhen.headers("street_admin")
    assert upload(client, admin, b"x", name="data.pdf").json["errors"][0]["field"] == "file"
    response = upload(client, admin, b"x", channel="carrier-pigeon")
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "channel"
    assert upload(client, shenzhen.headers("auditor"), b"x").status_code == 403


def test_a_file_imported_as_gifts_in_kind_is_refused_like_a_single_gift_in_kind(
        app, client, shenzhen, db):
    """A single gift in kind needs what it is and how it was valued; a file has neither."""
    refused = upload(client, shenzhen.headers("city_admin"), SAMPLE.read_bytes(),
                     channel="in_kind")
    finish(app)
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "channel"
    with db.sessions() as session:
        assert session.scalars(select(ImportJob)).all() == []
        assert session.scalars(select(Donation)).all() == []


def test_a_file_with_bad_columns_fails_the_job_clearly(app, client, shenzhen):
    admin = shenzhen.headers("street_admin")
    started = upload(client, admin, "编号,钱\n1,2\n".encode("gbk"))
    finish(app)
    job = client.get(f"/api/v1/imports/{started.json['id']}", headers=admin).json
    assert job["status"] == "failed"
    assert "lacks the column" in job["message"]


def test_a_refused_upload_leaves_no_file_behind(app, client, shenzhen, db, monkeypatch):
    """An upload holds donors' names; its job deletes it when it ends. A request refused
    before a job starts must not leave it in the instance folder for good."""
    from pathlib import Path

    from fundpool.donations import jobs
    folder = Path(app.instance_path) / "imports"
    before = set(folder.glob("*")) if folder.exists() else set()
    admin = shenzhen.headers("city_admin")
    response = upload(client, admin, SAMPLE.read_bytes(), expect_total="611.981")
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "expect_total"

    def no_thread(*args):
        raise RuntimeError("can't start new thread")
    monkeypatch.setattr(jobs, "start_job", no_thread)
    assert upload(client, admin, SAMPLE.read_bytes()).status_code == 500
    after = set(folder.glob("*")) if folder.exists() else set()
    assert after - before == set()


def test_an_upload_retried_with_the_same_idempotency_key_makes_one_job(app, client, shenzhen,
                                                                      db):
    """The job row is committed with the key's stored answer before its thread starts; the
    retry replays that answer, starting nothing and leaving no file behind."""
    from pathlib import Path
    folder = Path(app.instance_path) / "imports"
    before = set(folder.glob("*"))
    headers = {**shenzhen.headers("city_admin"), "Idempotency-Key": "giving-day-upload-1"}
    first = upload(client, headers, SAMPLE.read_bytes(), expect_rows=5)
    finish(app)
    second = upload(client, headers, SAMPLE.read_bytes(), expect_rows=5)
    finish(app)
    assert first.status_code == second.status_code == 202, second.json
    assert second.json == first.json
    assert second.headers.get("Idempotent-Replayed") == "true"
    with db.sessions() as session:
        assert session.scalars(select(ImportJob.status)).all() == ["done"]
        assert len(session.scalars(select(Donation)).all()) == 3
    assert set(folder.glob("*")) - before == set()
    other_file = upload(client, headers, SAMPLE.read_bytes() + b"TX-6,2026-09-09 10:00:00,"
                        b"1.00,,440304001,\n", expect_rows=5)
    assert other_file.status_code == 422
    assert other_file.json["errors"][0]["field"] == "Idempotency-Key"
    other_form = upload(client, headers, SAMPLE.read_bytes(), expect_rows=6)
    assert other_form.status_code == 422
    assert set(folder.glob("*")) - before == set()


def test_an_upload_whose_commit_is_retried_starts_one_job_on_its_whole_file(app, client,
                                                                            shenzhen, db):
    """A transient failure at the commit runs the request again: the first attempt's file
    is removed and its job never starts; the retry saves the file from its start."""
    from pathlib import Path

    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session
    folder = Path(app.instance_path) / "imports"
    before = set(folder.glob("*"))
    failures = []

    def locked_once(session):
        if not failures and any(isinstance(o, ImportJob) for o in session.identity_map.values()):
            failures.append(True)
            raise OperationalError("COMMIT", {}, Exception("database is locked"))
    event.listen(Session, "before_commit", locked_once)
    try:
        started = upload(client, shenzhen.headers("city_admin"), SAMPLE.read_bytes())
    finally:
        event.remove(Session, "before_commit", locked_once)
    finish(app)
    assert (started.status_code, failures) == (202, [True]), started.json
    with db.sessions() as session:
        assert session.execute(select(ImportJob.id, ImportJob.status, ImportJob.imported)
                               ).all() == [(started.json["id"], "done", 3)]
    assert set(folder.glob("*")) - before == set()


def test_only_an_admin_may_send_a_body_larger_than_a_request(client, shenzhen):
    """The import endpoints take files far larger than any other request, but only from an
    admin, who alone may import: any other token's upload is refused at the ordinary limit,
    before the server receives and parses it."""
    def body(name: str) -> bytes:
        return (b'--b\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\n'
                b'Content-Type: text/csv\r\n\r\n' % name.encode() + b"x" * 2_000_000
                + b"\r\n--b--\r\n")
    kind = "multipart/form-data; boundary=b"
    for path in ("/api/v1/imports", "/api/v1/needs/imports"):
        for who in ("auditor", "foundation"):
            refused = client.post(path, headers=shenzhen.headers(who), data=body("a.csv"),
                                  content_type=kind)
            assert refused.status_code == 413, (path, who)
        admitted = client.post(path, headers=shenzhen.headers("street_admin"),
                               data=body("a.txt"), content_type=kind)
        assert admitted.status_code == 422, (path, admitted.json)  # read, then refused
