"""Tokens: issued and revoked by admins within scope; stored only as hashes."""

import hashlib

from sqlalchemy import select

from fundpool.auth.models import ApiToken


def issue(client, shenzhen, who, **body):
    return client.post("/api/v1/tokens", headers=shenzhen.headers(who), json=body)


def test_an_issued_token_works_and_only_its_hash_is_stored(client, shenzhen, db):
    response = issue(client, shenzhen, "district_admin", name="园岭街道 管理员", role="admin",
                     pool_code="440304002")
    assert response.status_code == 201
    secret = response.json["token"]
    assert secret.startswith("fp_")
    assert response.json["pool_code"] == "440304002"
    with db.sessions() as session:
        stored = session.scalar(select(ApiToken).where(ApiToken.id == response.json["id"]))
        assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in repr(session.execute(select(ApiToken.__table__)).all())
    created = client.post("/api/v1/pools", headers={"Authorization": f"Bearer {secret}"}, json={
        "code": "440304002002", "name": "香蜜社区", "level": "community",
        "parent_code": "440304002"})
    assert created.status_code == 201


def test_admins_issue_tokens_only_inside_their_scope(client, shenzhen, snapshot):
    before = snapshot()
    response = issue(client, shenzhen, "street_admin", name="x", role="admin", pool_code="440304")
    assert response.status_code == 403
    assert response.json["errors"][0]["field"] == "pool_code"
    assert snapshot() == before


def test_only_a_city_admin_issues_auditor_and_foundation_tokens(client, shenzhen):
    assert issue(client, shenzhen, "district_admin", name="审计", role="auditor").status_code == 403
    assert issue(client, shenzhen, "auditor", name="审计", role="auditor").status_code == 403
    response = issue(client, shenzhen, "city_admin", name="审计事务所", role="auditor")
    assert response.status_code == 201
    assert response.json["pool_code"] is None


def test_bad_token_requests_name_the_field(client, shenzhen):
    cases = [({"name": "x", "role": "root"}, 422, "role"),
             ({"name": "x", "role": "admin"}, 422, "pool_code"),
             ({"name": "x", "role": "admin", "pool_code": "440399"}, 404, "pool_code"),
             ({"role": "auditor"}, 422, "name")]
    for body, status, field in cases:
        response = issue(client, shenzhen, "city_admin", **body)
        assert response.status_code == status, body
        assert field in [error["field"] for error in response.json["errors"]]


def test_a_revoked_token_gets_401_at_once(client, shenzhen):
    made = issue(client, shenzhen, "district_admin", name="临时", role="admin",
                 pool_code="440304001").json
    headers = {"Authorization": f"Bearer {made['token']}"}
    assert client.get("/api/v1/pools", headers=headers).status_code == 200
    revoked = client.post(f"/api/v1/tokens/{made['id']}/revoke",
                          headers=shenzhen.headers("district_admin"))
    assert revoked.status_code == 200
    assert revoked.json["revoked_at"] is not None
    response = client.get("/api/v1/pools", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json["detail"]
    again = client.post(f"/api/v1/tokens/{made['id']}/revoke",
                        headers=shenzhen.headers("district_admin"))
    assert again.status_code == 409


def test_an_admin_cannot_revoke_a_token_above_its_scope(client, shenzhen, snapshot):
    listing = client.get("/api/v1/tokens?limit=500", headers=shenzhen.headers("city_admin")).json
    district = next(t for t in listing["items"] if t["pool_code"] == "440304")
    before = snapshot()
    response = client.post(f"/api/v1/tokens/{district['id']}/revoke",
                           headers=shenzhen.headers("street_admin"))
    assert response.status_code == 403
    assert snapshot() == before


def test_token_lists_show_what_the_viewer_manages_and_no_secrets(client, shenzhen):
    everything = client.get("/api/v1/tokens", headers=shenzhen.headers("city_admin")).json
    assert {t["role"] for t in everything["items"]} == {"admin", "auditor", "foundation"}
    assert all("token" not in t for t in everything["items"])
    street = client.get("/api/v1/tokens", headers=shenzhen.headers("street_admin")).json
    assert sorted(t["pool_code"] for t in street["items"]) == ["440304001", "440304001001"]
    assert client.get("/api/v1/tokens", headers=shenzhen.headers("auditor")).status_code == 403


def test_a_district_admin_lists_no_auditor_or_foundation_token_even_one_given_a_pool(
        client, shenzhen):
    """Only a city admin manages auditor and foundation tokens, so only it lists them, also
    one the city admin gave a pool in a district's subtree."""
    for role in ("auditor", "foundation"):
        assert issue(client, shenzhen, "city_admin", name=f"南园 {role}", role=role,
                     pool_code="440304001").status_code == 201
    listed = client.get("/api/v1/tokens?limit=500", headers=shenzhen.headers("district_admin")).json
    assert {t["role"] for t in listed["items"]} == {"admin"}
    everything = client.get("/api/v1/tokens?limit=500", headers=shenzhen.headers("city_admin")).json
    assert {"南园 auditor", "南园 foundation"} <= {t["name"] for t in everything["items"]}
