"""A grant over HTTP against the rest of the system: its needs, its funds' restrictions and
the dates its instalments may carry. (Running, approving and paying: test_matching_api.)"""

from datetime import timedelta

import pytest

from fundpool.donations import service
from fundpool.funds.service import NewFund, Restriction, create_fund, get_fund
from fundpool.ledger import holds
from fundpool.ledger.posting import today
from fundpool.matching import proposals
from tests.api import test_matching_api as matching
from tests.factories import ACTOR

STREET, BINHE = matching.STREET, matching.BINHE
scene = matching.scene  # a crisis need in 滨河社区, a project for it, 3,000.00 at the street


def approved(client, city):
    """The one match of a run now (the city's admin's), approved by the street's admin."""
    [match] = matching.proposed(client, city)
    response = client.post(f"/api/v1/matching/matches/{match['id']}/approve",
                           headers=city.headers("street_admin"))
    assert response.status_code == 200, response.json
    return response.json


def move_need(client, headers, need_id, status):
    return client.post(f"/api/v1/needs/{need_id}/status", headers=headers,
                       json={"status": status, "reason": "核实情况"})


def need_status(client, headers, need_id):
    return client.get(f"/api/v1/needs/{need_id}", headers=headers).json["status"]


def held(client, headers):
    return client.get(f"/api/v1/accounts/{STREET}:1002:CNY", headers=headers).json["pending"]


@pytest.mark.parametrize("who, to", [("community_admin", "served"), ("street_admin", "open")])
def test_a_need_held_by_a_grant_is_not_moved_by_hand(client, scene, who, to):
    admin = scene.headers("street_admin")
    match = approved(client, scene)
    need_id = match["needs"][0]["need_id"]
    moved = move_need(client, scene.headers(who), need_id, to)
    assert moved.status_code == 409, moved.json
    assert moved.content_type == "application/problem+json"
    assert [e["field"] for e in moved.json["errors"]] == ["need_id"]
    assert f"complete or cancel match {match['id']} first" in moved.json["detail"]
    assert need_status(client, admin, need_id) == "matched"
    # the grant still finishes once paid: its needs served, nothing left held
    paid = client.post(f"/api/v1/matching/matches/{match['id']}/disbursements", headers=admin,
                       json={"amount": "1200.00"})
    assert paid.status_code == 201, paid.json
    done = client.post(f"/api/v1/matching/matches/{match['id']}/complete", headers=admin)
    assert (done.status_code, held(client, admin)) == (200, "0.00"), done.json
    assert need_status(client, admin, need_id) == "served"
    assert move_need(client, admin, need_id, "closed").status_code == 200


def test_a_grant_with_nothing_paid_cannot_be_completed(client, scene, snapshot):
    """Completing says the project was carried out with the grant's money: its needs become
    served and it counts in the public figures. With nothing paid, no money was spent on
    anyone, so it is refused: pay an instalment first, or cancel the grant."""
    admin = scene.headers("street_admin")
    match = approved(client, scene)
    before = snapshot()
    refused = client.post(f"/api/v1/matching/matches/{match['id']}/complete", headers=admin)
    assert refused.status_code == 409, refused.json
    assert refused.content_type == "application/problem+json"
    assert [e["field"] for e in refused.json["errors"]] == ["match_id"]
    assert f"Nothing of match {match['id']} has been paid" in refused.json["detail"]
    assert "pay an instalment first, or cancel the grant" in refused.json["detail"]
    assert snapshot() == before
    assert need_status(client, admin, match["needs"][0]["need_id"]) == "matched"
    assert held(client, admin) == "1200.00"


def test_a_reopened_need_cannot_be_granted_twice(client, db, scene):
    admin = scene.headers("street_admin")
    match = approved(client, scene)
    need_id = match["needs"][0]["need_id"]
    assert move_need(client, admin, need_id, "open").status_code == 409
    with db.transaction() as session:  # a second project for the same people
        proposal = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
            organisation="滨河义工队", title="滨河长者助浴", categories=("elderly_in_difficulty",),
            area_codes=(BINHE,), budget=900_00, capacity=10, duration_days=60))
        proposals.submit(session, ACTOR, proposal)
        proposals.review(session, ACTOR, proposal, accept=True)
    assert matching.proposed(client, scene) == []
    assert held(client, admin) == "1200.00"


