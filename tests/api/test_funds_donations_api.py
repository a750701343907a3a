"""Funds and donations over HTTP: set up, give, receipt, refund, scope, foundations."""

import pytest

STREET = "440304001"
ELDER = {"code": "ELDER-440304001", "name": "南园街道助老专项基金", "kind": "special",
         "pool_code": STREET, "restricted": True,
         "restriction": {"categories": ["elderly_in_difficulty"]}}


@pytest.fixture
def admin(shenzhen):
    return shenzhen.headers("street_admin")


@pytest.fixture
def ready(client, admin):
    """The elder fund, a donor, and a receipt book."""
    assert client.post("/api/v1/funds", headers=admin, json=ELDER).status_code == 201
    donor = client.post("/api/v1/donors", headers=admin, json={
        "kind": "individual", "name": "张三", "id_number": "440304199001011234"}).json
    book = client.post(f"/api/v1/pools/{STREET}/receipt-books", headers=admin, json={
        "code": "44030001", "first_number": "0000000101", "last_number": "0000000200"})
    assert book.status_code == 201, book.json
    return donor


def give(client, headers, donor, **extra):
    return client.post("/api/v1/donations", headers=headers, json={
        "donor_id": donor["id"], "fund": "ELDER-440304001", "amount": "1000.00",
        "channel": "bank_transfer", "channel_ref": "BOC-0001", "received_date": "2026-11-20",
        "purpose": "重阳节助老", **extra})


def test_a_donation_shows_its_receipt_and_the_fund_balance(client, admin, ready):
    response = give(client, admin, ready)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["amount"] == "1000.00"
    assert body["receipt"]["code"] == "44030001"
    assert body["receipt"]["number"] == "0000000101"
    fund = client.get("/api/v1/funds/ELDER-440304001", headers=admin).json
    bank = next(a for a in fund["accounts"] if a["chart_code"] == "1002")
    assert bank["balance"] == "1000.00"
    income = next(a for a in fund["accounts"] if a["chart_code"] == "410102")
    assert income["balance"] == "1000.00"


def test_identity_numbers_are_masked_except_for_auditors(client, shenzhen, admin, ready):
    assert give(client, admin, ready).status_code == 201  # the street admin reads its donors
    shown = client.get(f"/api/v1/donors/{ready['id']}", headers=admin).json
    assert shown["id_number"] == "440*************34"
    audited = client.get(f"/api/v1/donors/{ready['id']}", headers=shenzhen.headers("auditor")).json
    assert audited["id_number"] == "440304199001011234"
    assert ready["id_number"] == "440*************34"


@pytest.mark.parametrize("who, status", [
    ("street_admin", 200), ("district_admin", 200), ("city_admin", 200), ("auditor", 200),
    ("other_street_admin", 403), ("community_admin", 403), ("foundation", 403)])
def test_a_donor_is_read_by_the_admins_of_the_funds_they_gave_to(client, shenzhen, admin,
                                                                 ready, who, status):
    """A donor's name, contact and identity number are read by the admins of a subtree the
    donor gave to (who see them on those gifts anyway), the city's admins and auditors — not
    by every admin of the city."""
    assert give(client, admin, ready).status_code == 201
    read = client.get(f"/api/v1/donors/{ready['id']}", headers=shenzhen.headers(who))
    assert read.status_code == status, read.json
    if status == 403:
        assert read.content_type == "application/problem+json"
        assert "张三" not in read.get_data(as_text=True)
    else:
        assert read.json["name"] == "张三"


def test_a_donor_who_gave_nothing_yet_is_read_by_the_city_and_auditors(client, shenzhen, admin,
                                                                       ready):
    """No gift ties the donor to a pool yet: only those who read the whole city read it (the
    admin who registered it had it in the answer, and reads it again once a gift is in)."""
    url = f"/api/v1/donors/{ready['id']}"
    refused = client.get(url, headers=admin)
    assert refused.status_code == 403, refused.json
    assert f"Donor {ready['id']} has given nothing to a fund" in refused.json["detail"]
    assert [e["field"] for e in refused.json["errors"]] == ["donor_id"]
    for reader in ("city_admin", "auditor"):
        assert client.get(url, headers=shenzhen.headers(reader)).status_code == 200


@pytest.mark.parametrize("id_number, shown", [("H1234567", "H******7"),
                                              ("E12345678", "E*******8"),
                                              ("A12345", "A****5")])
def test_a_short_identity_number_shows_only_its_first_and_last_character(
        client, shenzhen, admin, id_number, shown):
    """A passport or Hong Kong identity card number is 6 to 9 characters: the 3 + 2 shown of
    a resident identity card would give away most of it."""
    donor = client.post("/api/v1/donors", headers=admin, json={
        "kind": "individual", "name": "陈大文", "id_number": id_number}).json
    assert donor["id_number"] == shown
    audited = client.get(f"/api/v1/donors/{donor['id']}", headers=shenzhen.headers("auditor"))
    assert audited.json["id_number"] == id_number


