"""The matching pages: needs, the reserve pool, matching runs with approve / reject, grants."""

from __future__ import annotations

import re
from datetime import date

import pytest

from fundpool.donations import service
from fundpool.funds.service import get_fund
from fundpool.ledger.posting import today
from fundpool.matching import needs, proposals
from fundpool.pools.codes import Level
from tests.console.test_sign_in import csrf_of, sign_in
from tests.factories import ACTOR

STREET, BINHE, GUIYUAN = "440304001", "440304001001", "440303001"


def need(session, pool_code=BINHE, urgency="crisis", people=6, category="elderly_in_difficulty"):
    return needs.create_need(session, ACTOR, needs.NewNeed(
        pool_code=pool_code, category=category, people=people, urgency=urgency,
        estimated_cost=600_00, survey_date=date(2026, 11, 2)))


def proposal(session, title="滨河长者助餐", area=BINHE, review=True):
    made = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
        organisation="福田区长者服务社", title=title, categories=("elderly_in_difficulty",),
        area_codes=(area,), budget=1_200_00, capacity=10, duration_days=60))
    proposals.submit(session, ACTOR, made)
    if review:
        proposals.review(session, ACTOR, made, accept=True)
    return made


@pytest.fixture
def scene(db, shenzhen, make):
    """The API tests' scene: a crisis need in 滨河社区, a project in reserve for it, 3,000.00
    in the street's fund; people who sign in at the street, the other street, and an auditor."""
    with db.transaction() as session:
        donor = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "平安银行"))
        service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor.id, fund=get_fund(session, STREET), amount=3_000_00, currency="CNY",
            channel="bank_transfer", channel_ref="G-1", received_date=today(),
            issue_receipt=False))
        need(session)
        proposal(session)
    make.user("city", "admin", "440300")
    make.user("street", "admin", STREET)
    make.user("other.street", "admin", "440304002")
    make.user("auditor", "auditor")
    make.user("foundation", "foundation")
    return shenzhen


