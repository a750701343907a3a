"""The public figures over HTTP: no token needed, aggregates only, donors masked, never contact
data; unknown pools, funds and projects are 404; bad years, months and quarters name the field."""

import json
from datetime import date, datetime

import pytest
from sqlalchemy import select

from fundpool.donations import service
from fundpool.funds.service import get_fund
from fundpool.ledger.posting import LEDGER_TZ, today
from fundpool.matching import approval, needs, proposals, runs
from fundpool.matching.run_models import RunMatch
from tests.factories import ACTOR

STREET, BINHE = "440304001", "440304001001"
SECRETS = ("13800138000", "440304199001011234", "zhang@example.com", "张三", "王五",
           "13900139000", "110101198001011234")
NEXT_YEAR = today().year + 1


@pytest.fixture
def scene(db, shenzhen):
    """张三 (with a phone and an identity number) gives 1,000.00, 平安银行 3,000.00 and an
    anonymous 王五 200.00 to 南园街道 in September; a lunch project in 滨河 is approved and paid
    400.00 on 15 October."""
    with db.transaction() as session:
        street = get_fund(session, STREET)
        for kind, name, anonymous, contact, id_number, amount, ref in (
                ("individual", "张三", False, "13800138000 zhang@example.com",
                 "440304199001011234", 1_000_00, "Z-1"),
                ("enterprise", "平安银行", False, None, None, 3_000_00, "P-1"),
                ("individual", "王五", True, "13900139000", "110101198001011234", 200_00, "W-1")):
            donor = service.create_donor(session, ACTOR, service.NewDonor(
                kind, name, anonymous=anonymous, contact=contact, id_number=id_number))
            service.record_donation(session, ACTOR, service.NewDonation(
                donor_id=donor.id, fund=street, amount=amount, currency="CNY",
                channel="bank_transfer", channel_ref=ref, received_date=date(2026, 9, 9),
                issue_receipt=False, purpose=f"{name} 13800138000"))
        needs.create_need(session, ACTOR, needs.NewNeed(
            pool_code=BINHE, category="elderly_in_difficulty", people=6, urgency="crisis",
            estimated_cost=600_00, survey_date=date(2026, 10, 2)))
        proposal = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
            organisation="福田区长者服务社", title="滨河长者助餐", categories=("elderly_in_difficulty",),
            area_codes=(BINHE,), budget=1_200_00, capacity=10, duration_days=60))
        proposals.submit(session, ACTOR, proposal)
        proposals.review(session, ACTOR, proposal, accept=True)
        draft = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
            organisation="某社工机构", title="草稿项目", categories=("general_residents",),
            area_codes=(BINHE,), budget=100_00, capacity=1, duration_days=10))
        run = runs.run_now(session, ACTOR)
        [match] = session.scalars(select(RunMatch).where(RunMatch.run_id == run.id)).all()
        approval.approve(session, ACTOR, match.id)
        match.decided_at = datetime(2026, 10, 15, 9, tzinfo=LEDGER_TZ)  # approved back then
        approval.disburse(session, ACTOR, match.id, 400_00, date(2026, 10, 15), "第一期")
    shenzhen.project, shenzhen.draft = proposal.id, draft.id
    return shenzhen


