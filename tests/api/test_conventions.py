"""API conventions: OpenAPI document, problem+json, request ids, JSON logs, readiness."""

import io
import json
import logging

from openapi_spec_validator import validate
from sqlalchemy import text

from fundpool import migrate
from fundpool.logs import JsonFormatter


def test_openapi_document_validates_and_documents_every_operation(client, app):
    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs"):
            continue
        path = rule.rule.replace("<string:", "{").replace("<int:", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {path} is undocumented"
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            if operation.get("security") != []:
                assert "401" in responses, f"{method} {path} does not document 401"
            if method == "post":
                assert "requestBody" in operation or "{" in path, (method, path)


def test_error_responses_are_documented_as_problem_json(client):
    spec = client.get("/api/v1/openapi.json").json
    forbidden = spec["components"]["responses"]["FORBIDDEN"]
    assert list(forbidden["content"]) == ["application/problem+json"]


def test_request_id_is_echoed_or_made(client):
    given = client.get("/api/v1/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/api/v1/health", headers={"X-Request-ID": "no spaces allowed"})
    assert len(made.headers["X-Request-ID"]) == 32


def test_a_request_id_with_a_trailing_newline_is_replaced(client):
    """``$`` matches before a trailing newline: such an id must not reach the logs and the
    response header, which it would cut in two."""
    made = client.get("/api/v1/health", environ_overrides={"HTTP_X_REQUEST_ID": "abc-123\n"})
    assert made.status_code == 200
    assert len(made.headers["X-Request-ID"]) == 32


def test_problem_carries_the_request_id(client):
    response = client.get("/api/v1/pools", headers={"X-Request-ID": "trace-7"})
    assert response.json["request_id"] == "trace-7"
    assert response.json["instance"] == "/api/v1/pools"
    assert response.json["title"] == "Unauthorized"


def test_logs_are_json_lines_with_the_request_id(client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("fundpool.access")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        client.get("/api/v1/health", headers={"X-Request-ID": "log-me"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["request_id"] == "log-me"
    assert line["path"] == "/api/v1/health"
    assert line["status"] == 200


def test_unexpected_errors_are_500_problems_without_internals(own_app, shenzhen):
    @own_app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = own_app.test_client().get("/api/v1/boom", headers={**shenzhen.headers("auditor"),
                                                   "X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    assert "secret internals" not in response.get_data(as_text=True)
    assert "boom-1" in response.json["detail"]


def test_ready_reports_a_database_behind_on_migrations(client, db):
    assert client.get("/api/v1/ready").json["status"] == "ready"
    set_version = "UPDATE alembic_version SET version_num = :version"
    with db.engine.begin() as conn:
        conn.execute(text(set_version), {"version": "0000"})
    try:
        response = client.get("/api/v1/ready")
    finally:  # on PostgreSQL the next tests share this database
        with db.engine.begin() as conn:
            conn.execute(text(set_version), {"version": migrate.head()})
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert "fundpool db upgrade" in response.json["detail"]


def test_interactive_docs_are_served(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.get_data(as_text=True)
