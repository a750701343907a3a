"""Pools over HTTP: create, list, read, close, and the subtree filter."""

import pytest


def test_street_admin_creates_a_community_in_its_street(client, shenzhen):
    response = client.post("/api/v1/pools", headers=shenzhen.headers("street_admin"), json={
        "code": "440304001003", "name": "南园社区", "level": "community",
        "parent_code": "440304001"})
    assert response.status_code == 201
    body = response.json
    assert body["code"] == "440304001003"
    assert body["name"] == "南园社区"
    assert body["parent_code"] == "440304001"
    assert body["status"] == "open"
    assert body["children"] == []
    read = client.get("/api/v1/pools/440304001", headers=shenzhen.headers("auditor")).json
    assert "440304001003" in [child["code"] for child in read["children"]]


def test_reading_a_pool_shows_its_children_in_code_order(client, shenzhen):
    body = client.get("/api/v1/pools/440304", headers=shenzhen.headers("foundation")).json
    assert body["name"] == "福田区"
    assert body["level"] == "district"
    assert body["parent_code"] == "440300"
    assert [c["code"] for c in body["children"]] == ["440304001", "440304002"]


def test_unknown_pool_is_404_naming_the_code(client, shenzhen):
    response = client.get("/api/v1/pools/440399", headers=shenzhen.headers("auditor"))
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["errors"] == [{"field": "code",
                                        "message": "there is no pool with code 440399"}]


