"""Proposals over HTTP: drafts, updates, submission, review, withdrawal; scope 403s,
problem+json fields, pagination, and every refused transition as a 409."""

from datetime import timedelta

import pytest

from fundpool.ledger.posting import today

BINHE, NANHUA, BAIHUA = "440304001001", "440304001002", "440304002001"
PROPOSAL = {"organisation": "深圳市福田区南园社工服务中心", "title": "长者助餐与探访",
            "summary": "为独居长者每周送餐三次并上门探访",
            "categories": ["elderly_in_difficulty"], "area_codes": [BINHE, NANHUA],
            "budget": "120000.00", "capacity": 40, "duration_days": 180}


def create(client, headers, **changes):
    body = {k: v for k, v in {**PROPOSAL, **changes}.items() if v is not ...}
    return client.post("/api/v1/proposals", headers=headers, json=body)


def act(client, headers, proposal_id, action, **body):
    return client.post(f"/api/v1/proposals/{proposal_id}/{action}", headers=headers, json=body)


@pytest.fixture
def admin(shenzhen):
    return shenzhen.headers("street_admin")


@pytest.fixture
def draft(client, admin):
    made = create(client, admin)
    assert made.status_code == 201, made.json
    return made.json


def test_a_draft_is_entered_in_its_streets_reserve(client, admin, draft):
    assert {k: draft[k] for k in PROPOSAL} == PROPOSAL
    assert (draft["status"], draft["pool_code"], draft["submitted_on"], draft["end_date"]) == (
        "draft", "440304001", None, None)
    assert client.get(f"/api/v1/proposals/{draft['id']}", headers=admin).json == draft


def test_the_lifecycle_through_review(client, shenzhen, admin, draft):
    url = f"/api/v1/proposals/{draft['id']}"
    changed = client.put(url, headers=admin, json={
        **PROPOSAL, "area_codes": ["440304001"], "duration_days": None,
        "start_date": "2027-01-01", "end_date": "2027-06-30", "capacity": 60})
    assert changed.status_code == 200, changed.json
    assert (changed.json["area_codes"], changed.json["duration_days"], changed.json["capacity"]) \
        == (["440304001"], 181, 60)
    submitted = act(client, admin, draft["id"], "submit", submitted_on="2026-11-20")
    assert (submitted.status_code, submitted.json["status"], submitted.json["submitted_on"]) == (
        200, "submitted", "2026-11-20")
    frozen = client.put(url, headers=admin, json=PROPOSAL)
    assert frozen.status_code == 409 and "only a draft" in frozen.json["detail"]
    reviewed = act(client, shenzhen.headers("district_admin"), draft["id"], "review",
                   decision="accept")
    assert reviewed.status_code == 200, reviewed.json
    assert reviewed.json["status"] == "in_reserve"
    assert reviewed.json["reviewed_by"].endswith("admin 440304")
    assert reviewed.json["reviewed_at"]
    withdrawn = act(client, admin, draft["id"], "withdraw", reason="机构调整")
    assert withdrawn.json["status"] == "withdrawn"
    events = client.get("/api/v1/audit-events?limit=500", headers=shenzhen.headers("auditor"))
    moves = [e["details"] for e in events.json["items"] if e["action"] == "proposal.transition"]
    assert [(m["before"], m["after"]) for m in moves] == [
        ("draft", "submitted"), ("submitted", "in_reserve"), ("in_reserve", "withdrawn")]


def test_a_rejection_needs_a_reason_and_keeps_it(client, admin, draft, snapshot):
    act(client, admin, draft["id"], "submit")
    before = snapshot()
    bare = act(client, admin, draft["id"], "review", decision="reject")
    assert (bare.status_code, bare.json["errors"][0]["field"]) == (422, "reason")
    assert snapshot() == before
    rejected = act(client, admin, draft["id"], "review", decision="reject",
                   reason="预算明细不全，请补充后重新申报")
    assert (rejected.json["status"], rejected.json["rejection_reason"]) == (
        "rejected", "预算明细不全，请补充后重新申报")