@pytest.mark.parametrize("id_number, shown", [("7", "*"), ("A1", "**"), ("A12", "***"),
                                              ("A1234", "*****")])
def test_a_number_shorter_than_any_identity_number_is_all_stars(client, shenzhen, db,
                                                                 id_number, shown):
    """No identity number is shorter than 6 characters, but one kept from a file or a typing
    slip may be: first and last would show it whole (or most of it), so none of it shows."""
    from fundpool.donations import service
    from tests.factories import ACTOR
    with db.transaction() as session:
        donor = service.create_donor(session, ACTOR, service.NewDonor(
            "individual", "陈大文", id_number=id_number))
    city = shenzhen.headers("city_admin")  # a donor with no gift is the city's to read
    assert client.get(f"/api/v1/donors/{donor.id}", headers=city).json["id_number"] == shown
    audited = client.get(f"/api/v1/donors/{donor.id}", headers=shenzhen.headers("auditor"))
    assert audited.json["id_number"] == id_number


def test_a_duplicate_channel_reference_is_409_and_writes_nothing(client, admin, ready, snapshot):
    give(client, admin, ready)
    before = snapshot()
    again = give(client, admin, ready)
    assert again.status_code == 409
    assert again.json["errors"][0]["field"] == "channel_ref"
    assert snapshot() == before


@pytest.mark.parametrize("extra, field", [
    ({"amount": "-1.00"}, "amount"), ({"amount": "1.001"}, "amount"), ({"amount": 5}, "amount"),
    ({"currency": "HKD"}, "currency"), ({"fund": "NOPE-1"}, "fund"),
    ({"channel": "cheque"}, "channel"),
])
def test_bad_donations_name_the_field(client, admin, ready, snapshot, extra, field):
    before = snapshot()
    response = give(client, admin, ready, **extra)
    assert 400 <= response.status_code < 500
    assert field in [e["field"] for e in response.json["errors"]], response.json
    assert snapshot() == before


def test_another_streets_admin_cannot_give_to_this_fund(client, shenzhen, ready, snapshot):
    before = snapshot()
    response = give(client, shenzhen.headers("other_street_admin"), ready)
    assert response.status_code == 403
    assert snapshot() == before


def test_refund_over_http(client, admin, ready):
    donation = give(client, admin, ready).json
    refunded = client.post(f"/api/v1/donations/{donation['id']}/refund", headers=admin,
                           json={"amount": "400.00", "reason": "重复转账"})
    assert refunded.status_code == 200, refunded.json
    assert refunded.json["refunded"] == "400.00"
    assert refunded.json["receipt"]["amount"] == "600.00"
    assert refunded.json["receipt"]["number"] == "0000000102"
    too_much = client.post(f"/api/v1/donations/{donation['id']}/refund", headers=admin,
                           json={"amount": "600.01", "reason": "x"})
    assert too_much.status_code == 422
    listed = client.get(f"/api/v1/receipts?pool={STREET}&year=2026", headers=admin).json
    assert [(r["number"], r["void_reason"]) for r in listed["items"]] == [
        ("0000000101", "重复转账"), ("0000000102", None)]


def test_foundations_read_only_the_funds_granted_to_them(client, shenzhen, admin, ready, make):
    give(client, admin, ready)
    foundation = shenzhen.headers("foundation")
    assert client.get("/api/v1/funds/ELDER-440304001", headers=foundation).status_code == 403
    tokens = client.get("/api/v1/tokens?limit=500", headers=shenzhen.headers("city_admin")).json
    token_id = next(t["id"] for t in tokens["items"] if t["role"] == "foundation")
    granted = client.post("/api/v1/funds/ELDER-440304001/grants", headers=admin,
                          json={"token_id": token_id})
    assert granted.status_code == 201
    assert client.get("/api/v1/funds/ELDER-440304001", headers=foundation).status_code == 200
    assert [f["code"] for f in client.get("/api/v1/funds", headers=foundation).json["items"]] \
        == ["ELDER-440304001"]
    donations = client.get("/api/v1/donations", headers=foundation).json["items"]
    assert len(donations) == 1
    assert client.get(f"/api/v1/funds/{STREET}", headers=foundation).status_code == 403
    assert give(client, foundation, ready, channel_ref="F-1").status_code == 403


