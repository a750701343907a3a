"""Who may do what to pools: each role's allowed and refused actions."""

import pytest

NEW_COMMUNITY = {"code": "440304001003", "name": "南园社区", "level": "community",
                 "parent_code": "440304001"}
NEW_STREET = {"code": "440304003", "name": "华富街道", "level": "street", "parent_code": "440304"}
OTHER_DISTRICT_STREET = {"code": "440303002", "name": "黄贝街道", "level": "street",
                         "parent_code": "440303"}


@pytest.mark.parametrize("who, body, status", [
    ("city_admin", NEW_COMMUNITY, 201),
    ("city_admin", OTHER_DISTRICT_STREET, 201),
    ("district_admin", NEW_STREET, 201),
    ("district_admin", NEW_COMMUNITY, 201),
    ("district_admin", OTHER_DISTRICT_STREET, 403),
    ("street_admin", NEW_COMMUNITY, 201),
    ("street_admin", NEW_STREET, 403),
    ("other_street_admin", NEW_COMMUNITY, 403),
    ("community_admin", NEW_COMMUNITY, 403),
    ("auditor", NEW_COMMUNITY, 403),
    ("foundation", NEW_COMMUNITY, 403),
])
def test_creating_pools_by_role_and_scope(client, shenzhen, snapshot, who, body, status):
    before = snapshot()
    response = client.post("/api/v1/pools", headers=shenzhen.headers(who), json=body)
    assert response.status_code == status, response.json
    if status == 403:
        assert response.content_type == "application/problem+json"
        assert snapshot() == before


def test_a_street_admin_writing_to_another_street_gets_403_and_nothing_changes(
        client, shenzhen, snapshot):
    before = snapshot()
    headers = shenzhen.headers("other_street_admin")
    create = client.post("/api/v1/pools", headers=headers, json=NEW_COMMUNITY)
    close = client.post("/api/v1/pools/440304001001/close", headers=headers, json={})
    for response in (create, close):
        assert response.status_code == 403
        assert "outside your scope (pool 440304002 and below)" in response.json["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("who, status", [
    ("city_admin", 200), ("district_admin", 200), ("street_admin", 200),
    ("community_admin", 200), ("other_street_admin", 403), ("auditor", 403), ("foundation", 403),
])
def test_closing_a_community_by_role_and_scope(client, shenzhen, snapshot, who, status):
    before = snapshot()
    response = client.post("/api/v1/pools/440304001001/close", headers=shenzhen.headers(who),
                           json={})
    assert response.status_code == status
    if status == 403:
        assert snapshot() == before


@pytest.mark.parametrize("who", ["city_admin", "street_admin", "auditor", "foundation"])
def test_every_role_reads_the_hierarchy(client, shenzhen, who):
    assert client.get("/api/v1/pools", headers=shenzhen.headers(who)).status_code == 200
    assert client.get("/api/v1/pools/440303", headers=shenzhen.headers(who)).status_code == 200


@pytest.mark.parametrize("headers, says", [
    ({}, "needs an API token"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, "needs an API token"),
    ({"Authorization": "Bearer fp_not-a-real-token"}, "not known"),
])
def test_requests_without_a_valid_token_get_401(client, shenzhen, headers, says):
    for method, url in (("get", "/api/v1/pools"), ("post", "/api/v1/pools"),
                        ("get", "/api/v1/tokens"), ("get", "/api/v1/audit-events")):
        response = getattr(client, method)(url, headers=headers, json={})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert says in response.json["detail"]


def test_open_endpoints_need_no_token(client):
    for url in ("/api/v1/health", "/api/v1/ready", "/api/v1/openapi.json"):
        assert client.get(url).status_code == 200
