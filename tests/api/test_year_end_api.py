"""The year-end close over HTTP: who may close and read, 201 then 200, bad input, a race."""

from datetime import date

import pytest
from sqlalchemy import func, select

from fundpool.audit.log import Actor
from fundpool.donations import service
from fundpool.funds.service import NewFund, Restriction, create_fund, get_fund
from fundpool.ledger import year_end
from fundpool.ledger.models import Entry
from fundpool.ledger.posting import today
from fundpool.ledger.verify import verify
from fundpool.ledger.year_end_models import YearEnd
from tests.integration.test_concurrency import at_once

ACTOR = Actor("test")
STREET, ELDER = "440304001", "ELDER-440304001"
YEAR = today().year - 1
URL = "/api/v1/ledger/year-ends"


@pytest.fixture
def books(db, shenzhen):
    """Last year: 3,000.00 to the street, 5,000.00 to its restricted elder fund."""
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(
            code=ELDER, name="南园街道助老专项基金", kind="special", pool_code=STREET,
            restricted=True, restriction=Restriction(categories=("elderly_in_difficulty",))))
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "张三"))
        for code, amount, ref in ((STREET, 300_000, "S-1"), (ELDER, 500_000, "E-1")):
            service.record_donation(session, ACTOR, service.NewDonation(
                donor_id=donor.id, fund=get_fund(session, code), amount=amount, currency="CNY",
                channel="bank_transfer", channel_ref=ref, received_date=date(YEAR, 6, 1),
                issue_receipt=False))


def fields(response):
    return [error["field"] for error in response.json["errors"]]


def test_the_city_admin_closes_a_year_once(client, shenzhen, books):
    city = shenzhen.headers("city_admin")
    first = client.post(URL, headers=city, json={"year": YEAR})
    assert first.status_code == 201, first.json
    assert first.json["year"] == YEAR and first.json["entries"] == 2
    assert first.json["totals"] == [{
        "currency": "CNY", "income_unrestricted": "3000.00", "income_restricted": "5000.00",
        "expenses": "0.00", "unrestricted_change": "3000.00", "restricted_change": "5000.00"}]
    again = client.post(URL, headers=city, json={"year": YEAR})
    assert again.status_code == 200 and again.json == first.json
    for who in ("auditor", "district_admin"):
        listed = client.get(URL, headers=shenzhen.headers(who))
        assert listed.status_code == 200 and listed.json == [first.json]
        one = client.get(f"{URL}/{YEAR}", headers=shenzhen.headers(who))
        assert one.status_code == 200 and one.json == first.json
    missing = client.get(f"{URL}/{YEAR - 1}", headers=city)
    assert missing.status_code == 404 and fields(missing) == ["year"]
    entries = client.get(f"/api/v1/entries?kind=closing&from={YEAR}-12-31&to={YEAR}-12-31",
                         headers=city).json["items"]
    assert {e["metadata"]["fund"] for e in entries} == {STREET, ELDER}
    balances = client.get(f"/api/v1/reports/balances?fund={ELDER}&as_of={YEAR + 1}-01-01",
                          headers=city).json
    held = {(line["chart_code"], line["currency"]): line["balance"]
            for line in balances["balances"]}
    assert held[("3102", "CNY")] == "5000.00" and held[("410102", "CNY")] == "0.00"


def test_only_a_city_admin_closes_and_foundations_read_nothing(client, shenzhen, books, snapshot):
    before = snapshot()
    refused = client.post(URL, headers=shenzhen.headers("district_admin"), json={"year": YEAR})
    assert refused.status_code == 403
    assert client.post(URL, headers=shenzhen.headers("auditor"),
                       json={"year": YEAR}).status_code == 403
    assert client.get(URL, headers=shenzhen.headers("foundation")).status_code == 403
    assert client.post(URL, json={"year": YEAR}).status_code == 401
    assert snapshot() == before


@pytest.mark.parametrize("body, status, says", [
    ({"year": today().year}, 422, "over"),
    ({"year": YEAR - 1}, 422, "nothing dated"),
    ({"year": "2025"}, 422, ""),
    ({"year": 20250}, 422, ""),
    ({"year": 2025.5}, 422, ""),
    ({}, 422, ""),
])
def test_bad_years_are_refused_naming_the_field(client, shenzhen, books, snapshot, body, status,
                                                says):
    before = snapshot()
    response = client.post(URL, headers=shenzhen.headers("city_admin"), json=body)
    assert response.status_code == status, response.json
    assert response.content_type == "application/problem+json"
    assert fields(response) == ["year"] and says in response.json["detail"]
    assert snapshot() == before


