"""Matching over HTTP: run now, read the reasons in Chinese or English, approve, pay, complete."""

from datetime import date

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from fundpool.donations import service
from fundpool.funds.service import get_fund
from fundpool.ledger.posting import today
from fundpool.matching import needs, proposals, runs
from fundpool.matching.run_models import MatchingRun, RunMatch
from tests.factories import ACTOR

STREET, BINHE = "440304001", "440304001001"


@pytest.fixture
def scene(db, shenzhen):
    """A crisis need in 滨河社区, a project in reserve for it, 3,000.00 in the street's pool."""
    with db.transaction() as session:
        donor = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "平安银行"))
        service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor.id, fund=get_fund(session, STREET), amount=3_000_00, currency="CNY",
            channel="bank_transfer", channel_ref="G-1", received_date=today(),
            issue_receipt=False))
        needs.create_need(session, ACTOR, needs.NewNeed(
            pool_code=BINHE, category="elderly_in_difficulty", people=6, urgency="crisis",
            estimated_cost=600_00, survey_date=date(2026, 11, 2)))
        proposal = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
            organisation="福田区长者服务社", title="滨河长者助餐", categories=("elderly_in_difficulty",),
            area_codes=(BINHE,), budget=1_200_00, capacity=10, duration_days=60))
        proposals.submit(session, ACTOR, proposal)
        proposals.review(session, ACTOR, proposal, accept=True)
    return shenzhen


def run(client, city, **query):
    """A run now, asked for by the city's admin (a run is city-wide: only they may)."""
    response = client.post("/api/v1/matching/runs", headers=city.headers("city_admin"),
                           query_string=query, json={})
    assert response.status_code == 201, response.json
    return response.json


def proposed(client, city, reader="street_admin", **query):
    """A new run's matches, read as a client (``reader``) reads them: a page at a time."""
    made = run(client, city, **query)
    page = client.get(f"/api/v1/matching/runs/{made['id']}/matches",
                      headers=city.headers(reader), query_string=query).json
    assert page["next_cursor"] is None
    return page["items"]


def test_a_run_over_http_explains_its_match_in_chinese_and_english(client, scene):
    admin = scene.headers("street_admin")
    body = run(client, scene)
    assert (body["status"], body["trigger"], body["needs_seen"]) == ("done", "person", 1)
    assert body["gap"] is not None and body["bound"] >= body["objective"]
    assert "matches" not in body and client.get(
        f"/api/v1/matching/runs/{body['id']}", headers=admin).json == body
    [match] = client.get(f"/api/v1/matching/runs/{body['id']}/matches", headers=admin).json["items"]
    assert (match["status"], match["budget"], match["people"]) == ("proposed", "1200.00", 6)
    assert [(s["fund"], s["amount"]) for s in match["shares"]] == [(STREET, "1200.00")]
    zh = [reason["text"] for need in match["needs"] for reason in need["reasons"]]
    assert any("特殊困难老人" in text for text in zh)
    english = client.get(f"/api/v1/matching/matches/{match['id']}?lang=en", headers=admin).json
    texts = [reason["text"] for need in english["needs"] for reason in need["reasons"]]
    assert any("elderly" in text.lower() for text in texts)


def test_a_runs_matches_are_read_a_page_at_a_time_within_the_readers_scope(client, db, scene):
    with db.transaction() as session:
        for title in ("滨河助浴", "滨河陪诊"):
            needs.create_need(session, ACTOR, needs.NewNeed(
                pool_code=BINHE, category="elderly_in_difficulty", people=6, urgency="crisis",
                estimated_cost=600_00, survey_date=date(2026, 11, 2)))
            proposal = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
                organisation="福田区长者服务社", title=title, categories=("elderly_in_difficulty",),
                area_codes=(BINHE,), budget=900_00, capacity=10, duration_days=60))
            proposals.submit(session, ACTOR, proposal)
            proposals.review(session, ACTOR, proposal, accept=True)
    admin = scene.headers("street_admin")
    whole = run(client, scene)
    url = f"/api/v1/matching/runs/{whole['id']}/matches"
    first = client.get(url, headers=admin, query_string={"limit": 2}).json
    second = client.get(url, headers=admin, query_string={
        "limit": 2, "cursor": first["next_cursor"]}).json
    assert second["next_cursor"] is None
    paged = [match["id"] for match in first["items"] + second["items"]]
    with db.sessions() as session:
        made = session.scalars(select(RunMatch.id).where(RunMatch.run_id == whole["id"])
                               .order_by(RunMatch.id)).all()
    assert paged == made and len(paged) == 3
    other = scene.headers("other_street_admin")
    assert client.get(url, headers=other).json["items"] == []
    assert client.get(url, headers=other, query_string={"within": BINHE}).status_code == 403
    auditor = client.get(url, headers=scene.headers("auditor")).json
    assert len(auditor["items"]) == 3
    assert client.get(f"/api/v1/matching/runs/{whole['id'] + 1}/matches",
                      headers=admin).status_code == 404


@pytest.mark.parametrize("who", ["district_admin", "street_admin", "community_admin"])
def test_only_the_city_admin_runs_matching_on_demand(client, scene, snapshot, who):
    """A run is city-wide: it replaces every match nobody decided on, in every district. An
    admin below the city asking for one would withdraw the proposals other admins are
    deciding on, so only the city pool's admin may (the scheduler runs it nightly)."""
    waiting = proposed(client, scene)
    before = snapshot()
    refused = client.post("/api/v1/matching/runs", headers=scene.headers(who), json={})
    assert refused.status_code == 403, refused.json
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "Only an admin of the city pool may run matching" in refused.json["detail"]
    assert "replaces every proposed match nobody has decided on" in refused.json["detail"]
    assert snapshot() == before
    assert client.get(f"/api/v1/matching/matches/{waiting[0]['id']}",
                      headers=scene.headers("street_admin")).json["status"] == "proposed"


