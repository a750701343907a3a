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
    assert [e["field"] for e in response.json["errors"]] == ["amount"]
    assert snapshot() == before


def test_a_currency_the_funds_do_not_keep_is_422_on_currency(client, shenzhen, funded, snapshot):
    before = snapshot()
    response = allocate(client, funded, DISTRICT, STREET, "1.00", currency="USD")
    assert response.status_code == 422, response.json
    assert response.json["errors"] == [{"field": "currency", "message":
                                        "fund 440304001 keeps no USD accounts; open them first"}]
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


@pytest.fixture
def spread(client, shenzhen, funded):
    """Allocations all over the small city; returns their ids by name."""
    city = shenzhen.headers("city_admin")
    assert client.post("/api/v1/entries", headers=city, json={
        "memo": "罗湖区拨入", "postings": [
            {"account": "440303:1002:CNY", "side": "debit", "amount": "500.00"},
            {"account": "440303:410101:CNY", "side": "credit", "amount": "500.00"}]}
    ).status_code == 201
    made = {}
    for name, headers, source, target, amount in (
            ("to_street", funded, DISTRICT, STREET, "30.00"),
            ("to_other_street", funded, DISTRICT, "440304002", "10.00"),
            ("luohu", city, "440303", OTHER_DISTRICT_STREET, "10.00"),
            ("to_community", shenzhen.headers("street_admin"), STREET, "440304001001", "10.00"),
            ("back_up", shenzhen.headers("street_admin"), STREET, DISTRICT, "10.00")):
        response = allocate(client, headers, source, target, amount)
        assert response.status_code == 201, response.json
        made[name] = response.json["id"]
    return made


def listed(client, headers, query=""):
    response = client.get(f"/api/v1/allocations?limit=500{query}", headers=headers)
    assert response.status_code == 200, response.json
    return [a["id"] for a in response.json["items"]]


@pytest.mark.parametrize("who, expected", [
    ("street_admin", ["to_street", "to_community", "back_up"]),
    ("other_street_admin", ["to_other_street"]),
    ("community_admin", ["to_community"]),
    ("district_admin", ["to_street", "to_other_street", "to_community", "back_up"]),
    ("city_admin", ["to_street", "to_other_street", "luohu", "to_community", "back_up"]),
    ("auditor", ["to_street", "to_other_street", "luohu", "to_community", "back_up"]),
    ("foundation", []),
])
def test_each_admin_lists_the_allocations_touching_its_subtree(client, shenzhen, spread, who,
                                                                expected):
    assert listed(client, shenzhen.headers(who)) == [spread[name] for name in expected]


def test_within_narrows_to_a_subtree_inside_your_own(client, shenzhen, spread):
    district = shenzhen.headers("district_admin")
    assert listed(client, district, "&within=440304002") == [spread["to_other_street"]]
    assert listed(client, shenzhen.headers("auditor"), "&within=440303") == [spread["luohu"]]
    outside = client.get("/api/v1/allocations?within=440304", headers=shenzhen.headers(
        "street_admin"))
    assert outside.status_code == 403
    assert outside.json["errors"][0]["field"] == "within"
    unknown = client.get("/api/v1/allocations?within=440304099", headers=district)
    assert unknown.status_code == 404


def test_the_fund_filter_and_pages_work_in_a_subtree(client, shenzhen, spread):
    district = shenzhen.headers("district_admin")
    assert listed(client, district, f"&fund={STREET}") == [
        spread["to_street"], spread["to_community"], spread["back_up"]]
    assert client.get("/api/v1/allocations?fund=440303", headers=district).status_code == 403
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/allocations?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                          headers=district).json
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == listed(client, district)


def test_a_foundation_lists_the_allocations_of_its_granted_funds(client, shenzhen, spread):
    tokens = client.get("/api/v1/tokens?limit=500", headers=shenzhen.headers("city_admin")).json
    token_id = next(t["id"] for t in tokens["items"] if t["role"] == "foundation")
    assert client.post(f"/api/v1/funds/{STREET}/grants", headers=shenzhen.headers(
        "street_admin"), json={"token_id": token_id}).status_code == 201
    foundation = shenzhen.headers("foundation")
    assert listed(client, foundation) == [spread["to_street"], spread["to_community"],
                                          spread["back_up"]]
    assert listed(client, foundation, "&within=440304001001") == [spread["to_community"]]
    assert client.get(f"/api/v1/allocations?fund={DISTRICT}",
                      headers=foundation).status_code == 403