def test_foundations_never_learn_who_an_anonymous_donor_is(client, shenzhen, admin, ready):
    """A foundation reads the gifts to its funds as its statement shows them: an anonymous
    donor is 匿名捐赠人, and no donor's contact or identity number reaches it."""
    hidden = client.post("/api/v1/donors", headers=admin, json={
        "kind": "individual", "name": "张三丰", "anonymous": True, "contact": "13800138000",
        "id_number": "440304199001011234"}).json
    gift = give(client, admin, hidden, channel_ref="BOC-0002").json
    give(client, admin, ready)
    tokens = client.get("/api/v1/tokens?limit=500", headers=shenzhen.headers("city_admin")).json
    token_id = next(t["id"] for t in tokens["items"] if t["role"] == "foundation")
    client.post("/api/v1/funds/ELDER-440304001/grants", headers=admin, json={"token_id": token_id})
    foundation = shenzhen.headers("foundation")
    listed = client.get("/api/v1/donations", headers=foundation).json["items"]
    read = client.get(f"/api/v1/donations/{gift['id']}", headers=foundation).json
    for shown in (read, *listed):
        assert "张三丰" not in str(shown) and "13800138000" not in str(shown)
        assert shown["donor"]["contact"] is None and shown["donor"]["id_number"] is None
    assert read["donor"]["name"] == read["donor"]["display_name"] == "匿名捐赠人"
    assert {d["donor"]["name"] for d in listed} == {"匿名捐赠人", "张三"}
    own = client.get(f"/api/v1/donations/{gift['id']}", headers=admin).json["donor"]
    assert own["name"] == "张三丰" and own["contact"] == "13800138000"


def test_restriction_changes_touch_no_money(client, admin, ready):
    give(client, admin, ready)
    response = client.put("/api/v1/funds/ELDER-440304001/restriction", headers=admin, json={
        "categories": ["elderly_in_difficulty", "disability"], "area_codes": ["440304001001"],
        "per_grant_limit": "5000.00"})
    assert response.status_code == 200, response.json
    assert response.json["area_codes"] == ["440304001001"]
    assert response.json["per_grant_limit"] == "5000.00"
    bank = next(a for a in response.json["accounts"] if a["chart_code"] == "1002")
    assert bank["balance"] == "1000.00"


def test_a_donations_entry_is_corrected_by_refund_not_by_reversal(client, admin, ready, snapshot):
    donation = give(client, admin, ready).json
    before = snapshot()
    response = client.post(f"/api/v1/entries/{donation['entry_id']}/reverse", headers=admin,
                           json={"memo": "undo"})
    assert response.status_code == 409
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "correct it through the operation" in response.json["detail"]
    assert snapshot() == before


def test_a_fund_whose_money_was_allocated_away_closes_and_keeps_its_history(client, shenzhen):
    """Income (4101xx) and net assets (31xx) stay; only money and what is owed must be zero."""
    admin = shenzhen.headers("street_admin")
    fund = {"code": "COMM-440304001", "name": "南园社区基金", "kind": "community",
            "pool_code": "440304001", "restricted": False}
    assert client.post("/api/v1/funds", headers=admin, json=fund).status_code == 201
    donor = client.post("/api/v1/donors", headers=admin,
                        json={"kind": "individual", "name": "张三"}).json
    gift = client.post("/api/v1/donations", headers=admin, json={
        "donor_id": donor["id"], "fund": fund["code"], "amount": "100.00",
        "channel": "bank_transfer", "channel_ref": "CL-1", "received_date": "2026-11-20",
        "issue_receipt": False})
    assert gift.status_code == 201, gift.json
    early = client.post(f"/api/v1/funds/{fund['code']}/close", headers=admin, json={})
    assert early.status_code == 409
    assert "COMM-440304001:1002:CNY (100.00 CNY)" in early.json["detail"]
    assert client.post("/api/v1/allocations", headers=admin, json={
        "source_fund": fund["code"], "target_fund": "440304001", "amount": "100.00",
        "memo": "基金清算，余额转入街道资金池"}).status_code == 201
    closed = client.post(f"/api/v1/funds/{fund['code']}/close", headers=admin, json={})
    assert closed.status_code == 200, closed.json
    shown = client.get(f"/api/v1/funds/{fund['code']}", headers=admin).json
    assert shown["status"] == "closed"
    refund = client.post(f"/api/v1/donations/{gift.json['id']}/refund", headers=admin,
                         json={"amount": "10.00", "reason": "捐赠人要求"})
    assert refund.status_code == 409
    assert [e["field"] for e in refund.json["errors"]] == ["donation_id"]
    assert "is closed" in refund.json["detail"]


