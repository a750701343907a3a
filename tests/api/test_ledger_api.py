"""The ledger over HTTP: amounts as strings, entries, reversals, holds, periods, verification."""

import pytest

from fundpool.ledger.posting import today
from tests.factories import bank, cost, income

STREET = "440304001"


def adjustment(client, headers, *postings, memo="opening balance", **extra):
    return client.post("/api/v1/entries", headers=headers, json={
        "memo": memo, "postings": [{"account": a, "side": s, "amount": m} for a, s, m in postings],
        **extra})


@pytest.fixture
def admin(shenzhen):
    return shenzhen.headers("street_admin")


@pytest.fixture
def funded(client, admin):
    """The street's bank account holds 1000.00 CNY."""
    response = adjustment(client, admin, (bank(STREET), "debit", "1000.00"),
                          (income(STREET), "credit", "1000.00"))
    assert response.status_code == 201, response.json
    return response.json


def test_a_manual_entry_posts_and_shows_in_balances(client, admin, funded):
    assert funded["kind"] == "adjustment"
    assert [(p["account"], p["side"], p["amount"]) for p in funded["postings"]] == [
        (bank(STREET), "debit", "1000.00"), (income(STREET), "credit", "1000.00")]
    assert len(funded["hash"]) == 64
    account = client.get(f"/api/v1/accounts/{bank(STREET)}", headers=admin).json
    assert (account["balance"], account["pending"], account["available"]) == (
        "1000.00", "0.00", "1000.00")
    assert account["name"] == "银行存款"
    assert account["normal_side"] == "debit"


@pytest.mark.parametrize("amount, says", [
    (100, "decimal strings"),
    ("100.001", "2 decimal places at most"),
    ("-5.00", "not a positive decimal amount"),
    ("0.00", "greater than zero"),
    ("1e5", "not a positive decimal amount"),
])
def test_bad_amounts_are_refused_naming_the_posting(client, admin, snapshot, amount, says):
    before = snapshot()
    response = adjustment(client, admin, (bank(STREET), "debit", amount),
                          (income(STREET), "credit", "1.00"))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert says in response.json["detail"]
    assert response.json["errors"][0]["field"] == "postings.0.amount"
    assert snapshot() == before


def test_jpy_has_no_decimals(client, shenzhen, admin):
    opened = client.post(f"/api/v1/pools/{STREET}/currencies", headers=admin,
                         json={"currency": "JPY"})
    assert opened.status_code == 201
    response = adjustment(client, admin, (bank(STREET, "JPY"), "debit", "5000"),
                          (income(STREET, "JPY"), "credit", "5000"))
    assert response.status_code == 201
    assert response.json["postings"][0]["amount"] == "5000"
    refused = adjustment(client, admin, (bank(STREET, "JPY"), "debit", "50.5"),
                         (income(STREET, "JPY"), "credit", "50.5"))
    assert "JPY amounts have 0 decimal places" in refused.json["detail"]


def test_an_unbalanced_entry_is_a_clear_422(client, admin, snapshot):
    before = snapshot()
    response = adjustment(client, admin, (bank(STREET), "debit", "10.00"),
                          (income(STREET), "credit", "9.99"))
    assert response.status_code == 422
    assert response.json["detail"] == ("The entry does not balance: debits exceed credits by "
                                       "0.01 CNY.")
    assert snapshot() == before


def test_overdraft_is_a_clear_409(client, admin, funded):
    response = adjustment(client, admin, (cost(STREET), "debit", "1000.01"),
                          (bank(STREET), "credit", "1000.01"), memo="grant")
    assert response.status_code == 409
    assert response.json["type"] == "urn:fundpool:problem:insufficient-funds"
    assert "has 1000.00 CNY available" in response.json["detail"]


def test_an_admin_cannot_post_to_another_street(client, shenzhen, snapshot):
    before = snapshot()
    response = adjustment(client, shenzhen.headers("other_street_admin"),
                          (bank(STREET), "debit", "1.00"), (income(STREET), "credit", "1.00"))
    assert response.status_code == 403
    assert response.json["errors"][0]["field"] == "postings.0.account"
    assert snapshot() == before


def test_auditors_and_foundations_post_nothing(client, shenzhen):
    for who in ("auditor", "foundation"):
        response = adjustment(client, shenzhen.headers(who), (bank(STREET), "debit", "1.00"),
                              (income(STREET), "credit", "1.00"))
        assert response.status_code == 403