@pytest.mark.parametrize("who, status", [
    ("street_admin", 200), ("community_admin", 200), ("district_admin", 200),
    ("city_admin", 200), ("auditor", 200), ("other_street_admin", 403), ("foundation", 403)])
def test_a_match_is_read_by_those_whose_subtree_holds_its_proposal(client, scene, who, status):
    """A match shows its needs' communities, categories and people, as a need does: an admin
    reads it when the proposal's reserve pool (which holds every need it serves) lies in
    their subtree — the rule of ``/runs/{id}/matches`` — and an auditor reads every one."""
    [match] = proposed(client, scene)
    read = client.get(f"/api/v1/matching/matches/{match['id']}", headers=scene.headers(who))
    assert read.status_code == status, read.json
    if status == 403:
        assert read.headers["Content-Type"] == "application/problem+json"
        assert "needs" not in read.json
    else:
        assert read.json["needs"][0]["pool"] == BINHE


def test_only_admins_run_and_only_admins_of_every_pool_involved_decide(client, scene):
    assert client.post("/api/v1/matching/runs", headers=scene.headers("auditor"),
                       json={}).status_code == 403
    past = client.post("/api/v1/matching/runs", headers=scene.headers("city_admin"),
                       json={"on": "2020-01-01"})
    assert (past.status_code, past.json["errors"][0]["field"]) == (422, "on")
    assert client.get("/api/v1/matching/runs",
                      headers=scene.headers("foundation")).status_code == 403
    match = proposed(client, scene)[0]
    url = f"/api/v1/matching/matches/{match['id']}/approve"
    refused = client.post(url, headers=scene.headers("other_street_admin"))
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert client.get("/api/v1/matching/runs", headers=scene.headers("auditor")).json["items"]


def test_approve_pay_and_complete_over_http(client, scene):
    admin = scene.headers("street_admin")
    match = proposed(client, scene)[0]
    base = f"/api/v1/matching/matches/{match['id']}"
    approved = client.post(f"{base}/approve", headers=admin)
    assert approved.status_code == 200, approved.json
    assert (approved.json["status"], approved.json["held"]) == ("approved", "1200.00")
    again = client.post(f"{base}/approve", headers=admin)
    assert again.status_code == 409
    assert "approved, not proposed" in again.json["detail"]
    for amount, status in (("0.00", 422), ("1200.01", 422), (500, 422), ("400.00", 201)):
        paid = client.post(f"{base}/disbursements", headers=admin, json={"amount": amount})
        assert paid.status_code == status, paid.json
    assert paid.json["match"]["paid"] == "400.00"
    bank = client.get(f"/api/v1/accounts/{STREET}:1002:CNY", headers=admin).json
    assert (bank["balance"], bank["pending"]) == ("2600.00", "800.00")
    done = client.post(f"{base}/complete", headers=admin)
    assert (done.status_code, done.json["status"], done.json["held"]) == (200, "completed", "0.00")
    bank = client.get(f"/api/v1/accounts/{STREET}:1002:CNY", headers=admin).json
    assert (bank["balance"], bank["pending"]) == ("2600.00", "0.00")


def test_rejecting_without_a_reason_is_refused(client, scene):
    admin = scene.headers("street_admin")
    match = proposed(client, scene)[0]
    response = client.post(f"/api/v1/matching/matches/{match['id']}/reject", headers=admin,
                           json={})
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["reason"]


def test_a_scheduled_run_that_ends_after_a_newer_run_leaves_the_newer_runs_matches(
        client, db, scene, monkeypatch):
    """The scheduled run solves with no transaction open; an admin's run asked for meanwhile
    records first. Only the newest run's matches may stay open for a decision."""
    solve, asked = runs._solve, []

    def an_admin_runs_matching_meanwhile(inputs):
        if not asked:  # once: the admin's own run solves with this function too
            asked.append(None)
            asked[0] = run(client, scene)["id"]
        return solve(inputs)

    monkeypatch.setattr(runs, "_solve", an_admin_runs_matching_meanwhile)
    scheduled = runs.run_matching(db, ACTOR)
    with db.sessions() as session:
        status = {run_id: [m.status for m in session.get(MatchingRun, run_id).matches]
                  for run_id in (scheduled, asked[0])}
        message = session.get(MatchingRun, scheduled).message
    assert asked[0] > scheduled
    assert status == {scheduled: ["superseded"], asked[0]: ["proposed"]}
    assert f"newer run {asked[0]}" in message


def test_reading_runs_does_not_read_their_matches(client, scene):
    """A city's run has thousands of matches serving ~100,000 needs: the run's answer is its
    record, and its matches are read a page at a time, not loaded and thrown away."""
    admin = scene.headers("street_admin")
    made = run(client, scene)
    sent = []

    def seen(conn, cursor, statement, *args):
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        assert client.get(f"/api/v1/matching/runs/{made['id']}", headers=admin).status_code == 200
        assert client.get("/api/v1/matching/runs", headers=admin).status_code == 200
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert [s for s in sent if "run_match" in s] == []
