"""Pass-through gifts over HTTP: recording one, paying it on, refusals, scope, replay,
and concurrent payments on PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from fundpool.ledger.posting import today

STREET = "440304001"
FUND = "ELDER-440304001"
ELDER = {"code": FUND, "name": "南园街道助老专项基金", "kind": "special", "pool_code": STREET,
         "restricted": True, "restriction": {"categories": ["elderly_in_difficulty"]}}
RECIPIENT = "南园街道 王某某（重病患儿家庭）"


@pytest.fixture
def admin(shenzhen):
    return shenzhen.headers("street_admin")


@pytest.fixture
def donor(client, admin):
    assert client.post("/api/v1/funds", headers=admin, json=ELDER).status_code == 201
    book = client.post(f"/api/v1/pools/{STREET}/receipt-books", headers=admin, json={
        "code": "44030001", "first_number": "0000000101", "last_number": "0000000200"})
    assert book.status_code == 201, book.json
    return client.post("/api/v1/donors", headers=admin,
                       json={"kind": "individual", "name": "张三"}).json


def give(client, headers, donor, **extra):
    return client.post("/api/v1/donations", headers=headers, json={
        "donor_id": donor["id"], "fund": FUND, "amount": "1000.00", "channel": "bank_transfer",
        "channel_ref": "BOC-PT-1", "received_date": today().isoformat(), "purpose": "指定受助人",
        "pass_through": {"recipient": RECIPIENT, "note": "转入监护人账户"}, **extra})


def pay_on(client, headers, donation_id, amount, **extra):
    return client.post(f"/api/v1/donations/{donation_id}/pay-on",
                       headers={**headers, **extra.pop("extra_headers", {})},
                       json={"amount": amount, "paid_date": today().isoformat(),
                             "reference": "TRF-1", "memo": "首笔", **extra})


def fund_balances(client, headers):
    accounts = client.get(f"/api/v1/funds/{FUND}", headers=headers).json["accounts"]
    return {a["chart_code"]: a["balance"] for a in accounts}


@pytest.fixture
def gift(client, admin, donor):
    response = give(client, admin, donor)
    assert response.status_code == 201, response.json
    return response.json


def test_a_pass_through_gift_is_held_for_its_recipient_not_income(client, admin, gift):
    assert gift["receipt"] is None
    assert gift["pass_through"] == {"recipient": RECIPIENT, "note": "转入监护人账户",
                                    "paid_on": "0.00", "outstanding": "1000.00", "payments": []}
    balances = fund_balances(client, admin)
    assert (balances["1701"], balances["2601"]) == ("1000.00", "1000.00")
    assert (balances["1002"], balances["410102"]) == ("0.00", "0.00")
    read = client.get(f"/api/v1/donations/{gift['id']}", headers=admin).json
    assert read["pass_through"]["outstanding"] == "1000.00"


def test_an_ordinary_gift_shows_no_pass_through(client, admin, donor):
    body = give(client, admin, donor, pass_through=None).json
    assert body["pass_through"] is None
    assert body["receipt"]["number"] == "0000000101"


def test_paid_on_in_two_parts(client, admin, gift):
    first = pay_on(client, admin, gift["id"], "600.00")
    assert first.status_code == 200, first.json
    assert first.json["pass_through"]["paid_on"] == "600.00"
    assert first.json["pass_through"]["outstanding"] == "400.00"
    rest = pay_on(client, admin, gift["id"], "400.00", reference="TRF-2", memo="")
    assert rest.status_code == 200, rest.json
    shown = rest.json["pass_through"]
    assert (shown["paid_on"], shown["outstanding"]) == ("1000.00", "0.00")
    assert [(p["amount"], p["reference"], p["memo"]) for p in shown["payments"]] == [
        ("600.00", "TRF-1", "首笔"), ("400.00", "TRF-2", "")]
    entry = client.get(f"/api/v1/entries/{shown['payments'][0]['entry_id']}", headers=admin).json
    assert entry["kind"] == "disbursement"
    balances = fund_balances(client, admin)
    assert (balances["1701"], balances["2601"]) == ("0.00", "0.00")


def test_paying_on_more_than_is_held_is_422_and_writes_nothing(client, admin, gift, snapshot):
    assert pay_on(client, admin, gift["id"], "700.00").status_code == 200
    before = snapshot()
    response = pay_on(client, admin, gift["id"], "300.01")
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["errors"][0]["field"] == "amount"
    assert response.json["detail"].startswith("At most 300.00 CNY of this gift is still held")
    assert snapshot() == before


@pytest.mark.parametrize("body, field", [
    ({"amount": "0.00"}, "amount"), ({"amount": "1.001"}, "amount"), ({"amount": 5}, "amount"),
    ({"paid_date": "2099-01-01"}, "paid_date"), ({"paid_date": None}, "paid_date"),
    ({"reference": "x" * 101}, "reference"),
])
def test_bad_payments_name_the_field(client, admin, gift, snapshot, body, field):
    before = snapshot()
    response = pay_on(client, admin, gift["id"], "1.00", **body) if "amount" not in body \
        else pay_on(client, admin, gift["id"], **body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json["errors"]], response.json
    assert snapshot() == before


def test_an_ordinary_gift_cannot_be_paid_on(client, admin, donor, snapshot):
    ordinary = give(client, admin, donor, pass_through=None).json
    before = snapshot()
    response = pay_on(client, admin, ordinary["id"], "1.00")
    assert response.status_code == 409
    assert response.json["errors"][0]["field"] == "donation_id"
    assert "not a pass-through gift" in response.json["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("who", ["other_street_admin", "auditor", "foundation"])
def test_only_admins_of_the_funds_subtree_pay_on(client, shenzhen, gift, snapshot, who):
    before = snapshot()
    response = pay_on(client, shenzhen.headers(who), gift["id"], "1.00")
    assert response.status_code == 403
    assert snapshot() == before


def test_a_district_admin_above_pays_on(client, shenzhen, gift):
    assert pay_on(client, shenzhen.headers("district_admin"), gift["id"], "1.00").status_code \
        == 200


def test_an_unknown_donation_is_404(client, admin, gift):
    assert pay_on(client, admin, 999_999, "1.00").status_code == 404


def test_a_retried_payment_is_replayed_not_paid_twice(client, admin, gift):
    key = {"Idempotency-Key": "pay-on-1"}
    first = pay_on(client, admin, gift["id"], "100.00", extra_headers=key)
    again = pay_on(client, admin, gift["id"], "100.00", extra_headers=key)
    assert again.status_code == first.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    read = client.get(f"/api/v1/donations/{gift['id']}", headers=admin).json
    assert read["pass_through"]["paid_on"] == "100.00"
    other = pay_on(client, admin, gift["id"], "200.00", extra_headers=key)
    assert other.status_code == 422


@pytest.mark.parametrize("extra, field", [
    ({"issue_receipt": True}, "issue_receipt"),
    ({"pass_through": {"recipient": ""}}, "pass_through.recipient"),
    ({"pass_through": {"note": "no one named"}}, "pass_through.recipient"),
    ({"pass_through": {"recipient": "   "}}, "pass_through.recipient"),
])
def test_bad_pass_through_gifts_name_the_field(client, admin, donor, snapshot, extra, field):
    before = snapshot()
    response = give(client, admin, donor, **extra)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json["errors"]], response.json
    assert snapshot() == before


def test_a_refund_is_limited_to_what_is_still_held(client, admin, gift):
    assert pay_on(client, admin, gift["id"], "600.00").status_code == 200
    too_much = client.post(f"/api/v1/donations/{gift['id']}/refund", headers=admin,
                           json={"amount": "400.01", "reason": "捐赠人撤回"})
    assert too_much.status_code == 422
    refunded = client.post(f"/api/v1/donations/{gift['id']}/refund", headers=admin,
                           json={"amount": "400.00", "reason": "捐赠人撤回"})
    assert refunded.status_code == 200, refunded.json
    assert refunded.json["refunded"] == "400.00"
    assert refunded.json["pass_through"]["outstanding"] == "0.00"
    assert pay_on(client, admin, gift["id"], "0.01").status_code == 422


def test_the_openapi_document_describes_pay_on(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/donations/{donation_id}/pay-on"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(operation["responses"])
    assert operation["tags"] == ["donations"]
    create = spec["components"]["schemas"]["DonationCreate"]["properties"]
    assert "pass_through" in create


@pytest.mark.postgres
def test_concurrent_payments_over_http_never_overpay(app, client, admin, gift):
    """16 requests of 100.00 at once on a 1000.00 gift: 10 land, 6 are refused."""
    barrier = Barrier(16)

    def one(n):
        own = app.test_client()
        barrier.wait()
        return pay_on(own, admin, gift["id"], "100.00", reference=f"TRF-{n}").status_code

    with ThreadPoolExecutor(16) as workers:
        statuses = sorted(workers.map(one, range(16)))
    assert statuses == [200] * 10 + [422] * 6
    read = client.get(f"/api/v1/donations/{gift['id']}", headers=admin).json
    assert read["pass_through"]["paid_on"] == "1000.00"
    assert len(read["pass_through"]["payments"]) == 10
    balances = fund_balances(client, admin)
    assert (balances["1701"], balances["2601"]) == ("0.00", "0.00")
