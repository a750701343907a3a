"""The answer to POST /donations is built from what the request wrote, not read back: it
must be exactly what GET /donations/{id} shows afterwards, for every kind of gift."""

import pytest

from fundpool.ledger.posting import today

STREET = "440304001"
FUND = "ELDER-440304001"
ELDER = {"code": FUND, "name": "南园街道助老专项基金", "kind": "special", "pool_code": STREET,
         "restricted": True, "restriction": {"categories": ["elderly_in_difficulty"]}}


@pytest.fixture
def admin(shenzhen):
    return shenzhen.headers("street_admin")


@pytest.fixture
def donor(client, admin):
    assert client.post("/api/v1/funds", headers=admin, json=ELDER).status_code == 201
    book = client.post(f"/api/v1/pools/{STREET}/receipt-books", headers=admin, json={
        "code": "44030001", "first_number": "0000000101", "last_number": "0000000200"})
    assert book.status_code == 201, book.json
    return client.post("/api/v1/donors", headers=admin, json={
        "kind": "individual", "name": "张三", "id_number": "440304199001011234"}).json


@pytest.mark.parametrize("fund, extra", [
    (FUND, {}),
    (STREET, {"channel": "wechat_pay", "issue_receipt": False}),
    (FUND, {"channel": "in_kind", "in_kind_description": "轮椅 10 台",
            "valuation_basis": "发票 No.12345678"}),
    (FUND, {"pass_through": {"recipient": "南园街道 王某某", "note": "转入监护人账户"}}),
], ids=["receipted", "no receipt", "in kind", "pass-through"])
def test_the_answer_is_what_is_stored(client, admin, donor, fund, extra):
    body = {"donor_id": donor["id"], "fund": fund, "amount": "1000.00",
            "channel": "bank_transfer", "channel_ref": "REF-1",
            "received_date": today().isoformat(), "purpose": "重阳节助老", **extra}
    headers = {**admin, "Idempotency-Key": "k-1"}
    made = client.post("/api/v1/donations", headers=headers, json=body)
    assert made.status_code == 201, made.json
    stored = client.get(f"/api/v1/donations/{made.json['id']}", headers=admin)
    assert made.json == stored.json
    assert made.json["donor"]["id_number"] == "440*************34"
    replayed = client.post("/api/v1/donations", headers=headers, json=body)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json == made.json


def test_the_receipt_in_the_answer_is_the_one_stored(client, admin, donor):
    numbers = []
    for n in range(3):
        made = client.post("/api/v1/donations", headers=admin, json={
            "donor_id": donor["id"], "fund": FUND, "amount": "1.00", "channel": "cash",
            "channel_ref": f"CASH-{n}", "received_date": today().isoformat()})
        assert made.status_code == 201, made.json
        numbers.append(made.json["receipt"]["number"])
        stored = client.get(f"/api/v1/donations/{made.json['id']}", headers=admin).json
        assert stored["receipt"] == made.json["receipt"]
    assert numbers == ["0000000101", "0000000102", "0000000103"]
