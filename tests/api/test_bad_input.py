"""Bad input gets a 4xx problem+json naming the field, and changes nothing."""

import pytest

GOOD = {"code": "440304001003", "name": "南园社区", "level": "community", "parent_code": "440304001"}


def with_(**changes):
    body = dict(GOOD, **changes)
    return {k: v for k, v in body.items() if v is not ...}


CASES = [
    ("wrong type", with_(name=42), 422, "name"),
    ("missing field", with_(level=...), 422, "level"),
    ("unknown field", with_(colour="red"), 422, "colour"),
    ("null name", with_(name=None), 422, "name"),
    ("empty name", with_(name=""), 422, "name"),
    ("code of wrong length", with_(code="4403040010"), 422, "code"),
    ("code not digits", with_(code="44030400100x"), 422, "code"),
    ("code with wrong prefix", with_(code="440304002003"), 422, "code"),
    ("level skips one", with_(code="440304003", level="street", parent_code="440300"), 422,
     "parent_code"),
    ("level/code mismatch", with_(level="street"), 422, "code"),
    ("unknown level", with_(level="province"), 422, "level"),
    ("parent does not exist", with_(code="440304009001", parent_code="440304009"), 404,
     "parent_code"),
    ("duplicate code", with_(code="440304001001", name="滨河社区"), 409, "code"),
]


@pytest.mark.parametrize("case, body, status, field", CASES, ids=[c[0] for c in CASES])
def test_bad_pool_is_refused_and_nothing_changes(client, shenzhen, snapshot, case, body, status,
                                                 field):
    before = snapshot()
    response = client.post("/api/v1/pools", headers=shenzhen.headers("city_admin"), json=body)
    assert response.status_code == status, response.json
    assert response.content_type == "application/problem+json"
    problem = response.json
    assert problem["status"] == status
    assert problem["detail"]
    assert field in [error["field"] for error in problem["errors"]]
    assert snapshot() == before


def test_malformed_json_is_400(client, shenzhen, snapshot):
    before = snapshot()
    response = client.post("/api/v1/pools", headers=shenzhen.headers("city_admin"),
                           data='{"code": "440304001003",', content_type="application/json")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.json["detail"].startswith("The body is not valid JSON: Expecting")
    assert "line 1, column 25" in response.json["detail"]
    assert snapshot() == before


def test_oversized_body_is_413(client, shenzhen, snapshot):
    before = snapshot()
    response = client.post("/api/v1/pools", headers=shenzhen.headers("city_admin"),
                           json=with_(name="社" * 600_000))
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert "larger than the 1048576 bytes allowed" in response.json["detail"]
    assert snapshot() == before


def test_several_errors_are_all_reported(client, shenzhen):
    response = client.post("/api/v1/pools", headers=shenzhen.headers("city_admin"),
                           json={"code": "12", "level": "moon"})
    fields = sorted(error["field"] for error in response.json["errors"])
    assert fields == ["code", "level", "name"]
    assert "(and 2 more)" in response.json["detail"]


def test_a_city_cannot_be_created_over_http(client, shenzhen, snapshot):
    before = snapshot()
    response = client.post("/api/v1/pools", headers=shenzhen.headers("city_admin"), json={
        "code": "440100", "name": "广州市", "level": "city"})
    assert response.status_code == 403
    assert "fundpool pools import" in response.json["detail"]
    assert snapshot() == before
