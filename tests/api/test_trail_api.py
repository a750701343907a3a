"""Where the money went over HTTP: a fund's uses and a donation's trail, who may read them,
and bad input (the story is tests/trail_story.py)."""

from decimal import Decimal

import pytest

from fundpool.donations import pass_through, service
from fundpool.funds.service import get_fund
from tests.factories import ACTOR
from tests.trail_story import BINHE, STREET, build, day


@pytest.fixture
def story(db, shenzhen):
    return build(db)


@pytest.fixture
def foundations(client, shenzhen, make, story):
    """The small city's foundation reads the street's fund; another foundation reads the
    community's."""
    other = make.token("foundation", name="另一基金会")
    admin = shenzhen.headers("city_admin")
    tokens = client.get("/api/v1/tokens?limit=500", headers=admin).json
    ids = {t["name"]: t["id"] for t in tokens["items"] if t["role"] == "foundation"}
    for fund, name in ((STREET, "foundation None"), (BINHE, "另一基金会")):
        granted = client.post(f"/api/v1/funds/{fund}/grants", headers=admin,
                              json={"token_id": ids[name]})
        assert granted.status_code == 201, granted.json
    return shenzhen.headers("foundation"), {"Authorization": f"Bearer {other}"}


def uses(code):
    return f"/api/v1/reports/funds/{code}/uses"


def trail(donation_id):
    return f"/api/v1/reports/donations/{donation_id}/trail"


def test_a_foundation_sees_the_projects_its_fund_paid_and_the_people_served(
        client, story, foundations):
    ours, _theirs = foundations
    response = client.get(uses(STREET), headers=ours)
    assert response.status_code == 200, response.json
    body = response.json
    [project] = body["projects"]
    assert {key: project[key] for key in (
        "match_id", "status", "title", "organisation", "budget", "share", "paid", "held",
        "released", "people", "people_share")} == {
        "match_id": story.match_id, "status": "approved", "title": "滨河长者助餐",
        "organisation": "福田区长者服务社", "budget": "2000.00", "share": "1500.00",
        "paid": "1200.00", "held": "300.00", "released": "0.00", "people": 15,
        "people_share": "11.25"}
    assert project["needs"] == [
        {"category": "elderly_in_difficulty", "category_name": "特殊困难老人",
         "urgency": "crisis", "urgency_name": "危机", "needs": 1, "people": 5},
        {"category": "elderly_in_difficulty", "category_name": "特殊困难老人",
         "urgency": "routine", "urgency_name": "常规", "needs": 1, "people": 10}]
    [allocation] = body["allocations"]
    assert (allocation["target"], allocation["amount"], allocation["date"],
            allocation["direction"]) == (BINHE, "500.00", day(-9).isoformat(), "down")
    assert body["totals"] == [{
        "currency": "CNY", "approved": "1500.00", "paid": "1200.00", "held": "300.00",
        "released": "0.00", "allocated_out": "500.00", "refunded": "100.00",
        "in_fund": "500.00", "projects": 1,
        "people": 15, "people_share": "11.25"}]


def test_a_donors_money_is_traced_to_the_projects_it_fed(client, shenzhen, story, foundations):
    ours, _theirs = foundations
    response = client.get(trail(story.gifts["张三"]), headers=ours)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["donation"]["donor"] == "张三" and body["donation"]["amount"] == "1000.00"
    assert body["kind"] == "gift" and body["followed"] and "first in, first out" in body["rule"]
    assert sum(Decimal(part["amount"]) for part in body["parts"]) == Decimal("1000.00")
    assert [(p["kind"], p["amount"], p["fund"], p["title"]) for p in body["parts"]] == [
        ("grant", "250.00", BINHE, "滨河长者助餐"), ("grant", "500.00", STREET, "滨河长者助餐"),
        ("grant", "150.00", BINHE, "滨河长者助餐"), ("in_fund", "100.00", BINHE, None)]
    assert body["parts"][0]["via"] == [{"allocation_id": story.allocation_id,
                                        "date": day(-9).isoformat(), "source": STREET,
                                        "target": BINHE}]
    assert {t["kind"]: t["amount"] for t in body["totals"]} == {"grant": "900.00",
                                                                "in_fund": "100.00"}


def test_a_refund_shows_on_the_donors_trail(client, shenzhen, story):
    body = client.get(trail(story.gifts["王五"]), headers=shenzhen.headers("auditor")).json
    assert [(p["kind"], p["amount"]) for p in body["parts"]] == [
        ("grant", "100.00"), ("refund", "100.00"), ("in_fund", "200.00")]
    assert body["parts"][1]["refund_of"] == story.gifts["王五"]
    assert body["donation"]["refunded"] == "100.00"
    assert [r["amount"] for r in body["refunds"]] == ["100.00"]


def test_a_pass_through_gift_says_it_goes_to_its_recipient(client, db, shenzhen, story):
    with db.transaction() as session:
        donor = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "平安银行"))
        gift = service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor.id, fund=get_fund(session, STREET), amount=800_00, currency="CNY",
            channel="bank_transfer", channel_ref="PT-1", received_date=day(-3),
            pass_through=pass_through.PassThrough("陈伯家"))).donation.id
        pass_through.pay_on(session, ACTOR, gift, pass_through.PayOn(500_00, day(-1)))
    body = client.get(trail(gift), headers=shenzhen.headers("street_admin")).json
    assert (body["kind"], body["donation"]["pass_through_recipient"]) == ("pass_through", "陈伯家")
    assert [(p["kind"], p["amount"], p["recipient"]) for p in body["parts"]] == [
        ("paid_on", "500.00", "陈伯家"), ("held_for_recipient", "300.00", "陈伯家")]


def test_a_foundation_is_refused_another_foundations_fund_and_its_donations(
        client, story, foundations):
    ours, theirs = foundations
    for path, field in ((uses(BINHE), "code"), (uses("440304002"), "code")):
        refused = client.get(path, headers=ours)
        assert refused.status_code == 403, path
        assert refused.content_type == "application/problem+json"
        assert [e["field"] for e in refused.json["errors"]] == [field]
    refused = client.get(trail(story.gifts["张三"]), headers=theirs)
    assert refused.status_code == 403
    assert [e["field"] for e in refused.json["errors"]] == ["donation_id"]
    assert client.get(uses(BINHE), headers=theirs).status_code == 200


def test_admins_read_within_their_subtree_only(client, shenzhen, story):
    for who, status in (("street_admin", 200), ("district_admin", 200), ("auditor", 200),
                        ("other_street_admin", 403), ("community_admin", 403)):
        assert client.get(uses(STREET), headers=shenzhen.headers(who)).status_code == status, who
        assert client.get(trail(story.gifts["李四"]),
                          headers=shenzhen.headers(who)).status_code == status, who
    community = shenzhen.headers("community_admin")
    assert client.get(uses(BINHE), headers=community).status_code == 200


def test_unknown_fund_or_donation_and_no_token(client, shenzhen, story):
    auditor = shenzhen.headers("auditor")
    missing = client.get(uses("NOPE-440304001"), headers=auditor)
    assert missing.status_code == 404
    assert [e["field"] for e in missing.json["errors"]] == ["code"]
    missing = client.get(trail(99_999), headers=auditor)
    assert missing.status_code == 404
    assert [e["field"] for e in missing.json["errors"]] == ["donation_id"]
    assert client.get(uses(STREET)).status_code == 401
    assert client.get(trail(story.gifts["张三"])).status_code == 401
