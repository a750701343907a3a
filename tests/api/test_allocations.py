"""Allocations: down and back up the hierarchy; restricted money keeps its restriction."""

import pytest

DISTRICT, STREET, OTHER_DISTRICT_STREET = "440304", "440304001", "440303001"


@pytest.fixture
def funded(client, shenzhen):
    """福田区's general fund holds 10,000.00 CNY."""
    city = shenzhen.headers("city_admin")
    response = client.post("/api/v1/entries", headers=city, json={
        "memo": "市级拨入", "postings": [
            {"account": f"{DISTRICT}:1002:CNY", "side": "debit", "amount": "10000.00"},
            {"account": f"{DISTRICT}:410101:CNY", "side": "credit", "amount": "10000.00"}]})
    assert response.status_code == 201
    return shenzhen.headers("district_admin")


def allocate(client, headers, source, target, amount, **extra):
    return client.post("/api/v1/allocations", headers=headers, json={
        "source_fund": source, "target_fund": target, "amount": amount, **extra})


def balance(client, headers, code):
    return client.get(f"/api/v1/accounts/{code}:1002:CNY", headers=headers).json["available"]


def test_down_then_back_up(client, shenzhen, funded):
    down = allocate(client, funded, DISTRICT, STREET, "3000.00", memo="第四季度拨付")
    assert down.status_code == 201, down.json
    assert down.json["direction"] == "down"
    assert balance(client, funded, DISTRICT) == "7000.00"
    assert balance(client, funded, STREET) == "3000.00"
    up = allocate(client, shenzhen.headers("street_admin"), STREET, DISTRICT, "500.00")
    assert up.status_code == 201
    assert up.json["direction"] == "up"
    assert balance(client, funded, STREET) == "2500.00"
    listed = client.get(f"/api/v1/allocations?fund={STREET}", headers=funded).json["items"]
    assert [a["direction"] for a in listed] == ["down", "up"]


def test_the_sender_can_never_go_below_zero(client, funded, snapshot):
    before = snapshot()
    response = allocate(client, funded, DISTRICT, STREET, "10000.01")
    assert response.status_code == 409
    assert response.json["type"] == "urn:fundpool:problem:insufficient-funds"
    assert snapshot() == before


def test_sideways_between_branches_is_refused(client, shenzhen, funded):
    response = allocate(client, shenzhen.headers("city_admin"), DISTRICT, OTHER_DISTRICT_STREET,
                        "1.00")
    assert response.status_code == 422
    assert "neither above nor below" in response.json["detail"]


def test_a_street_admin_cannot_send_from_the_district(client, shenzhen, funded, snapshot):
    before = snapshot()
    response = allocate(client, shenzhen.headers("street_admin"), DISTRICT, STREET, "1.00")
    assert response.status_code == 403
    assert snapshot() == before


def test_restricted_money_never_becomes_unrestricted(client, shenzhen, funded):
    named = {"code": "PINGAN-440304", "name": "平安冠名基金", "kind": "named",
             "named_for": "平安银行", "pool_code": DISTRICT, "restricted": True,
             "restriction": {"categories": ["children_in_difficulty"]}}
    assert client.post("/api/v1/funds", headers=funded, json=named).status_code == 201
    allocate(client, funded, DISTRICT, "PINGAN-440304", "2000.00")
    street_admin = shenzhen.headers("street_admin")
    kids = {"code": "KIDS-440304001", "name": "困境儿童基金", "kind": "special",
            "pool_code": STREET, "restricted": True,
            "restriction": {"categories": ["children_in_difficulty"]}}
    assert client.post("/api/v1/funds", headers=street_admin, json=kids).status_code == 201
    refused = allocate(client, funded, "PINGAN-440304", STREET, "100.00")
    assert refused.status_code == 422
    assert "the target is unrestricted" in refused.json["detail"]
    wider = {**kids, "code": "ALL-440304001", "restriction": {
        "categories": ["children_in_difficulty", "disability"]}}
    client.post("/api/v1/funds", headers=street_admin, json=wider)
    assert allocate(client, funded, "PINGAN-440304", "ALL-440304001", "1.00").status_code == 422
    kept = allocate(client, funded, "PINGAN-440304", "KIDS-440304001", "100.00")
    assert kept.status_code == 201, kept.json