def test_years_close_in_order(client, db, shenzhen, books):
    with db.transaction() as session:
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "李四"))
        service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor.id, fund=get_fund(session, STREET), amount=1_000, currency="CNY",
            channel="bank_transfer", channel_ref="old", received_date=date(YEAR - 1, 12, 30),
            issue_receipt=False))
    city = shenzhen.headers("city_admin")
    early = client.post(URL, headers=city, json={"year": YEAR})
    assert early.status_code == 409 and fields(early) == ["year"]
    assert f"{YEAR - 1} is not closed" in early.json["detail"]
    assert client.post(URL, headers=city, json={"year": YEAR - 1}).status_code == 201
    assert client.post(URL, headers=city, json={"year": YEAR}).status_code == 201
    assert [y["year"] for y in client.get(URL, headers=city).json] == [YEAR, YEAR - 1]


def test_a_month_of_a_closed_year_cannot_be_reopened(client, shenzhen, books):
    city = shenzhen.headers("city_admin")
    assert client.post(URL, headers=city, json={"year": YEAR}).status_code == 201
    reopened = client.post(f"/api/v1/periods/{YEAR}-12/reopen", headers=city,
                           json={"reason": "补记"})
    assert reopened.status_code == 409 and fields(reopened) == ["month"]
    late = client.post("/api/v1/entries", headers=city, json={
        "effective_date": f"{YEAR}-12-30", "memo": "补记",
        "postings": [{"account": f"{STREET}:1002:CNY", "side": "debit", "amount": "1.00"},
                     {"account": f"{STREET}:4901:CNY", "side": "credit", "amount": "1.00"}]})
    assert late.status_code == 409 and late.json["type"] == "urn:fundpool:problem:period-closed"


def test_no_hold_can_post_a_closing_entry_by_hand(client, shenzhen, books, snapshot):
    """The activity statement leaves closing entries out: only the close may post them."""
    before = snapshot()
    made = client.post("/api/v1/holds", headers=shenzhen.headers("street_admin"), json={
        "kind": "closing", "memo": "藏起一笔费用",
        "legs": [{"account": f"{STREET}:1002:CNY", "counter_account": f"{STREET}:5101:CNY",
                  "amount": "100.00"}]})
    assert made.status_code == 422 and fields(made) == ["kind"]
    assert snapshot() == before

@pytest.mark.postgres
def test_two_closes_at_once_post_once(app, db, shenzhen, books):
    calls = [("post", URL, shenzhen.headers("city_admin"), {"year": YEAR})] * 8
    responses = at_once(app, calls)
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert all(r.json == responses[0].json for r in responses)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Entry).where(
            Entry.kind == "closing")) == 2
        assert session.scalar(select(func.count()).select_from(YearEnd)) == 1


@pytest.mark.postgres
def test_gifts_dated_in_the_year_as_it_closes_are_closed_with_it_or_refused(app, db, shenzhen,
                                                                          books):
    admin = shenzhen.headers("street_admin")
    donor = app.test_client().post("/api/v1/donors", headers=admin, json={
        "kind": "individual", "name": "王五"}).json
    gifts = [("post", "/api/v1/donations", admin, {
        "donor_id": donor["id"], "fund": ELDER if n % 2 else STREET, "amount": "10.00",
        "channel": "bank_transfer", "channel_ref": f"R-{n}", "received_date": f"{YEAR}-12-30",
        "issue_receipt": False}) for n in range(11)]
    responses = at_once(app, [("post", URL, shenzhen.headers("city_admin"), {"year": YEAR})]
                        + gifts)
    assert responses[0].status_code == 201, responses[0].json
    landed = sum(r.status_code == 201 for r in responses[1:])
    assert all(r.status_code == 201 or r.json["type"] == "urn:fundpool:problem:period-closed"
               for r in responses[1:])
    with db.sessions() as session:
        books = year_end._books(session, date(YEAR, 12, 31))
        assert all(not balance for charts in books.values() for chart, balance in charts.items()
                   if chart in year_end.NOMINAL)
        assert sum(charts.get("3101", 0) + charts.get("3102", 0)
                   for charts in books.values()) == 800_000 + 1_000 * landed
        assert verify(session).ok