def test_reversal_over_http(client, admin, funded):
    url = f"/api/v1/entries/{funded['id']}/reverse"
    response = client.post(url, headers=admin, json={"memo": "entered twice"})
    assert response.status_code == 201
    assert response.json["reverses"] == funded["id"]
    assert response.json["kind"] == "reversal"
    again = client.post(url, headers=admin, json={})
    assert again.status_code == 409
    balance = client.get(f"/api/v1/accounts/{bank(STREET)}", headers=admin).json["balance"]
    assert balance == "0.00"


def test_listing_entries_by_account_kind_and_scope(client, shenzhen, admin, funded):
    other = shenzhen.headers("other_street_admin")
    adjustment(client, other, (bank("440304002"), "debit", "5.00"),
               (income("440304002"), "credit", "5.00"))
    mine = client.get(f"/api/v1/entries?account={bank(STREET)}", headers=admin).json
    assert [e["id"] for e in mine["items"]] == [funded["id"]]
    scoped = client.get("/api/v1/entries", headers=admin).json["items"]
    assert [e["id"] for e in scoped] == [funded["id"]]
    everything = client.get("/api/v1/entries?kind=adjustment",
                            headers=shenzhen.headers("auditor")).json["items"]
    assert len(everything) == 2
    refused = client.get("/api/v1/entries?within=440304002", headers=admin)
    assert refused.status_code == 403
    day = today().isoformat()
    dated = client.get(f"/api/v1/entries?from={day}&to={day}",
                       headers=shenzhen.headers("auditor")).json["items"]
    assert len(dated) == 2


def test_balance_as_of_a_date(client, admin, funded):
    day = today().isoformat()
    response = client.get(f"/api/v1/accounts/{bank(STREET)}/balance?as_of={day}", headers=admin)
    assert response.json == {"account": bank(STREET), "currency": "CNY", "as_of": day,
                             "balance": "1000.00"}
    earlier = client.get(f"/api/v1/accounts/{bank(STREET)}/balance?as_of=2020-01-01",
                         headers=admin).json
    assert earlier["balance"] == "0.00"


def test_hold_commit_partially_over_http(client, admin, funded):
    made = client.post("/api/v1/holds", headers=admin, json={
        "memo": "助老项目 first instalment",
        "legs": [{"account": bank(STREET), "counter_account": cost(STREET), "amount": "600.00"}]})
    assert made.status_code == 201, made.json
    assert made.json["status"] == "pending"
    account = client.get(f"/api/v1/accounts/{bank(STREET)}", headers=admin).json
    assert (account["pending"], account["available"]) == ("600.00", "400.00")
    committed = client.post(f"/api/v1/holds/{made.json['id']}/commit", headers=admin,
                            json={"amounts": ["250.00"]})
    assert committed.status_code == 201, committed.json
    assert committed.json["hold"] == made.json["id"]
    account = client.get(f"/api/v1/accounts/{bank(STREET)}", headers=admin).json
    assert (account["balance"], account["pending"], account["available"]) == (
        "750.00", "0.00", "750.00")
    hold = client.get(f"/api/v1/holds/{made.json['id']}", headers=admin).json
    assert hold["status"] == "committed"
    assert hold["legs"][0]["committed"] == "250.00"
    assert client.post(f"/api/v1/holds/{made.json['id']}/void", headers=admin).status_code == 409


def test_one_leg_of_a_hold_is_paid_and_the_other_released_by_committing_it_as_zero(
        client, admin, funded):
    """A project paid by two pools is one hold with two legs; when only one pool pays, the
    other's leg commits 0.00 and its money is free again. Every leg at 0.00 is refused."""
    binhe = "440304001001"
    assert adjustment(client, admin, (bank(binhe), "debit", "500.00"),
                      (income(binhe), "credit", "500.00")).status_code == 201
    made = client.post("/api/v1/holds", headers=admin, json={"memo": "两个资金池合办", "legs": [
        {"account": bank(STREET), "counter_account": cost(STREET), "amount": "300.00"},
        {"account": bank(binhe), "counter_account": cost(binhe), "amount": "200.00"}]})
    assert made.status_code == 201, made.json
    url = f"/api/v1/holds/{made.json['id']}/commit"
    nothing = client.post(url, headers=admin, json={"amounts": ["0.00", "0"]})
    assert (nothing.status_code, nothing.json["errors"][0]["field"]) == (422, "amounts")
    committed = client.post(url, headers=admin, json={"amounts": ["300.00", "0.00"]})
    assert committed.status_code == 201, committed.json
    other = client.get(f"/api/v1/accounts/{bank(binhe)}", headers=admin).json
    assert (other["balance"], other["pending"]) == ("500.00", "0.00")
    street = client.get(f"/api/v1/accounts/{bank(STREET)}", headers=admin).json
    assert (street["balance"], street["pending"]) == ("700.00", "0.00")