def signed(client, login):
    sign_in(client, login)
    return client


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def run_now(client) -> int:
    """A run now, asked for by the city's administrator (a run is city-wide: only they may),
    in a session of their own; ``client`` stays signed in as it was."""
    city = signed(client.application.test_client(), "city")
    page = page_of(city, "/matching/runs")
    response = city.post("/matching/runs", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/matching/runs/(\d+)$", response.headers["Location"]).group(1))


def match_id(page: str) -> int:
    return int(re.search(r'data-match="(\d+)"', page).group(1))


# Needs ---------------------------------------------------------------------------------

def test_needs_in_the_admins_subtree_with_filters_and_pages(client, db, make, scene,
                                                            monkeypatch):
    make.pool("440303001001", "桂园社区", Level.COMMUNITY, GUIYUAN)
    with db.transaction() as session:
        routine = need(session, urgency="routine", people=3)
        second = need(session, people=2)
        elsewhere = need(session, pool_code="440303001001")
    signed(client, "street")
    page = page_of(client, "/needs")
    assert "滨河社区" in page and "危机" in page and "¥600.00" in page and "2026-11-02" in page
    assert page.count("data-need=") == 3 and f'data-need="{elsewhere.id}"' not in page
    crisis = page_of(client, "/needs?urgency=crisis&status=open&category=elderly_in_difficulty")
    assert f'data-need="{routine.id}"' not in crisis and f'data-need="{second.id}"' in crisis
    assert page_of(client, "/needs?status=matched").count("data-need=") == 0
    monkeypatch.setattr("fundpool.console.views.needs.PAGE_SIZE", 2)
    first = page_of(client, "/needs?urgency=")
    assert first.count("data-need=") == 2
    following = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert page_of(client, following).count("data-need=") == 1
    english = page_of(client, "/needs?lang=en")
    assert "Crisis" in english or "crisis" in english
    assert "elderly with special difficulties" in english


def test_needs_outside_the_admins_subtree_are_refused(client, scene):
    signed(client, "other.street")
    assert "滨河社区" not in page_of(client, "/needs")
    refused = client.get(f"/needs?within={BINHE}")
    assert refused.status_code == 403 and "不在您的权限范围内" in refused.get_data(as_text=True)


def test_bad_filters_are_422_and_foundations_see_no_needs(client, scene):
    signed(client, "street")
    assert client.get("/needs?urgency=urgent").status_code == 422
    assert client.get("/needs?after=x").status_code == 422
    assert client.get("/needs?within=999999").status_code == 404
    other = signed(client.application.test_client(), "foundation")
    assert other.get("/needs").status_code == 403


def test_auditors_read_every_need_and_see_the_menu(client, scene):
    signed(client, "auditor")
    page = page_of(client, "/needs")
    assert "滨河社区" in page
    for path in ("/needs", "/proposals", "/matching/runs", "/grants"):
        assert f'href="{path}"' in page


# Reserve pool --------------------------------------------------------------------------

def test_the_reserve_pool_lists_and_filters_proposals(client, db, scene):
    with db.transaction() as session:
        waiting = proposal(session, title="南华助学", review=False)
    signed(client, "street")
    page = page_of(client, "/proposals")
    assert "滨河长者助餐" in page and "南华助学" in page and "¥1,200.00" in page
    submitted = page_of(client, "/proposals?status=submitted&category=elderly_in_difficulty")
    assert "南华助学" in submitted and "滨河长者助餐" not in submitted
    assert f'/proposals/{waiting.id}"' in submitted
    assert "南华助学" in page_of(client, f"/proposals?area={STREET}")
    assert client.get("/proposals?area=440303").status_code == 403
    assert client.get("/proposals?status=lost").status_code == 422


def test_an_admin_reviews_a_submitted_proposal_and_its_lifecycle_shows(client, db, scene):
    with db.transaction() as session:
        waiting = proposal(session, title="南华助学", review=False)
    signed(client, "street")
    page = page_of(client, f"/proposals/{waiting.id}")
    assert "已提交" in page and "放入储备库" in page
    response = client.post(f"/proposals/{waiting.id}/review",
                           data={"decision": "accept", "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    page = page_of(client, f"/proposals/{waiting.id}")
    assert 'data-field="status">储备中' in page
    assert "已提交 → 储备中" in page and "草稿" in page
    assert "放入储备库" not in page


def test_rejecting_a_proposal_needs_a_reason(client, db, scene, snapshot):
    with db.transaction() as session:
        waiting = proposal(session, title="南华助学", review=False)
    signed(client, "street")
    page = page_of(client, f"/proposals/{waiting.id}")
    before = snapshot()
    response = client.post(f"/proposals/{waiting.id}/review",
                           data={"decision": "reject", "reason": " ", "csrf_token": csrf_of(page)})
    assert response.status_code == 422
    assert "aria-invalid" in response.get_data(as_text=True)
    assert snapshot() == before
    done = client.post(f"/proposals/{waiting.id}/review",
                       data={"decision": "reject", "reason": "预算不清", "csrf_token": csrf_of(page)})
    assert done.status_code == 302
    assert 'data-field="reason">预算不清' in page_of(client, f"/proposals/{waiting.id}")


def test_an_admin_of_another_street_can_neither_read_nor_review(client, db, scene, snapshot):
    with db.transaction() as session:
        waiting = proposal(session, title="南华助学", review=False)
    signed(client, "other.street")
    assert client.get(f"/proposals/{waiting.id}").status_code == 403
    page = page_of(client, "/proposals")
    before = snapshot()
    refused = client.post(f"/proposals/{waiting.id}/review",
                          data={"decision": "accept", "csrf_token": csrf_of(page)})
    assert refused.status_code == 403 and "无权访问" in refused.get_data(as_text=True)
    assert snapshot() == before


def test_an_auditor_reads_a_proposal_but_is_not_offered_the_review(client, db, scene):
    with db.transaction() as session:
        waiting = proposal(session, title="南华助学", review=False)
    signed(client, "auditor")
    page = page_of(client, f"/proposals/{waiting.id}")
    assert "南华助学" in page and "放入储备库" not in page


# Matching runs -------------------------------------------------------------------------

def test_the_pool_filters_suggest_the_pools_of_the_admins_subtree_by_name(client, app, scene):
    signed(client, "street")
    for url in ("/needs", "/proposals", "/grants", f"/matching/runs/{run_now(client)}"):
        page = page_of(client, url)
        assert f'<option value="{BINHE}">滨河社区</option>' in page, url
        assert f'<option value="{GUIYUAN}">' not in page, url
    auditor = signed(app.test_client(), "auditor")
    assert f'<option value="{GUIYUAN}">' in page_of(auditor, "/needs")


def test_an_admin_runs_matching_and_reads_the_reasons_in_both_languages(client, scene):
    signed(client, "street")
    run_id = run_now(client)
    page = page_of(client, f"/matching/runs/{run_id}")
    assert "滨河长者助餐" in page and "待审批" in page
    assert "服务类别一致：特殊困难老人" in page and "危机需求" in page
    assert "¥1,200.00" in page and "批准" in page
    listing = page_of(client, "/matching/runs")
    assert f'data-run="{run_id}"' in listing and "已完成" in listing
    row = re.search(rf'<tr data-run="{run_id}">.*?</tr>', listing, re.S).group(0)
    assert '<td class="num">1</td>' in row  # its one match, counted
    english = page_of(client, f"/matching/runs/{run_id}?lang=en")
    assert "Category matches: elderly with special difficulties" in english


def test_a_run_is_read_a_page_of_matches_at_a_time_and_by_area(client, db, scene,
                                                                 monkeypatch):
    with db.transaction() as session:
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "李四"))
        service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor.id, fund=get_fund(session, STREET), amount=3_000_00, currency="CNY",
            channel="bank_transfer", channel_ref="G-2", received_date=today(),
            issue_receipt=False))
        for title in ("滨河助浴", "滨河陪诊"):
            need(session)
            proposal(session, title=title)
    monkeypatch.setattr("fundpool.console.views.runs.PAGE_SIZE", 2)
    signed(client, "street")
    run_id = run_now(client)
    first = page_of(client, f"/matching/runs/{run_id}")
    assert first.count("data-match=") == 2 and "下一页" in first
    following = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = page_of(client, following)
    assert second.count("data-match=") == 1 and "下一页" not in second
    assert not set(re.findall(r'data-match="(\d+)"', first)) & set(
        re.findall(r'data-match="(\d+)"', second))
    assert page_of(client, f"/matching/runs/{run_id}?run_id=2&_external=1").count(
        "data-match=") == 2
    nanhua = page_of(client, f"/matching/runs/{run_id}?within=440304001002")
    assert "data-match=" not in nanhua and "此处没有本次运行的更多匹配" in nanhua
    assert client.get(f"/matching/runs/{run_id}?within={GUIYUAN}").status_code == 403
    assert page_of(client, f"/matching/runs/{run_id}?within={BINHE}").count("data-match=") == 2
    last = match_id(second)
    done = client.post(f"/matching/matches/{last}/approve", data={"csrf_token": csrf_of(second)})
    assert done.status_code == 302
    shown = page_of(client, done.headers["Location"])
    assert f'data-match="{last}"' in shown and "已批准" in shown