def test_once_its_grant_is_cancelled_the_need_is_the_admins_again(client, scene):
    admin = scene.headers("street_admin")
    match = approved(client, scene)
    need_id = match["needs"][0]["need_id"]
    cancelled = client.post(f"/api/v1/matching/matches/{match['id']}/cancel", headers=admin,
                            json={"reason": "项目终止"})
    assert cancelled.status_code == 200, cancelled.json
    assert need_status(client, admin, need_id) == "open"
    assert move_need(client, admin, need_id, "closed").status_code == 200
    assert held(client, admin) == "0.00"


ELDER = "ELDER-440304001"


@pytest.fixture
def elder_scene(db, scene):
    """Besides the street's 3,000.00 (spent elsewhere first), a restricted elder-care fund
    of the street with 5,000.00: the only money left for the project."""
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(
            code=ELDER, name="南园街道助老专项基金", kind="special", pool_code=STREET,
            restricted=True, restriction=Restriction(categories=("elderly_in_difficulty",))))
        donor = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "招商银行"))
        service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor.id, fund=get_fund(session, ELDER), amount=5_000_00, currency="CNY",
            channel="bank_transfer", channel_ref="G-2", received_date=today(),
            issue_receipt=False))
        holds.create_hold(session, ACTOR, [holds.NewLeg(
            f"{STREET}:1002:CNY", f"{STREET}:2209:CNY", 3_000_00)], kind="disbursement",
            memo="另一项目")
    return scene


def elder_match(client, city):
    [match] = matching.proposed(client, city)
    assert [(s["fund"], s["amount"]) for s in match["shares"]] == [(ELDER, "1200.00")]
    return match


@pytest.mark.parametrize("restriction, changed", [
    ({"categories": ["children_in_difficulty"]},
     f"the restriction of fund {ELDER} no longer allows proposal"),
    ({"categories": ["elderly_in_difficulty"], "per_grant_limit": "500.00"},
     f"fund {ELDER} now pays at most 500.00 CNY per grant, its share is 1200.00"),
    ({"categories": ["elderly_in_difficulty"], "area_codes": ["440304001002"]},
     f"the restriction of fund {ELDER} no longer allows proposal"),
])
def test_approval_refuses_a_fund_whose_restriction_no_longer_allows_the_match(
        client, elder_scene, restriction, changed):
    admin = elder_scene.headers("street_admin")
    match = elder_match(client, elder_scene)
    put = client.put(f"/api/v1/funds/{ELDER}/restriction", headers=admin, json=restriction)
    assert put.status_code == 200, put.json
    refused = client.post(f"/api/v1/matching/matches/{match['id']}/approve", headers=admin)
    assert refused.status_code == 409, refused.json
    assert [e["field"] for e in refused.json["errors"]] == ["match_id"]
    assert f"Match {match['id']} is stale: {changed}" in refused.json["detail"]
    assert "run matching again" in refused.json["detail"]
    assert client.get(f"/api/v1/accounts/{ELDER}:1002:CNY", headers=admin).json[
        "pending"] == "0.00"
    assert client.get(f"/api/v1/matching/matches/{match['id']}",
                      headers=admin).json["status"] == "proposed"


def test_approval_refuses_a_fund_whose_validity_has_ended(client, db, elder_scene):
    admin = elder_scene.headers("street_admin")
    match = elder_match(client, elder_scene)
    yesterday = today() - timedelta(days=1)
    with db.transaction() as session:  # ended since the run (the API takes no past end)
        get_fund(session, ELDER).valid_to = yesterday
    refused = client.post(f"/api/v1/matching/matches/{match['id']}/approve", headers=admin)
    assert refused.status_code == 409, refused.json
    assert f"fund {ELDER} may pay only until {yesterday}" in refused.json["detail"]