def get(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def month(body, label):
    return next(m for m in body["months"] if m["month"] == label)


def test_pool_figures_need_no_token_and_a_token_changes_nothing(client, scene):
    url = f"/api/v1/public/pools/440304/figures?from=2026-09&to={today():%Y-%m}"
    anonymous = get(client, url)
    assert anonymous == get(client, url, headers=scene.headers("auditor"))
    assert anonymous == get(client, url, headers=scene.headers("foundation"))
    assert anonymous["pool"] == {"code": "440304", "name": "福田区", "level": "district"}
    assert (anonymous["from"], anonymous["months"][0]["month"]) == ("2026-09", "2026-09")
    assert month(anonymous, "2026-09") == {
        "month": "2026-09", "donations": 3, "people_served": 0,
        "money": [{"currency": "CNY", "raised": "4200.00", "granted": "0.00"}]}
    assert month(anonymous, "2026-10")["money"] == [
        {"currency": "CNY", "raised": "0.00", "granted": "400.00"}]
    assert anonymous["held"] == [{"currency": "CNY", "amount": "800.00"}]
    assert anonymous["totals"]["donations"] == 3


def test_fund_figures_by_year(client, scene):
    body = get(client, "/api/v1/public/funds/440304001/figures?year=2026")
    assert body["fund"]["code"] == STREET and body["pool"] is None
    assert (body["from"], body["to"]) == ("2026-01", min(f"{today():%Y-%m}", "2026-12"))
    assert body["totals"]["money"][0]["raised"] == "4200.00"


def test_the_funds_and_funded_projects_of_a_pool_are_listed(client, scene):
    funds = get(client, "/api/v1/public/pools/440304/funds?limit=2")
    rest = get(client, f"/api/v1/public/pools/440304/funds?cursor={funds['next_cursor']}")
    codes = [f["code"] for f in funds["items"] + rest["items"]]
    assert (len(funds["items"]), rest["next_cursor"]) == (2, None)
    assert sorted(codes) == ["440304", "440304001", "440304001001", "440304001002",
                             "440304002", "440304002001"]
    assert funds["items"][0]["pool"]["code"] in codes
    projects = get(client, "/api/v1/public/pools/440304/projects")["items"]
    assert projects == [{"id": scene.project, "title": "滨河长者助餐",
                         "organisation": "福田区长者服务社",
                         "pool": {"code": BINHE, "name": "滨河社区", "level": "community"},
                         "status": "funded", "grant_status": "approved", "approved": "1200.00",
                         "people": 6}]
    assert get(client, "/api/v1/public/pools/440303/projects")["items"] == []
    assert client.get("/api/v1/public/pools/440309/funds").status_code == 404


def test_a_projects_quarterly_report(client, scene):
    body = get(client, f"/api/v1/public/projects/{scene.project}/reports/2026-Q4")
    assert (body["quarter"], body["from"], body["to"]) == ("2026-Q4", "2026-10-01", "2026-12-31")
    assert body["project"]["title"] == "滨河长者助餐"
    assert body["project"]["areas"] == [{"code": BINHE, "name": "滨河社区"}]
    assert body["project"]["categories"] == [{"code": "elderly_in_difficulty",
                                              "name": "特殊困难老人"}]
    assert body["grant"] == {"status": "approved", "approved": "1200.00",
                             "paid_in_quarter": "400.00", "paid_to_date": "400.00",
                             "held": "800.00", "completed_on": None}
    assert [(f["code"], f["share"], f["share_percent"], f["paid_to_date"])
            for f in body["funds"]] == [(STREET, "1200.00", "100.00", "400.00")]
    assert body["needs"] == [{"category": "elderly_in_difficulty", "category_name": "特殊困难老人",
                              "urgency": "crisis", "urgency_name": "危机", "needs": 1,
                              "people": 6}]
    assert (body["people"], body["people_served"]) == (6, 0)
    earlier = get(client, f"/api/v1/public/projects/{scene.project}/reports/2026-q3")
    assert (earlier["grant"]["paid_in_quarter"], earlier["grant"]["paid_to_date"]) == (
        "0.00", "0.00")


def test_a_funds_annual_report_masks_people_and_names_organisations(client, scene):
    body = get(client, f"/api/v1/public/funds/{STREET}/reports/2026")
    [cny] = body["currencies"]
    assert (cny["opening"], cny["donations"], cny["grants_paid"]) == (
        "0.00", {"count": 3, "total": "4200.00"}, "400.00")
    assert cny["closing"] == "3800.00"
    assert [(d["name"], d["kind"], d["amount"]) for d in cny["largest_donors"]] == [
        ("平安银行", "enterprise", "3000.00"), ("张*", "individual", "1000.00"),
        ("匿名", "individual", "200.00")]
    assert cny["projects"] == [{"id": scene.project, "title": "滨河长者助餐",
                                "organisation": "福田区长者服务社", "amount": "400.00"}]
    english = get(client, f"/api/v1/public/funds/{STREET}/reports/2026?lang=en")
    assert english["currencies"][0]["largest_donors"][2]["name"] == "Anonymous"
    asked = get(client, f"/api/v1/public/funds/{STREET}/reports/2026",
                headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert asked["currencies"][0]["largest_donors"][2]["name"] == "Anonymous"


def test_no_contact_data_or_full_personal_name_in_any_public_answer(client, scene):
    urls = [f"/api/v1/public/pools/{code}/figures?year=2026" for code in ("440300", STREET)]
    urls += [f"/api/v1/public/funds/{STREET}/figures", "/api/v1/public/pools/440300/funds",
             "/api/v1/public/pools/440300/projects",
             f"/api/v1/public/funds/{STREET}/reports/2026",
             f"/api/v1/public/funds/{STREET}/reports/2026?lang=en",
             f"/api/v1/public/projects/{scene.project}/reports/2026-Q4"]
    for url in urls:
        text = json.dumps(get(client, url), ensure_ascii=False)
        for secret in SECRETS:
            assert secret not in text, (url, secret)
        for key in ("donor_id", "contact", "id_number", "channel_ref", "purpose", "memo"):
            assert f'"{key}"' not in text, (url, key)


def test_the_public_part_of_the_openapi_document_needs_no_token(client):
    spec = get(client, "/api/v1/openapi.json")
    public = {(path, method): op for path, item in spec["paths"].items()
              if path.startswith("/api/v1/public/") for method, op in item.items()
              if method != "parameters"}
    assert {path for path, _ in public} == {
        "/api/v1/public/pools/{code}/figures", "/api/v1/public/funds/{code}/figures",
        "/api/v1/public/pools/{code}/funds", "/api/v1/public/pools/{code}/projects",
        "/api/v1/public/projects/{proposal_id}/reports/{quarter}",
        "/api/v1/public/funds/{code}/reports/{year}"}
    assert all(method == "get" and op["security"] == [] and "401" not in op["responses"]
               for (_, method), op in public.items())


@pytest.mark.parametrize("url, field", [
    ("/api/v1/public/pools/440309/figures", "code"),
    ("/api/v1/public/funds/NOPE-1/figures", "code"),
    ("/api/v1/public/funds/NOPE-1/reports/2026", "code"),
    ("/api/v1/public/projects/999999/reports/2026-Q4", "proposal_id"),
])
def test_unknown_pools_funds_and_projects_are_404(client, scene, url, field):
    response = client.get(url)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["errors"][0]["field"] == field


def test_a_project_never_funded_is_not_published(client, scene):
    response = client.get(f"/api/v1/public/projects/{scene.draft}/reports/2026-Q4")
    assert (response.status_code, response.json["errors"][0]["field"]) == (404, "proposal_id")


@pytest.mark.parametrize("url, field", [
    (f"/api/v1/public/pools/440304/figures?year={NEXT_YEAR}", "year"),
    ("/api/v1/public/pools/440304/figures?year=twenty", "year"),
    ("/api/v1/public/pools/440304/figures?year=2026&from=2026-01", "year"),
    ("/api/v1/public/pools/440304/figures?from=2026-13", "from"),
    ("/api/v1/public/pools/440304/figures?from=2026-06&to=2026-05", "from"),
    (f"/api/v1/public/pools/440304/figures?to={NEXT_YEAR}-01", "to"),
    ("/api/v1/public/pools/440304/figures?month=2026-01", "month"),
    (f"/api/v1/public/funds/{STREET}/figures?from=26-01", "from"),
    (f"/api/v1/public/funds/{STREET}/reports/{NEXT_YEAR}", "year"),
    (f"/api/v1/public/funds/{STREET}/reports/20x6", "year"),
    (f"/api/v1/public/funds/{STREET}/reports/2026?lang=fr", "lang"),
    ("/api/v1/public/projects/1/reports/2026-Q5", "quarter"),
    ("/api/v1/public/projects/1/reports/2026", "quarter"),
    (f"/api/v1/public/projects/1/reports/{NEXT_YEAR}-Q1", "quarter"),
])
def test_bad_years_months_and_quarters_name_the_field(client, scene, url, field):
    response = client.get(url)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert field in [error["field"] for error in response.json["errors"]]


def test_public_requests_change_nothing(client, scene, snapshot):
    before = snapshot()
    get(client, f"/api/v1/public/funds/{STREET}/reports/2026")
    get(client, "/api/v1/public/pools/440300/figures")
    assert snapshot() == before


def test_without_a_token_the_public_reaches_no_individual_gift(client, scene):
    for url in ("/api/v1/donations", "/api/v1/donors/1", f"/api/v1/funds/{STREET}",
                f"/api/v1/reports/funds/{STREET}/statement", "/api/v1/receipts"):
        response = client.get(url)
        assert response.status_code == 401, url