def test_a_special_fund_opens_in_hkd_and_takes_a_hkd_gift(client, shenzhen):
    admin = shenzhen.headers("street_admin")
    assert client.post("/api/v1/funds", headers=admin, json={
        "code": "HK-440304001", "name": "南园街道港澳同胞助学基金", "kind": "special",
        "pool_code": "440304001", "restricted": False}).status_code == 201
    donor = client.post("/api/v1/donors", headers=admin,
                        json={"kind": "individual", "name": "陈先生"}).json
    gift = {"donor_id": donor["id"], "fund": "HK-440304001", "amount": "1000.00",
            "currency": "HKD", "channel": "bank_transfer", "channel_ref": "HSBC-1",
            "received_date": "2026-11-20", "issue_receipt": False}
    refused = client.post("/api/v1/donations", headers=admin, json=gift)
    assert refused.status_code == 422 and "keeps no HKD accounts" in refused.json["detail"]
    outsider = client.post("/api/v1/funds/HK-440304001/currencies",
                           headers=shenzhen.headers("other_street_admin"), json={"currency": "HKD"})
    assert outsider.status_code == 403
    opened = client.post("/api/v1/funds/HK-440304001/currencies", headers=admin,
                         json={"currency": "HKD"})
    assert opened.status_code == 201, opened.json
    assert "HK-440304001:1002:HKD" in {account["code"] for account in opened.json}
    again = client.post("/api/v1/funds/HK-440304001/currencies", headers=admin,
                        json={"currency": "HKD"})
    assert again.status_code == 409 and again.json["errors"][0]["field"] == "currency"
    assert client.post("/api/v1/donations", headers=admin, json=gift).status_code == 201
    assert client.post("/api/v1/funds/NOPE-1/currencies", headers=admin,
                       json={"currency": "HKD"}).status_code == 404


def test_a_closed_fund_opens_no_other_currency(client, shenzhen):
    admin = shenzhen.headers("street_admin")
    assert client.post("/api/v1/funds", headers=admin, json={
        "code": "GONE-440304001", "name": "已结束基金", "kind": "special",
        "pool_code": "440304001", "restricted": False}).status_code == 201
    assert client.post("/api/v1/funds/GONE-440304001/close", headers=admin,
                       json={}).status_code == 200
    response = client.post("/api/v1/funds/GONE-440304001/currencies", headers=admin,
                           json={"currency": "USD"})
    assert response.status_code == 409
    assert response.json["errors"] == [{"field": "code",
                                        "message": "fund GONE-440304001 is closed"}]


def test_a_refund_the_fund_can_no_longer_pay_is_409_on_amount(client, shenzhen, snapshot):
    admin = shenzhen.headers("district_admin")
    donor = client.post("/api/v1/donors", headers=admin,
                        json={"kind": "individual", "name": "张三"}).json
    gift = client.post("/api/v1/donations", headers=admin, json={
        "donor_id": donor["id"], "fund": "440304", "amount": "100.00",
        "channel": "bank_transfer", "channel_ref": "R-1", "received_date": "2026-11-20",
        "issue_receipt": False}).json
    assert client.post("/api/v1/allocations", headers=admin, json={
        "source_fund": "440304", "target_fund": STREET, "amount": "100.00"}).status_code == 201
    before = snapshot()
    response = client.post(f"/api/v1/donations/{gift['id']}/refund", headers=admin,
                           json={"amount": "10.00", "reason": "捐赠人要求"})
    assert response.status_code == 409
    assert [e["field"] for e in response.json["errors"]] == ["amount"]
    assert snapshot() == before


def test_a_gift_dated_in_a_closed_month_is_409_on_received_date(client, shenzhen, snapshot):
    admin = shenzhen.headers("district_admin")
    assert client.post("/api/v1/periods/2026-08/close", headers=shenzhen.headers("city_admin"),
                       json={}).status_code == 200
    donor = client.post("/api/v1/donors", headers=admin,
                        json={"kind": "individual", "name": "张三"}).json
    before = snapshot()
    response = client.post("/api/v1/donations", headers=admin, json={
        "donor_id": donor["id"], "fund": "440304", "amount": "100.00",
        "channel": "bank_transfer", "channel_ref": "P-1", "received_date": "2026-08-15",
        "issue_receipt": False})
    assert response.status_code == 409
    assert response.json["type"] == "urn:fundpool:problem:period-closed"
    assert [e["field"] for e in response.json["errors"]] == ["received_date"]
    assert snapshot() == before


def test_a_fund_code_with_a_trailing_newline_is_refused(client, admin, snapshot):
    """A fund code goes into account codes and the Beancount export's account names: ``$``
    let a trailing newline through and broke the export."""
    before = snapshot()
    made = client.post("/api/v1/funds", headers=admin,
                       json={**ELDER, "code": "ELDER-440304001\n"})
    assert made.status_code == 422, made.json
    assert made.content_type == "application/problem+json"
    assert [e["field"] for e in made.json["errors"]] == ["code"]
    assert snapshot() == before
