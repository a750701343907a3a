"""Bugs the OpenAPI fuzzing (tests/fuzz) found, one test each: every answer is documented."""

import pytest


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json


def documented(spec, method, path):
    return set(spec["paths"][f"/api/v1{path}"][method]["responses"])


def test_a_method_not_allowed_names_the_allowed_ones(client, shenzhen):
    response = client.open("/api/v1/health", method="TRACE")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD", "OPTIONS"}
    assert response.content_type == "application/problem+json"


def test_a_body_that_is_not_utf8_is_a_documented_400(client, shenzhen, spec):
    response = client.post("/api/v1/pools", headers=shenzhen.headers("city_admin"),
                           data=b"\xff\xfe{", content_type="application/json")
    assert response.status_code == 400
    assert "400" in documented(spec, "post", "/pools")
    with_json_bodies = [(path, method) for path, operations in spec["paths"].items()
                        for method, operation in operations.items() if method != "parameters"
                        if "application/json" in operation.get("requestBody", {}).get("content", {})]
    assert with_json_bodies
    assert [(path, method) for path, method in with_json_bodies
            if "400" not in spec["paths"][path][method]["responses"]] == []


def test_a_bad_idempotency_key_is_a_documented_422(client, shenzhen, spec):
    response = client.post("/api/v1/tokens/1/revoke", headers={
        **shenzhen.headers("city_admin"), "Idempotency-Key": "x" * 201})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "Idempotency-Key"
    assert "422" in documented(spec, "post", "/tokens/{token_id}/revoke")


def test_listing_accounts_within_an_unknown_pool_is_a_documented_404(client, shenzhen, spec):
    response = client.get("/api/v1/accounts?within=000000",
                          headers=shenzhen.headers("city_admin"))
    assert response.status_code == 404
    assert "404" in documented(spec, "get", "/accounts")


def test_closing_a_month_that_is_not_a_month_is_a_documented_422(client, shenzhen, spec):
    response = client.post("/api/v1/periods/2026-13/close", headers=shenzhen.headers("city_admin"))
    assert response.status_code == 422
    assert "422" in documented(spec, "post", "/periods/{month}/close")


@pytest.mark.parametrize("path, name", [("/holds/{hold_id}", "hold_id"),
                                        ("/donations/{donation_id}", "donation_id"),
                                        ("/entries/{entry_id}", "entry_id"),
                                        ("/proposals/{proposal_id}", "proposal_id")])
def test_an_id_too_big_for_the_database_is_not_found(client, shenzhen, spec, path, name):
    url = "/api/v1" + path.replace(f"{{{name}}}", str(2**72))
    response = client.get(url, headers=shenzhen.headers("city_admin"))
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    [parameter] = [p for p in spec["paths"][f"/api/v1{path}"]["parameters"] if p["name"] == name]
    assert parameter["schema"]["maximum"] == 2**63 - 1


def test_a_year_too_big_for_the_database_is_not_found(client, shenzhen):
    response = client.get(f"/api/v1/ledger/year-ends/{2**63 - 2}",
                          headers=shenzhen.headers("auditor"))
    assert response.status_code == 404
    assert response.json["errors"][0]["field"] == "year"