@pytest.mark.parametrize("steps, action, body, current, requested", [
    ((), "review", {"decision": "accept"}, "draft", "in_reserve"),
    ((), "review", {"decision": "reject", "reason": "x"}, "draft", "rejected"),
    (("submit",), "submit", {}, "submitted", "submitted"),
    (("submit", "accept"), "submit", {}, "in_reserve", "submitted"),
    (("submit", "accept"), "review", {"decision": "accept"}, "in_reserve", "in_reserve"),
    (("submit", "reject"), "withdraw", {}, "rejected", "withdrawn"),
    (("withdraw",), "submit", {}, "withdrawn", "submitted"),
    (("withdraw",), "withdraw", {}, "withdrawn", "withdrawn"),
])
def test_transitions_outside_the_graph_are_409_naming_both_statuses(
        client, admin, draft, snapshot, steps, action, body, current, requested):
    for step in steps:
        if step in ("accept", "reject"):
            act(client, admin, draft["id"], "review", decision=step, reason="r")
        else:
            act(client, admin, draft["id"], step)
    before = snapshot()
    response = act(client, admin, draft["id"], action, **body)
    assert response.status_code == 409, response.json
    assert response.content_type == "application/problem+json"
    assert f"is {current}; it cannot become {requested}" in response.json["detail"]
    assert response.json["errors"][0]["field"] == "status"
    assert snapshot() == before


CASES = [
    ("no categories", {"categories": []}, 422, "categories"),
    ("unknown category", {"categories": ["pets"]}, 422, "categories.0"),
    ("no areas", {"area_codes": []}, 422, "area_codes"),
    ("unknown area", {"area_codes": ["440304001009"]}, 404, "area_codes"),
    ("malformed area", {"area_codes": ["44030400"]}, 422, "area_codes.0"),
    ("zero budget", {"budget": "0.00"}, 422, "budget"),
    ("negative budget", {"budget": "-100.00"}, 422, "budget"),
    ("budget as a number", {"budget": 120000}, 422, "budget"),
    ("zero capacity", {"capacity": 0}, 422, "capacity"),
    ("negative capacity", {"capacity": -5}, 422, "capacity"),
    ("no duration", {"duration_days": ...}, 422, "duration_days"),
    ("zero duration", {"duration_days": 0}, 422, "duration_days"),
    ("end before start", {"duration_days": ..., "start_date": "2027-02-01",
                          "end_date": "2027-01-01"}, 422, "end_date"),
    ("end without start", {"duration_days": ..., "end_date": "2027-01-01"}, 422, "start_date"),
    ("days and dates disagree", {"start_date": "2027-01-01", "end_date": "2027-01-31"}, 422,
     "duration_days"),
    ("not a date", {"start_date": "next spring"}, 422, "start_date"),
    ("no organisation", {"organisation": ...}, 422, "organisation"),
    ("blank title", {"title": "   "}, 422, "title"),
]


@pytest.mark.parametrize("case, changes, status, field", CASES, ids=[c[0] for c in CASES])
def test_bad_proposals_are_problems_naming_the_field(client, admin, snapshot, case, changes,
                                                     status, field):
    before = snapshot()
    response = create(client, admin, **changes)
    assert response.status_code == status, response.json
    assert response.content_type == "application/problem+json"
    assert field in [error["field"] for error in response.json["errors"]], response.json
    assert snapshot() == before


def test_a_submission_date_in_the_future_is_refused(client, admin, draft):
    response = act(client, admin, draft["id"], "submit",
                   submitted_on=str(today() + timedelta(days=1)))
    assert (response.status_code, response.json["errors"][0]["field"]) == (422, "submitted_on")


@pytest.mark.parametrize("who, areas, status", [
    ("city_admin", [BINHE, BAIHUA], 201),
    ("district_admin", [BINHE, BAIHUA], 201),
    ("street_admin", [BINHE, BAIHUA], 403),
    ("street_admin", ["440304001"], 201),
    ("street_admin", ["440304"], 403),
    ("other_street_admin", [BINHE], 403),
    ("community_admin", [BINHE], 201),
    ("community_admin", [NANHUA], 403),
    ("auditor", [BINHE], 403),
    ("foundation", [BINHE], 403),
])
def test_entering_a_proposal_by_role_and_area(client, shenzhen, snapshot, who, areas, status):
    before = snapshot()
    response = create(client, shenzhen.headers(who), area_codes=areas)
    assert response.status_code == status, response.json
    if status == 403:
        assert snapshot() == before
        if who.endswith("admin"):
            assert response.json["errors"][0]["field"] == "area_codes"
            assert "outside your scope" in response.json["detail"]