def test_only_the_city_administrator_is_offered_and_may_run_matching_now(client, app, scene,
                                                                           snapshot):
    city = signed(app.test_client(), "city")
    assert "立即匹配" in page_of(city, "/matching/runs")
    signed(client, "street")
    listing = page_of(client, "/matching/runs")
    assert "立即匹配" not in listing and 'action="/matching/runs"' not in listing
    assert "只有市级资金池的管理员可以立即运行匹配" in listing
    before = snapshot()
    refused = client.post("/matching/runs", data={"csrf_token": csrf_of(listing)})
    assert refused.status_code == 403
    assert "只有市级资金池的管理员可以立即运行匹配" in refused.get_data(as_text=True)
    assert snapshot() == before
    english = page_of(client, "/matching/runs?lang=en")
    assert "Only an administrator of the city pool can run matching now" in english


def test_an_auditor_reads_runs_but_cannot_run_or_decide(client, app, scene, snapshot):
    admin = signed(app.test_client(), "street")
    run_id = run_now(admin)
    signed(client, "auditor")
    listing = page_of(client, "/matching/runs")
    assert "立即匹配" not in listing
    page = page_of(client, f"/matching/runs/{run_id}")
    assert "滨河长者助餐" in page and 'action="/matching/matches/' not in page
    before = snapshot()
    assert client.post("/matching/runs", data={"csrf_token": csrf_of(page)}).status_code == 403
    approve = client.post(f"/matching/matches/{match_id(page)}/approve",
                          data={"csrf_token": csrf_of(page)})
    assert approve.status_code == 403
    assert snapshot() == before