def test_list_filters_by_level_parent_and_subtree(client, shenzhen):
    headers = shenzhen.headers("auditor")

    def codes(query):
        response = client.get(f"/api/v1/pools?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [pool["code"] for pool in response.json["items"]]

    assert codes("level=district") == ["440303", "440304"]
    assert codes("parent=440304001") == ["440304001001", "440304001002"]
    assert codes("within=440304001") == ["440304001", "440304001001", "440304001002"]
    assert codes("within=440304&level=community") == [
        "440304001001", "440304001002", "440304002001"]
    assert len(codes("within=440300")) == 9


def test_cursor_pagination_walks_every_pool_once(client, shenzhen):
    headers = shenzhen.headers("auditor")
    seen, cursor = [], None
    while True:
        url = "/api/v1/pools?limit=4" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=headers).json
        assert len(body["items"]) <= 4
        seen += [pool["code"] for pool in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 9


@pytest.mark.parametrize("query, field", [
    ("cursor=not-a-cursor", "cursor"), ("limit=0", "limit"), ("limit=501", "limit"),
    ("level=province", "level"), ("within=12", "within"), ("colour=red", "colour"),
])
def test_bad_list_queries_name_the_parameter(client, shenzhen, query, field):
    response = client.get(f"/api/v1/pools?{query}", headers=shenzhen.headers("auditor"))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert field in [error["field"] for error in response.json["errors"]]


@pytest.mark.parametrize("body", [
    {"code": "440304001003\n", "parent_code": "440304001"},
    {"code": "440304001003", "parent_code": "440304001\n"},
])
def test_a_code_with_a_trailing_newline_is_refused_naming_it(client, shenzhen, body):
    """A division code is digits only: a ``$`` pattern let a trailing newline through."""
    response = client.post("/api/v1/pools", headers=shenzhen.headers("street_admin"),
                           json={"name": "南园社区", "level": "community", **body})
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == [
        "code" if body["code"].endswith("\n") else "parent_code"]


@pytest.mark.parametrize("query", ["parent=440304%0A", "within=440304%0A"])
def test_a_list_filter_with_a_trailing_newline_is_refused(client, shenzhen, query):
    response = client.get(f"/api/v1/pools?{query}", headers=shenzhen.headers("auditor"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == [query.split("=")[0]]


def test_closing_a_community_then_its_street(client, shenzhen, db):
    headers = shenzhen.headers("street_admin")
    refused = client.post("/api/v1/pools/440304001/close", headers=headers, json={})
    assert refused.status_code == 409
    assert "still has open pools below it" in refused.json["detail"]
    for code in ("440304001001", "440304001002"):
        closed = client.post(f"/api/v1/pools/{code}/close", headers=headers,
                             json={"reason": "merged into 南园社区"})
        assert closed.status_code == 200
        assert closed.json["status"] == "closed"
        assert closed.json["closed_at"] is not None
    assert client.post("/api/v1/pools/440304001/close", headers=headers,
                       json={}).status_code == 200
    again = client.post("/api/v1/pools/440304001/close", headers=headers, json={})
    assert again.status_code == 409
    assert "already closed" in again.json["detail"]


def _donate(client, headers, fund, ref, amount="100.00"):
    donor = client.post("/api/v1/donors", headers=headers,
                        json={"kind": "individual", "name": "张三"}).json
    return client.post("/api/v1/donations", headers=headers, json={
        "donor_id": donor["id"], "fund": fund, "amount": amount, "channel": "bank_transfer",
        "channel_ref": ref, "received_date": "2026-11-20", "issue_receipt": False})


def test_a_closed_pools_general_fund_takes_no_donation_or_allocation(client, shenzhen):
    headers, community = shenzhen.headers("street_admin"), "440304001002"
    assert _donate(client, headers, "440304001", "TO-STREET", "500.00").status_code == 201
    assert client.post(f"/api/v1/pools/{community}/close", headers=headers,
                       json={"reason": "撤并"}).status_code == 200
    fund = client.get(f"/api/v1/funds/{community}", headers=headers).json
    assert fund["status"] == "closed"
    gift = _donate(client, headers, community, "CLOSED-1")
    assert gift.status_code == 409, gift.json
    assert gift.json["errors"][0]["field"] == "fund"
    allocation = client.post("/api/v1/allocations", headers=headers, json={
        "source_fund": "440304001", "target_fund": community, "amount": "100.00"})
    assert allocation.status_code == 409, allocation.json
    assert allocation.json["errors"][0]["field"] == "target_fund"


def test_a_pool_whose_funds_still_hold_money_does_not_close(client, shenzhen):
    headers, community = shenzhen.headers("street_admin"), "440304001002"
    assert client.post("/api/v1/funds", headers=headers, json={
        "code": "COMM-440304001002", "name": "社区基金", "kind": "community",
        "pool_code": community, "restricted": False}).status_code == 201
    assert _donate(client, headers, "COMM-440304001002", "KEEP-1").status_code == 201
    refused = client.post(f"/api/v1/pools/{community}/close", headers=headers, json={})
    assert refused.status_code == 409
    assert "COMM-440304001002:1002:CNY (100.00 CNY)" in refused.json["detail"]
    assert client.get(f"/api/v1/pools/{community}", headers=headers).json["status"] == "open"
    assert client.post("/api/v1/allocations", headers=headers, json={
        "source_fund": "COMM-440304001002", "target_fund": community,
        "amount": "100.00"}).status_code == 201
    assert client.post(f"/api/v1/pools/{community}/close", headers=headers,
                       json={}).status_code == 409          # now in its general fund
    assert client.post("/api/v1/allocations", headers=headers, json={
        "source_fund": community, "target_fund": "440304001",
        "amount": "100.00"}).status_code == 201
    assert client.post(f"/api/v1/pools/{community}/close", headers=headers,
                       json={}).status_code == 200
    for code in (community, "COMM-440304001002"):
        assert client.get(f"/api/v1/funds/{code}", headers=headers).json["status"] == "closed"


def test_no_pool_can_be_created_under_a_closed_pool(client, shenzhen):
    headers = shenzhen.headers("street_admin")
    client.post("/api/v1/pools/440304001001/close", headers=headers, json={})
    client.post("/api/v1/pools/440304001002/close", headers=headers, json={})
    client.post("/api/v1/pools/440304001/close", headers=headers, json={})
    response = client.post("/api/v1/pools", headers=shenzhen.headers("district_admin"), json={
        "code": "440304001003", "name": "新社区", "level": "community", "parent_code": "440304001"})
    assert response.status_code == 409
    assert response.json["errors"][0]["field"] == "parent_code"


def test_there_is_no_way_to_delete_a_pool(client, shenzhen):
    response = client.delete("/api/v1/pools/440304001001", headers=shenzhen.headers("city_admin"))
    assert response.status_code == 405
    assert response.content_type == "application/problem+json"