@pytest.mark.parametrize("who, read, act_status", [
    ("street_admin", 200, 200), ("district_admin", 200, 200), ("community_admin", 403, 403),
    ("other_street_admin", 403, 403), ("auditor", 200, 403), ("foundation", 403, 403),
])
def test_reading_and_moving_a_proposal_by_role_and_scope(client, shenzhen, draft, snapshot,
                                                         who, read, act_status):
    headers = shenzhen.headers(who)
    assert client.get(f"/api/v1/proposals/{draft['id']}", headers=headers).status_code == read
    before = snapshot()
    response = act(client, headers, draft["id"], "submit")
    assert response.status_code == act_status
    if act_status == 403:
        assert snapshot() == before
        assert client.put(f"/api/v1/proposals/{draft['id']}", headers=headers,
                          json=PROPOSAL).status_code == 403


def test_an_unknown_proposal_is_404(client, admin):
    for response in (client.get("/api/v1/proposals/999", headers=admin),
                     act(client, admin, 999, "submit")):
        assert (response.status_code, response.json["errors"][0]["field"]) == (
            404, "proposal_id")


@pytest.fixture
def several(client, shenzhen):
    """Five proposals: three in 南园街道's reserves, one in 园岭街道's, one in 福田区's."""
    district = shenzhen.headers("district_admin")
    rows = [([BINHE], ["elderly_in_difficulty"]), ([BINHE, NANHUA], ["disability"]),
            (["440304001"], ["disability", "children_in_difficulty"]),
            ([BAIHUA], ["single_mothers"]), ([NANHUA, BAIHUA], ["disability"])]
    made = [create(client, district, area_codes=areas, categories=categories).json["id"]
            for areas, categories in rows]
    act(client, district, made[1], "submit")
    act(client, district, made[2], "submit")
    act(client, district, made[2], "review", decision="accept")
    return made


def listed(client, headers, query=""):
    response = client.get(f"/api/v1/proposals{query}", headers=headers)
    assert response.status_code == 200, response.json
    return [p["id"] for p in response.json["items"]]


def test_listing_by_scope_and_filters(client, shenzhen, several):
    street, auditor = shenzhen.headers("street_admin"), shenzhen.headers("auditor")
    assert listed(client, street) == several[:3]
    assert listed(client, shenzhen.headers("district_admin")) == several
    assert listed(client, auditor, "?within=440304002") == [several[3]]
    assert listed(client, auditor, "?category=disability") == [several[1], several[2],
                                                                several[4]]
    assert listed(client, street, "?status=in_reserve") == [several[2]]
    assert listed(client, street, "?status=submitted&category=disability") == [several[1]]
    seen, query = [], "?limit=2"
    while True:
        page = client.get(f"/api/v1/proposals{query}", headers=auditor).json
        seen += [p["id"] for p in page["items"]]
        if page["next_cursor"] is None:
            break
        query = f"?limit=2&cursor={page['next_cursor']}"
    assert seen == several


@pytest.mark.parametrize("who, query, status, field", [
    ("other_street_admin", "?within=440304001", 403, "within"),
    ("foundation", "", 403, None),
    ("auditor", "?status=lost", 422, "status"),
    ("auditor", "?category=pets", 422, "category"),
])
def test_listing_refusals(client, shenzhen, who, query, status, field):
    response = client.get(f"/api/v1/proposals{query}", headers=shenzhen.headers(who))
    assert response.status_code == status
    assert response.json["errors"][0]["field"] == field


def test_an_idempotency_key_enters_the_draft_once(client, admin):
    headers = {**admin, "Idempotency-Key": "proposal-2026-17"}
    first, second = create(client, headers), create(client, headers)
    assert first.status_code == second.status_code == 201
    assert second.json == first.json
    assert listed(client, admin) == [first.json["id"]]
