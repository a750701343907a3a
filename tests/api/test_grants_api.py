"""A grant over HTTP against the rest of the system: its needs, its funds' restrictions and
the dates its instalments may carry. (Running, approving and paying: test_matching_api.)"""

import pytest

from fundpool.matching import proposals
from tests.api import test_matching_api as matching
from tests.factories import ACTOR

STREET, BINHE = matching.STREET, matching.BINHE
scene = matching.scene  # a crisis need in 滨河社区, a project for it, 3,000.00 at the street


def approved(client, admin):
    """The one match of a run now, approved."""
    [match] = matching.run(client, admin)["matches"]
    response = client.post(f"/api/v1/matching/matches/{match['id']}/approve", headers=admin)
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
    match = approved(client, admin)
    need_id = match["needs"][0]["need_id"]
    moved = move_need(client, scene.headers(who), need_id, to)
    assert moved.status_code == 409, moved.json
    assert moved.content_type == "application/problem+json"
    assert [e["field"] for e in moved.json["errors"]] == ["need_id"]
    assert f"complete or cancel match {match['id']} first" in moved.json["detail"]
    assert need_status(client, admin, need_id) == "matched"
    # the grant still finishes: its needs served, nothing left held
    done = client.post(f"/api/v1/matching/matches/{match['id']}/complete", headers=admin)
    assert (done.status_code, held(client, admin)) == (200, "0.00"), done.json
    assert need_status(client, admin, need_id) == "served"
    assert move_need(client, admin, need_id, "closed").status_code == 200


def test_a_reopened_need_cannot_be_granted_twice(client, db, scene):
    admin = scene.headers("street_admin")
    match = approved(client, admin)
    need_id = match["needs"][0]["need_id"]
    assert move_need(client, admin, need_id, "open").status_code == 409
    with db.transaction() as session:  # a second project for the same people
        proposal = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
            organisation="滨河义工队", title="滨河长者助浴", categories=("elderly_in_difficulty",),
            area_codes=(BINHE,), budget=900_00, capacity=10, duration_days=60))
        proposals.submit(session, ACTOR, proposal)
        proposals.review(session, ACTOR, proposal, accept=True)
    assert matching.run(client, admin)["matches"] == []
    assert held(client, admin) == "1200.00"


def test_once_its_grant_is_cancelled_the_need_is_the_admins_again(client, scene):
    admin = scene.headers("street_admin")
    match = approved(client, admin)
    need_id = match["needs"][0]["need_id"]
    cancelled = client.post(f"/api/v1/matching/matches/{match['id']}/cancel", headers=admin,
                            json={"reason": "项目终止"})
    assert cancelled.status_code == 200, cancelled.json
    assert need_status(client, admin, need_id) == "open"
    assert move_need(client, admin, need_id, "closed").status_code == 200
    assert held(client, admin) == "0.00"