def test_approving_holds_the_money_and_funds_the_proposal(client, scene):
    signed(client, "street")
    page = page_of(client, f"/matching/runs/{run_now(client)}")
    match = match_id(page)
    response = client.post(f"/matching/matches/{match}/approve", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#match-{match}")
    page = page_of(client, response.headers["Location"])
    assert 'data-field="status">已批准' in page
    proposal_page = page_of(client, "/proposals?status=funded")
    assert "滨河长者助餐" in proposal_page
    assert 'data-field="held">¥1,200.00' in page_of(client, "/grants")
    twice = client.post(f"/matching/matches/{match}/approve", data={"csrf_token": csrf_of(page)})
    assert twice.status_code == 409 and "approved, not proposed" in twice.get_data(as_text=True)


def test_an_admin_of_another_street_cannot_approve(client, app, scene, snapshot):
    admin = signed(app.test_client(), "street")
    run_id = run_now(admin)
    match = match_id(page_of(admin, f"/matching/runs/{run_id}"))
    signed(client, "other.street")
    page = page_of(client, f"/matching/runs/{run_id}")
    assert 'action="/matching/matches/' not in page and "data-match=" not in page
    before = snapshot()
    for action in ("approve", "reject"):
        refused = client.post(f"/matching/matches/{match}/{action}",
                              data={"csrf_token": csrf_of(page), "reason": "不合适"})
        assert refused.status_code == 403 and "不在您的权限范围内" in refused.get_data(as_text=True)
    assert snapshot() == before


def test_rejecting_a_match_asks_for_a_reason(client, scene, snapshot):
    signed(client, "street")
    page = page_of(client, f"/matching/runs/{run_now(client)}")
    match = match_id(page)
    before = snapshot()
    empty = client.post(f"/matching/matches/{match}/reject",
                        data={"csrf_token": csrf_of(page), "reason": "  "})
    assert empty.status_code == 422 and "a rejection needs a reason" in empty.get_data(as_text=True)
    assert snapshot() == before
    done = client.post(f"/matching/matches/{match}/reject",
                       data={"csrf_token": csrf_of(page), "reason": "需求已由社区解决"})
    assert done.status_code == 302
    page = page_of(client, done.headers["Location"])
    assert 'data-field="status">已拒绝' in page and "需求已由社区解决" in page


def test_a_match_of_an_older_run_cannot_be_approved(client, scene, snapshot):
    signed(client, "street")
    old = page_of(client, f"/matching/runs/{run_now(client)}")
    newer = page_of(client, f"/matching/runs/{run_now(client)}")
    assert "已被取代" in page_of(client, f"/matching/runs/{match_run(old)}")
    before = snapshot()
    stale = client.post(f"/matching/matches/{match_id(old)}/approve",
                        data={"csrf_token": csrf_of(newer)})
    assert stale.status_code == 409
    assert "decide on the newest run" in stale.get_data(as_text=True)
    assert snapshot() == before


def match_run(page: str) -> int:
    return int(re.search(r"<h1>第 (\d+) 次运行", page).group(1))


# Grants --------------------------------------------------------------------------------

@pytest.fixture
def approved(client, scene):
    """The street admin signed in, the scene's match approved; its id."""
    signed(client, "street")
    page = page_of(client, f"/matching/runs/{run_now(client)}")
    match = match_id(page)
    client.post(f"/matching/matches/{match}/approve", data={"csrf_token": csrf_of(page)})
    return match


def test_a_grant_shows_what_each_fund_holds_and_pays_in_instalments(client, approved):
    page = page_of(client, f"/grants/{approved}")
    assert f'data-fund="{STREET}"' in page and 'data-field="held">¥1,200.00' in page
    paid = client.post(f"/grants/{approved}/pay",
                       data={"csrf_token": csrf_of(page), "amount": "400.00"})
    assert paid.status_code == 302
    page = page_of(client, f"/grants/{approved}")
    assert 'data-field="held">¥800.00' in page and 'data-field="paid">¥400.00' in page
    done = client.post(f"/grants/{approved}/complete", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 302
    page = page_of(client, f"/grants/{approved}")
    assert 'data-field="held">¥0.00' in page and 'data-field="paid">¥400.00' in page
    assert "<small>已完成</small>" in page and "已服务" in page and "支付分期款" not in page
    assert f'data-grant="{approved}"' in page_of(client, "/grants?status=completed")
    assert f'data-grant="{approved}"' not in page_of(client, "/grants?status=approved")
    english = page_of(client, f"/grants/{approved}?lang=en")
    assert "What each fund holds and has paid" in english and "Pay an instalment" not in english


def test_a_grant_with_nothing_paid_is_not_offered_completion(client, approved, snapshot):
    page = page_of(client, f"/grants/{approved}")
    assert 'action="/grants/' + str(approved) + '/complete"' not in page
    assert "尚未支付任何款项" in page and "取消资助" in page
    before = snapshot()
    refused = client.post(f"/grants/{approved}/complete", data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 409
    assert "请先支付一期分期款，或取消资助" in refused.get_data(as_text=True)
    assert snapshot() == before
    english = page_of(client, f"/grants/{approved}?lang=en")
    assert "Nothing has been paid yet" in english


def test_cancelling_a_grant_releases_its_money_and_reopens_its_needs(client, approved, snapshot):
    page = page_of(client, f"/grants/{approved}")
    assert "取消资助" in page and "待匹配" not in page
    before = snapshot()
    for reason in ("  ", "x" * 501):
        refused = client.post(f"/grants/{approved}/cancel",
                              data={"csrf_token": csrf_of(page), "reason": reason})
        assert refused.status_code == 422
        assert 'aria-invalid="true" aria-describedby="e-reason"' in refused.get_data(as_text=True)
        assert snapshot() == before
    client.post(f"/grants/{approved}/pay", data={"csrf_token": csrf_of(page), "amount": "200.00"})
    done = client.post(f"/grants/{approved}/cancel",
                       data={"csrf_token": csrf_of(page), "reason": "机构解散，项目无法执行"})
    assert done.status_code == 302
    page = page_of(client, f"/grants/{approved}")
    assert "<small>已取消</small>" in page and "理由: 机构解散，项目无法执行" in page
    assert "批准" not in page
    assert 'data-field="held">¥0.00' in page and 'data-field="paid">¥200.00' in page
    assert "待匹配" in page and "取消资助" not in page and "支付分期款" not in page
    assert client.post(f"/grants/{approved}/cancel", data={
        "csrf_token": csrf_of(page), "reason": "again"}).status_code == 409


@pytest.mark.parametrize("form", [
    {"amount": "abc"}, {"amount": "0.00"}, {"amount": "1200.01"}, {"amount": "1.001"},
    {"amount": ""}, {"amount": "1.00", "effective_date": "2026-13-01"},
    {"amount": "1.00", "memo": "x" * 501}])
def test_a_bad_instalment_is_422_and_pays_nothing(client, approved, snapshot, form):
    page = page_of(client, f"/grants/{approved}")
    before = snapshot()
    response = client.post(f"/grants/{approved}/pay", data={"csrf_token": csrf_of(page), **form})
    assert response.status_code == 422
    field = "amount" if len(form) == 1 else next(key for key in form if key != "amount")
    assert f'aria-invalid="true" aria-describedby="e-{field}"' in response.get_data(as_text=True)
    assert snapshot() == before


def test_a_grant_is_read_where_its_proposal_is_and_by_auditors(client, app, approved, snapshot):
    """As over the API: a grant's page shows its needs' communities and people, so an admin
    reads it only if the proposal's reserve pool lies in their subtree."""
    other = signed(app.test_client(), "other.street")
    refused = other.get(f"/grants/{approved}")
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert "不在您的权限范围内" in text and "滨河社区" not in text
    auditor = signed(app.test_client(), "auditor")
    page = page_of(auditor, f"/grants/{approved}")
    assert "滨河社区" in page and "支付分期款" not in page
    assert "滨河社区" in page_of(client, f"/grants/{approved}")  # the street's admin


def test_an_admin_of_another_street_cannot_pay_complete_or_cancel(client, app, approved,
                                                                  snapshot):
    other = signed(app.test_client(), "other.street")
    page = page_of(other, "/grants")
    assert f'data-grant="{approved}"' not in page
    assert other.get(f"/grants/{approved}").status_code == 403  # its needs are not theirs
    before = snapshot()
    assert other.post(f"/grants/{approved}/pay", data={
        "csrf_token": csrf_of(page), "amount": "1.00"}).status_code == 403
    assert other.post(f"/grants/{approved}/complete",
                      data={"csrf_token": csrf_of(page)}).status_code == 403
    assert other.post(f"/grants/{approved}/cancel",
                      data={"csrf_token": csrf_of(page), "reason": "no"}).status_code == 403
    assert snapshot() == before