def test_approval_still_holds_a_fund_whose_restriction_still_allows_the_match(
        client, elder_scene):
    admin = elder_scene.headers("street_admin")
    match = elder_match(client, elder_scene)
    put = client.put(f"/api/v1/funds/{ELDER}/restriction", headers=admin, json={
        "categories": ["elderly_in_difficulty", "disability"], "per_grant_limit": "1200.00"})
    assert put.status_code == 200, put.json
    ok = client.post(f"/api/v1/matching/matches/{match['id']}/approve", headers=admin)
    assert (ok.status_code, ok.json["held"]) == (200, "1200.00"), ok.json


def test_restricted_money_is_not_paid_before_the_funds_validity_starts(client, elder_scene):
    admin = elder_scene.headers("street_admin")
    starts = today() + timedelta(days=10)
    put = client.put(f"/api/v1/funds/{ELDER}/restriction", headers=admin, json={
        "categories": ["elderly_in_difficulty"], "valid_from": starts.isoformat()})
    assert put.status_code == 200, put.json
    ran = client.post("/api/v1/matching/runs", headers=elder_scene.headers("city_admin"),
                      json={"on": starts.isoformat()})
    [match] = client.get(f"/api/v1/matching/runs/{ran.json['id']}/matches",
                         headers=admin).json["items"]
    base = f"/api/v1/matching/matches/{match['id']}"
    assert client.post(f"{base}/approve", headers=admin).status_code == 200  # held ahead
    paid = client.post(f"{base}/disbursements", headers=admin, json={"amount": "1200.00"})
    assert paid.status_code == 422, paid.json
    assert [e["field"] for e in paid.json["errors"]] == ["effective_date"]
    assert f"Fund {ELDER} may pay from {starts} to …; {today()} is outside" in \
        paid.json["detail"]
    bank = client.get(f"/api/v1/accounts/{ELDER}:1002:CNY", headers=admin).json
    assert (bank["balance"], bank["pending"]) == ("5000.00", "1200.00")
    assert client.get(base, headers=admin).json["paid"] == "0.00"


def test_restricted_money_is_not_paid_after_the_funds_validity_ends(client, db, elder_scene):
    admin = elder_scene.headers("street_admin")
    match = elder_match(client, elder_scene)
    base = f"/api/v1/matching/matches/{match['id']}"
    assert client.post(f"{base}/approve", headers=admin).status_code == 200
    with db.transaction() as session:  # the restriction ended yesterday
        get_fund(session, ELDER).valid_to = today() - timedelta(days=1)
    paid = client.post(f"{base}/disbursements", headers=admin, json={"amount": "400.00"})
    assert paid.status_code == 422, paid.json
    assert [e["field"] for e in paid.json["errors"]] == ["effective_date"]
    assert client.get(f"/api/v1/accounts/{ELDER}:1002:CNY", headers=admin).json[
        "balance"] == "5000.00"


def test_an_instalment_is_not_dated_before_its_grant_was_approved(client, scene):
    admin = scene.headers("street_admin")
    match = approved(client, scene)  # today, and the 3,000.00 was given today
    base = f"/api/v1/matching/matches/{match['id']}"
    before = today() - timedelta(days=60)
    paid = client.post(f"{base}/disbursements", headers=admin,
                       json={"amount": "1200.00", "effective_date": before.isoformat()})
    assert paid.status_code == 422, paid.json
    assert [e["field"] for e in paid.json["errors"]] == ["effective_date"]
    assert f"was approved on {today()}; an instalment cannot be dated earlier ({before})" in \
        paid.json["detail"]
    then = client.get(f"/api/v1/accounts/{STREET}:1002:CNY/balance", headers=admin,
                      query_string={"as_of": before.isoformat()}).json
    assert then["balance"] == "0.00"
    on_the_day = client.post(f"{base}/disbursements", headers=admin,
                             json={"amount": "1200.00", "effective_date": today().isoformat()})
    assert on_the_day.status_code == 201, on_the_day.json