def test_a_grants_hold_is_paid_or_released_only_through_its_match(client, db, admin, funded,
                                                                   snapshot):
    from fundpool.audit.log import Actor
    from fundpool.funds.service import get_fund
    from fundpool.matching.grants import Portion, hold_grant
    with db.transaction() as session:
        hold_id = hold_grant(session, Actor("test"), [Portion(get_fund(session, STREET), 100_00)],
                             "长者助餐").id
    before = snapshot()
    for action in ("commit", "void"):
        response = client.post(f"/api/v1/holds/{hold_id}/{action}", headers=admin, json={})
        assert response.status_code == 409
        assert "through its match" in response.json["detail"]
    made = client.post("/api/v1/holds", headers=admin, json={
        "kind": "disbursement", "memo": "x",
        "legs": [{"account": bank(STREET), "counter_account": cost(STREET), "amount": "1.00"}]})
    assert made.status_code == 422
    assert [e["field"] for e in made.json["errors"]] == ["kind"]
    assert snapshot() == before


def test_periods_over_http(client, shenzhen, admin):
    city = shenzhen.headers("city_admin")
    assert client.post("/api/v1/periods/2026-01/close", headers=admin).status_code == 403
    closed = client.post("/api/v1/periods/2026-01/close", headers=city)
    assert closed.status_code == 200
    assert closed.json["status"] == "closed"
    refused = adjustment(client, admin, (bank(STREET), "debit", "1.00"),
                         (income(STREET), "credit", "1.00"), effective_date="2026-01-15")
    assert refused.status_code == 409
    assert refused.json["type"] == "urn:fundpool:problem:period-closed"
    no_reason = client.post("/api/v1/periods/2026-01/reopen", headers=city, json={})
    assert no_reason.status_code == 422
    assert client.post("/api/v1/periods/2026-01/reopen", headers=city,
                       json={"reason": "审计调整"}).status_code == 200
    listed = client.get("/api/v1/periods", headers=shenzhen.headers("auditor")).json
    assert listed[0]["reason"] == "审计调整"


def test_verification_for_auditors(client, shenzhen, funded):
    auditor = shenzhen.headers("auditor")
    report = client.get("/api/v1/verification", headers=auditor).json
    assert report["ok"] is True
    assert report["entries"] == 1
    checkpoint = client.get("/api/v1/verification/checkpoint", headers=auditor).json
    again = client.post("/api/v1/verification/checkpoint", headers=auditor, json=checkpoint)
    assert again.json["ok"] is True
    assert client.get("/api/v1/verification",
                      headers=shenzhen.headers("city_admin")).status_code == 403


def test_metadata_round_trips_and_still_verifies(client, shenzhen, admin):
    response = adjustment(client, admin, (bank(STREET), "debit", "3.00"),
                          (income(STREET), "credit", "3.00"), external_ref="BOC-20261126-7",
                          metadata={"bank": "中国银行", "statement": "2026-11"})
    assert response.status_code == 201
    entry = client.get(f"/api/v1/entries/{response.json['id']}", headers=admin).json
    assert entry["metadata"] == {"bank": "中国银行", "statement": "2026-11"}
    assert entry["external_ref"] == "BOC-20261126-7"
    assert entry["hash"] == response.json["hash"]
    assert client.get("/api/v1/verification", headers=shenzhen.headers("auditor")).json["ok"]


def test_a_month_with_a_trailing_newline_is_refused_naming_it(client, shenzhen, admin):
    """Python's ``$`` matches before a trailing newline: "2026-01\\n" must not close a
    month that posting never looks up (on PostgreSQL it did not even fit the column)."""
    city = shenzhen.headers("city_admin")
    closed = client.post("/api/v1/periods/2026-01%0A/close", headers=city)
    assert closed.status_code == 422, closed.json
    assert closed.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in closed.json["errors"]] == ["month"]
    assert client.get("/api/v1/periods", headers=shenzhen.headers("auditor")).json == []
