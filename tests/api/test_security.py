"""Security basics: headers on every response, secrets kept out of logs, constant-time token
checks, and a limit on how fast one token issues others."""

import io
import logging
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from fundpool.audit.log import Actor
from fundpool.auth.issue_rate import LIMIT, check_issue_rate, root_issuer
from fundpool.auth.models import ApiToken
from fundpool.auth.principal import Principal
from fundpool.auth.tokens import create_token
from fundpool.logs import JsonFormatter


@pytest.mark.parametrize("path, who", [
    ("/api/v1/health", None),
    ("/api/v1/openapi.json", None),
    ("/api/v1/pools", "city_admin"),
    ("/api/v1/pools/999999", "city_admin"),
    ("/api/v1/pools", None),
])
def test_every_response_carries_the_security_headers(client, shenzhen, path, who):
    response = client.get(path, headers=shenzhen.headers(who) if who else {})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here
    if who:
        assert response.headers["Cache-Control"] == "no-store"


def test_over_https_browsers_are_told_to_stay_on_https(client):
    response = client.get("/api/v1/health", base_url="https://fundpool.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_docs_page_may_load_its_own_scripts_but_not_be_framed(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net" in policy
    assert "frame-ancestors 'none'" in policy


@pytest.fixture
def all_logs():
    """Everything the fundpool loggers write, as the JSON lines the service writes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("fundpool")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_token_secrets_never_reach_the_logs(client, shenzhen, all_logs):
    admin = shenzhen.secrets["city_admin"]
    made = client.post("/api/v1/tokens", headers=shenzhen.headers("city_admin"),
                       json={"name": "审计员", "role": "auditor"})
    assert made.status_code == 201
    client.get("/api/v1/pools", headers={"Authorization": f"Bearer {made.json['token']}"})
    client.get("/api/v1/pools", headers={"Authorization": "Bearer fp_not-a-real-token-at-all"})
    written = all_logs.getvalue()
    assert "/api/v1/tokens" in written  # the requests were logged
    for secret in (admin, made.json["token"], "fp_not-a-real-token-at-all"):
        assert secret not in written


def test_a_database_error_the_service_logs_carries_no_identity_number(db):
    """An unexpected database error (a dropped connection, a full disk) is logged with its
    message; SQLAlchemy's message lists the statement's values, here a donor's identity
    number and phone, unless the engine hides them."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    failing = text("INSERT INTO donors (kind, name, contact, id_number, no_such_column) "
                   "VALUES ('individual', :name, :contact, :id_number, 1)")
    with db.sessions() as session, pytest.raises(DBAPIError) as raised:
        session.execute(failing, {"name": "张三", "contact": "13800138000",
                                  "id_number": "440304199001011234"})
    for value in ("440304199001011234", "13800138000", "张三"):
        assert value not in str(raised.value)


def _issue(client, headers, n):
    return client.post("/api/v1/tokens", headers=headers,
                       json={"name": f"街道管理员 {n}", "role": "admin", "pool_code": "440304001"})


def _count_tokens(db):
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(ApiToken))


def test_one_token_issues_at_most_ten_tokens_in_ten_minutes(client, shenzhen, db):
    admin = shenzhen.headers("district_admin")
    assert [_issue(client, admin, n).status_code for n in range(LIMIT)] == [201] * LIMIT
    before = _count_tokens(db)
    refused = _issue(client, admin, LIMIT)
    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    assert "try again in" in refused.json["detail"]
    assert _count_tokens(db) == before
    assert _issue(client, shenzhen.headers("city_admin"), 99).status_code == 201


@pytest.mark.postgres
def test_the_issue_limit_holds_for_requests_at_once(app, shenzhen, db):
    barrier = Barrier(16)
    admin = shenzhen.headers("district_admin")

    def one(n):
        own = app.test_client()
        barrier.wait()
        return _issue(own, admin, n).status_code

    before = _count_tokens(db)
    with ThreadPoolExecutor(16) as workers:
        statuses = sorted(workers.map(one, range(16)))
    assert statuses == [201] * LIMIT + [429] * (16 - LIMIT)
    assert _count_tokens(db) == before + LIMIT


def _headers_of(response) -> dict[str, str]:
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_tokens_issued_from_a_token_share_its_limit(client, shenzhen, db):
    """A token cannot get round the limit by issuing a token and issuing more with that
    one, nor with one issued from that: every token issued down the chain counts against
    the token it started from (its root issuer)."""
    district = shenzhen.headers("district_admin")
    child = _issue(client, district, 0)
    assert child.status_code == 201
    grandchild = _issue(client, _headers_of(child), 1)
    assert grandchild.status_code == 201
    issued = [_issue(client, headers, n).status_code
              for n, headers in enumerate([district, _headers_of(child),
                                           _headers_of(grandchild)] * 3, start=2)]
    assert issued[:LIMIT - 2] == [201] * (LIMIT - 2)
    before = _count_tokens(db)
    for headers in (district, _headers_of(child), _headers_of(grandchild)):
        refused = _issue(client, headers, 99)
        assert refused.status_code == 429 and "try again in" in refused.json["detail"]
    assert _count_tokens(db) == before
    assert _issue(client, shenzhen.headers("street_admin"), 100).status_code == 201


@pytest.mark.postgres
def test_the_chains_limit_holds_for_requests_at_once(app, client, shenzhen, db):
    """Two tokens of one chain issuing at once still issue at most ``LIMIT`` together."""
    district = shenzhen.headers("district_admin")
    child = _headers_of(_issue(client, district, 0))
    barrier = Barrier(16)

    def one(n):
        own = app.test_client()
        barrier.wait()
        return _issue(own, district if n % 2 else child, n).status_code

    before = _count_tokens(db)
    with ThreadPoolExecutor(16) as workers:
        statuses = sorted(workers.map(one, range(1, 17)))
    assert statuses == [201] * (LIMIT - 1) + [429] * (16 - LIMIT + 1)
    assert _count_tokens(db) == before + LIMIT - 1


def test_counting_a_chain_reads_few_rows_however_many_tokens_issued(db):
    """Checking the limit walks the chains of the window's issuers level by level, not a
    query per event and token: at a city's scale many people issue at once, and the check
    runs with the root's row locked."""
    with db.transaction() as session:
        roots = [create_token(session, Actor("cli:ops"), name=f"root {n}", role="auditor",
                              pool_code=None)[0] for n in range(30)]
        tips = []
        for root in roots:  # each root issues a token, which issues one more: 60 events
            child, _ = create_token(session, Actor(f"token:{root.id}:root", root.id),
                                    name="child", role="auditor", pool_code=None)
            tip, _ = create_token(session, Actor(f"token:{child.id}:child", child.id),
                                  name="tip", role="auditor", pool_code=None)
            tips.append(tip)
        issuer = roots[0]
    sent = []

    def seen(conn, cursor, statement, *args):
        sent.append(statement)

    with db.transaction() as session:
        assert root_issuer(session, tips[5].id) == roots[5].id
        event.listen(Engine, "before_cursor_execute", seen)
        try:
            check_issue_rate(session, Principal(issuer.id, issuer.name, "auditor", None, None))
        finally:
            event.remove(Engine, "before_cursor_execute", seen)
    assert len(sent) <= 8, sent
