"""The administrator's money pages: a pool, a fund (statement, charts), recording a
donation with its receipt, and importing a donations file."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from fundpool.donations import receipts, service
from fundpool.funds.allocation import allocate
from fundpool.funds.service import NewFund, Restriction, create_fund, get_fund
from fundpool.ledger.posting import today
from fundpool.pools.service import get_pool
from tests.console.test_sign_in import csrf_of, sign_in
from tests.factories import ACTOR
from tests.integration.test_import import SAMPLE

STREET, ELDER, LUOHU = "440304001", "ELDER-440304001", "440303001"


@pytest.fixture
def scene(db, shenzhen, make):
    """张三 gives ELDER 5,000.00 and 李四 the street's general fund 2,000.00, of which
    500.00 goes on to ELDER; the street has a receipt book of 100 numbers."""
    make.user("wang.fang", "admin", "440304")
    make.user("li.lei", "admin", "440303")
    make.user("shen.ji", "auditor")
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(
            code=ELDER, name="长者关爱基金", kind="special", pool_code=STREET, restricted=True,
            restriction=Restriction(categories=("elderly_in_difficulty",))))
        receipts.register_book(session, ACTOR, get_pool(session, STREET), "44030426",
                               "0000000001", "0000000100")
        for name, fund, amount, ref in (("张三", ELDER, 5_000_00, "B-1"),
                                        ("李四", STREET, 2_000_00, "B-2")):
            donor = service.create_donor(session, ACTOR, service.NewDonor("individual", name))
            service.record_donation(session, ACTOR, service.NewDonation(
                donor_id=donor.id, fund=get_fund(session, fund), amount=amount, currency="CNY",
                channel="bank_transfer", channel_ref=ref, received_date=today(),
                issue_receipt=False))
        allocate(session, ACTOR, get_fund(session, STREET), get_fund(session, ELDER), 500_00,
                 "CNY", today(), "助老")
    return shenzhen


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_pool_page_shows_its_funds_money_and_recent_entries(client, scene):
    sign_in(client, "wang.fang")
    page = text(client.get(f"/pools/{STREET}"))
    assert "南园街道" in page
    elder = re.search(rf'<tr data-fund="{ELDER}">.*?</tr>', page, re.DOTALL).group(0)
    assert "长者关爱基金" in elder and "¥5,500.00" in elder and "限定" in elder
    assert f'href="/funds/{ELDER}"' in elder
    general = re.search(rf'<tr data-fund="{STREET}">.*?</tr>', page, re.DOTALL).group(0)
    assert "¥1,500.00" in general and "非限定" in general
    assert "滨河社区" in page  # the pools below
    assert page.count("<tr data-entry=") == 3 and "助老" in page


def test_the_pool_page_pages_its_entries_newest_first(client, scene, monkeypatch):
    monkeypatch.setattr("fundpool.console.views.pools.ENTRIES_PER_PAGE", 2)
    sign_in(client, "wang.fang")
    first = text(client.get(f"/pools/{STREET}"))
    ids = [int(i) for i in re.findall(r'<tr data-entry="(\d+)"', first)]
    assert ids == sorted(ids, reverse=True) and len(ids) == 2
    older = re.search(r'href="(/pools/440304001\?before=\d+)"', first).group(1)
    rest = [int(i) for i in re.findall(r'<tr data-entry="(\d+)"', text(client.get(older)))]
    assert len(rest) == 1 and rest[0] < min(ids)


def test_pools_outside_an_admins_subtree_are_refused_auditors_read_all(app, client, scene):
    sign_in(client, "li.lei")
    refused = client.get(f"/pools/{STREET}")
    assert refused.status_code == 403 and "不在您的权限范围内" in text(refused)
    assert client.get(f"/funds/{ELDER}").status_code == 403
    assert client.get("/pools/449999").status_code == 404
    auditor = app.test_client()
    sign_in(auditor, "shen.ji")
    assert "长者关爱基金" in text(auditor.get(f"/pools/{STREET}"))
    assert auditor.get(f"/funds/{ELDER}").status_code == 200


def test_the_fund_page_shows_its_statement_and_chart_data(client, scene):
    sign_in(client, "wang.fang")
    page = text(client.get(f"/funds/{ELDER}"))
    statement = re.search(r'<table data-statement="CNY">.*?</table>', page, re.DOTALL).group(0)
    assert "张三" in statement and "¥5,000.00" in statement
    assert re.search(r'data-figure="opening">¥0.00<', statement)
    assert re.search(r'data-figure="closing">¥5,500.00<', statement)
    data = json.loads(re.search(r'<script type="application/json" id="fund-chart-data">(.*?)'
                                r'</script>', page, re.DOTALL).group(1))
    assert data["balance"][0]["points"][-1][1] == "5500.00"
    labels = {node["label"] for node in data["flows"]["nodes"]}
    assert {"张三", "长者关爱基金", "来自 南园街道资金池", "基金余存"} <= labels
    assert {(link["value"]) for link in data["flows"]["links"]} == {"5000.00", "500.00",
                                                                    "5500.00"}
    flows = re.search(r'<table data-flows>.*?</table>', page, re.DOTALL).group(0)
    assert "张三" in flows and "¥5,500.00" in flows
    assert "fund_charts.js" in page and "echarts-5.6.0.min.js" in page


def test_the_fund_page_shows_the_money_it_keeps_in_other_currencies(client, db, scene):
    """Gifts in HKD stay in HKD: the fund's money now lists them beside its yuan."""
    from fundpool.ledger.accounts import open_currency
    with db.transaction() as session:
        fund = get_fund(session, ELDER)
        open_currency(session, ACTOR, fund, "HKD")
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "陈五"))
        service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor.id, fund=fund, amount=1_234_56, currency="HKD",
            channel="bank_transfer", channel_ref="HK-1", received_date=today(),
            issue_receipt=False))
    sign_in(client, "wang.fang")
    page = text(client.get(f"/funds/{ELDER}"))
    now = re.search(r'<section aria-labelledby="now">.*?</section>', page, re.DOTALL).group(0)
    assert re.search(r'data-figure="balance">¥5,500.00<', now)
    assert re.search(r'data-figure="balance-HKD">HK\$1,234.56<', now)
    assert re.search(r'data-figure="available-HKD">HK\$1,234.56<', now)
    # The balance chart's one axis is in yuan: HK$ is not drawn on it, its table has it.
    data = json.loads(re.search(r'<script type="application/json" id="fund-chart-data">(.*?)'
                                r'</script>', page, re.DOTALL).group(1))
    assert [line["currency"] for line in data["balance"]] == ["CNY"]
    assert '<table data-balance="HKD">' in page


def test_the_fund_page_flows_of_the_general_fund_go_on_to_the_fund_it_allocated_to(client,
                                                                                   scene):
    sign_in(client, "wang.fang")
    flows = re.search(r'<table data-flows>.*?</table>', text(client.get(f"/funds/{STREET}")),
                      re.DOTALL).group(0)
    assert re.search(r'<tr data-flow="fund-fund_out"><td>南园街道资金池</td><td>转入 长者关爱基金'
                     r'</td><td class="num">¥500.00</td>', flows)


def test_the_fund_page_takes_a_period_and_refuses_a_bad_one(client, scene):
    sign_in(client, "wang.fang")
    day = today()
    earlier = text(client.get(f"/funds/{ELDER}?from=2020-01-01&to=2020-12-31"))
    assert re.search(r'data-figure="closing">¥0.00<', earlier) and "张三" not in \
        re.search(r'<table data-statement="CNY">.*?</table>', earlier, re.DOTALL).group(0)
    bad = client.get(f"/funds/{ELDER}?from=yesterday&to={day.isoformat()}")
    assert bad.status_code == 422 and "YYYY-MM-DD" in text(bad)
    backwards = client.get(f"/funds/{ELDER}?from={day.isoformat()}&to=2020-01-01")
    assert backwards.status_code == 422


def donation_form(client, **changes) -> dict[str, str]:
    page = text(client.get("/donations/new"))
    form = {"csrf_token": csrf_of(page), "fund": ELDER, "donor_name": "赵六",
            "donor_kind": "individual", "amount": "1,234.56".replace(",", ""),
            "channel": "bank_transfer", "channel_ref": "BANK-777",
            "received_date": today().isoformat(), "purpose": "助老", "issue_receipt": "on"}
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def test_a_recorded_donation_shows_its_receipt_and_the_funds_new_balance(client, scene):
    sign_in(client, "wang.fang")
    assert 'name="amount"' in text(client.get(f"/donations/new?fund={ELDER}"))
    response = client.post("/donations/new", data=donation_form(client))
    assert response.status_code == 302
    assert re.fullmatch(r"/donations/\d+", response.headers["Location"])
    page = text(client.get(response.headers["Location"]))
    assert "赵六" in page and "¥1,234.56" in page
    assert re.search(r'data-figure="receipt-code">44030426<', page)
    assert re.search(r'data-figure="receipt-number">0000000001<', page)
    assert re.search(r'data-figure="balance">¥6,734.56<', page)
    fund = text(client.get(f"/funds/{ELDER}"))
    assert re.search(r'data-figure="available">¥6,734.56<', fund)


def test_an_anonymous_donation_without_receipt(client, scene):
    sign_in(client, "wang.fang")
    response = client.post("/donations/new", data=donation_form(
        client, donor_name="", donor_anonymous="on", issue_receipt=None))
    page = text(client.get(response.headers["Location"]))
    assert "匿名捐赠人" in page and "未开具票据" in page


def test_a_gift_in_kind_is_recorded_with_what_was_given_and_its_valuation(client, scene):
    sign_in(client, "wang.fang")
    response = client.post("/donations/new", data=donation_form(
        client, channel="in_kind", channel_ref="IK-2026-001", amount="3600.00",
        in_kind_description="轮椅 12 台", valuation_basis="供货发票 No.0457"))
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "实物捐赠" in page and "轮椅 12 台" in page and "供货发票 No.0457" in page
    assert "¥3,600.00" in page


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"amount": "12.345"}, "amount", "CNY 金额最多 2 位小数；收到的是 &#39;12.345&#39;"),
    ({"amount": "abc"}, "amount", "&#39;abc&#39; 不是正的小数金额"),
    ({"channel_ref": ""}, "channel_ref", "请填写渠道自身的流水号"),
    ({"received_date": "27/11/2026"}, "received_date", "YYYY-MM-DD"),
    ({"donor_name": ""}, "donor_name", "须填写姓名或名称"),
    ({"fund": "NO-SUCH-FUND"}, "fund", "NO-SUCH-FUND"),
    ({"channel_ref": "B-1"}, "channel_ref", "渠道 bank_transfer 的流水号 B-1 已登记为第"),
    ({"channel_ref": "B" * 101}, "channel_ref", "100"),
    ({"purpose": "助老" * 251}, "purpose", "500"),
    ({"donor_name": "赵" * 201}, "donor_name", "200"),
    ({"channel": "in_kind", "valuation_basis": "发票"}, "in_kind_description", "须填写捐赠物品"),
    ({"channel": "in_kind", "in_kind_description": "轮椅"}, "valuation_basis", "须填写计价依据"),
    ({"in_kind_description": "轮椅"}, "in_kind_description", "仅用于实物捐赠"),
])
def test_bad_donation_input_is_shown_beside_the_field_and_changes_nothing(
        client, scene, snapshot, changes, field, words):
    sign_in(client, "wang.fang")
    form = donation_form(client, **changes)
    before = snapshot()
    response = client.post("/donations/new", data=form)
    assert response.status_code == 422
    beside = re.search(rf'<p class="error" id="e-{field}">(.*?)</p>', text(response), re.DOTALL)
    assert beside and words in beside.group(1)
    assert f'value="{form.get("purpose")}"' in text(response)  # what was typed is kept
    assert snapshot() == before


@pytest.mark.parametrize("field", ["purpose", "donor_name", "channel_ref", "in_kind_description"])
def test_text_no_column_can_store_is_refused_naming_the_field(client, scene, snapshot, field):
    sign_in(client, "wang.fang")
    form = donation_form(client, **{field: "助老\x00"})
    before = snapshot()
    response = client.post("/donations/new", data=form)
    assert response.status_code == 422 and "NUL" in text(response)
    assert field in text(response)
    assert snapshot() == before
    assert client.get("/needs?within=4403%00").status_code == 422


def test_a_refusal_with_details_reads_whole_in_either_language(client, scene):
    sign_in(client, "wang.fang")
    form = donation_form(client, channel_ref="B-1")
    chinese = text(client.post("/donations/new", data=form))
    assert "渠道 bank_transfer 的流水号 B-1 已登记为第" in chinese and "already" not in chinese
    form = donation_form(client, channel_ref="B-1")
    english = text(client.post("/donations/new?lang=en", data=form))
    assert "bank_transfer reference B-1 is already recorded as donation" in english


def test_a_donation_without_receipt_numbers_left_changes_nothing(client, db, scene, snapshot):
    with db.transaction() as session:
        pool = get_pool(session, STREET)
        for book in receipts.list_books(session, pool.id):
            book.next_number = book.last_number + 1
    sign_in(client, "wang.fang")
    form = donation_form(client)
    before = snapshot()
    response = client.post("/donations/new", data=form)
    assert response.status_code == 422 and "票据号码已用完" in text(response)
    assert snapshot() == before


def test_donations_outside_scope_or_by_non_admins_are_refused_and_change_nothing(
        app, client, scene, snapshot):
    sign_in(client, "wang.fang")
    form = donation_form(client, fund=LUOHU)
    before = snapshot()
    response = client.post("/donations/new", data=form)
    assert response.status_code == 403 and "不在您的权限范围内" in text(response)
    assert snapshot() == before
    auditor = app.test_client()
    sign_in(auditor, "shen.ji")
    assert auditor.get("/donations/new").status_code == 403
    assert auditor.get("/imports/new").status_code == 403
    menu = text(auditor.get("/"))
    assert "/donations/new" not in menu and "/imports/new" not in menu
    admin_menu = text(client.get("/"))
    assert 'href="/donations/new"' in admin_menu and 'href="/imports/new"' in admin_menu


def finish(app):
    for worker in app.extensions.get("fundpool.import_threads", []):
        worker.join(timeout=120)


def upload(client, content: bytes, name: str = "giving-day.csv", **form):
    page = text(client.get("/imports/new"))
    data = {"csrf_token": csrf_of(page), "channel": "internet_platform",
            "file": (io.BytesIO(content), name), **form}
    return client.post("/imports/new", data=data, content_type="multipart/form-data")


def multipart(file_name: str, size: int, **fields) -> tuple[bytes, str]:
    """A multipart body built here: the test client spools a large one to a file it leaves
    open."""
    parts = [f'--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             .encode() for name, value in fields.items()]
    parts.append(f'--b\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"'
                 '\r\nContent-Type: text/csv\r\n\r\n'.encode() + b"x" * size + b"\r\n--b--\r\n")
    return b"".join(parts), "multipart/form-data; boundary=b"


def test_only_a_signed_in_administrator_may_send_a_body_larger_than_a_request(app, client,
                                                                             scene):
    """The import page takes files far larger than any other request; a stranger (or an
    auditor) must not be able to make the server receive and parse one, only to be refused
    for the missing form token afterwards."""
    body, kind = multipart("a.csv", 2_000_000, csrf_token="not-the-token")
    assert app.test_client().post("/imports/new", data=body, content_type=kind).status_code == 413
    auditor = app.test_client()
    sign_in(auditor, "shen.ji")
    assert auditor.post("/imports/new", data=body, content_type=kind).status_code == 413
    sign_in(client, "wang.fang")
    body, kind = multipart("a.txt", 2_000_000, channel="internet_platform",
                           csrf_token=csrf_of(text(client.get("/imports/new"))))
    admitted = client.post("/imports/new", data=body, content_type=kind)
    assert admitted.status_code == 422  # read in full, then refused for its kind


def test_an_uploaded_file_is_imported_and_its_report_shown(app, client, scene):
    sign_in(client, "wang.fang")
    started = upload(client, SAMPLE.read_bytes(), expect_rows="5")
    assert started.status_code == 302
    location = started.headers["Location"]
    assert re.fullmatch(r"/imports/\d+", location)
    finish(app)
    status = client.get(f"{location}/status").json
    assert status == {"status": "done", "label": "已完成", "rows_done": 5, "rows_total": 5,
                      "finished": True}
    page = text(client.get(location))
    assert re.search(r'<progress id="import-progress" max="5" value="5">', page)
    assert re.search(r'data-figure="imported">5<', page)
    assert re.search(r'data-figure="duplicates">0<', page)
    assert "import_progress.js" not in page  # nothing left to watch
    again = upload(client, SAMPLE.read_bytes())
    finish(app)
    report = text(client.get(again.headers["Location"]))
    assert re.search(r'data-figure="duplicates">5<', report)
    assert "TX202609090000001" in report


def test_bad_rows_are_listed_with_their_reasons(app, client, scene):
    sign_in(client, "wang.fang")
    body = ("transaction_id,time,amount,donor_name,fund_code,purpose\n"
            "T-1,2026-09-09 10:00:00,10.00,小王,440304001,x\n"
            "T-2,2026-09-09 10:00:00,-3,小李,440304001,x\n"
            f"T-3,2026-09-09 10:00:00,5.00,小张,{LUOHU},x\n")
    started = upload(client, body.encode())
    finish(app)
    page = text(client.get(started.headers["Location"]))
    assert re.search(r'data-figure="imported">1<', page)
    assert re.search(r'data-figure="rejected">2<', page)
    rejected = re.search(r'<table data-report="rejected">.*?</table>', page, re.DOTALL).group(0)
    assert ">3<" in rejected and ">4<" in rejected


def test_a_running_import_page_polls_its_status(app, client, scene, db):
    from fundpool.donations.models import ImportJob
    with db.transaction() as session:
        job = ImportJob(file_name="x.csv", channel="internet_platform", strict=False,
                        created_by="test", token_id=None, status="importing", rows_total=10,
                        rows_done=4)
        session.add(job)
        session.flush()
        job_id = job.id
    sign_in(client, "shen.ji")
    page = text(client.get(f"/imports/{job_id}"))
    assert re.search(r'<progress id="import-progress" max="10" value="4">', page)
    assert "import_progress.js" in page and f'data-status-url="/imports/{job_id}/status"' in page
    assert client.get(f"/imports/{job_id}/status").json["finished"] is False


def test_bad_uploads_change_nothing_and_others_cannot_watch_an_import(app, client, scene,
                                                                        snapshot):
    sign_in(client, "wang.fang")
    before = snapshot()
    wrong_kind = upload(client, b"x", name="data.pdf")
    assert wrong_kind.status_code == 422 and 'id="e-file"' in text(wrong_kind)
    wrong_channel = upload(client, b"x", channel="carrier-pigeon")
    assert wrong_channel.status_code == 422 and 'id="e-channel"' in text(wrong_channel)
    assert upload(client, b"x", expect_total="1.234").status_code == 422
    assert snapshot() == before
    started = upload(client, SAMPLE.read_bytes())
    finish(app)
    other = app.test_client()
    sign_in(other, "li.lei")
    assert other.get(started.headers["Location"]).status_code == 403
    assert other.get(started.headers["Location"] + "/status").status_code == 403


def test_a_funds_flows_go_on_to_the_projects_it_pays_counting_held_money_once(client, db,
                                                                              shenzhen, make):
    """3,000.00 from 平安银行; a project of 1,200.00 approved, 500.00 of it paid: the project's
    band is 1,200.00 (paid and held) and 1,800.00 is left in the fund."""
    from fundpool.matching import approval, runs
    from tests.console.test_matching_pages import scene as matching_scene
    matching_scene.__wrapped__(db, shenzhen, make)
    with db.transaction() as session:
        match = runs.run_now(session, ACTOR).matches[0]
        approval.approve(session, ACTOR, match.id)
        approval.disburse(session, ACTOR, match.id, 500_00, today(), "第一期")
    sign_in(client, "street")
    flows = re.search(r'<table data-flows>.*?</table>', text(client.get(f"/funds/{STREET}")),
                      re.DOTALL).group(0)
    rows = re.findall(r'<tr data-flow="([a-z_-]+)"><td>(.*?)</td><td>(.*?)</td>'
                      r'<td class="num">(.*?)</td>', flows)
    assert rows == [("donor-fund", "平安银行", "南园街道资金池", "¥3,000.00"),
                    ("fund-project", "南园街道资金池", "项目：滨河长者助餐", "¥1,200.00"),
                    ("fund-kept", "南园街道资金池", "基金余存", "¥1,800.00")]


def test_the_money_pages_in_english_and_reached_from_the_dashboard(client, scene):
    sign_in(client, "wang.fang")
    assert 'href="/pools/440304"' in text(client.get("/"))
    pool = text(client.get(f"/pools/{STREET}?lang=en"))
    assert "Money in the fund" in pool and "Unrestricted" in pool and "Recent entries" in pool
    fund = text(client.get(f"/funds/{ELDER}"))
    assert "Where the money came from and went" in fund and "From 南园街道资金池" in fund
    form = text(client.get("/donations/new"))
    assert "Record the donation" in form and "Amount (yuan)" in form


def test_the_flows_name_funds_in_the_pages_language(client, db, scene):
    """A fund with an English name is called so in the English flow chart and its table,
    at either end of an allocation; a fund without one keeps its own name."""
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(code="YOUTH-440304001", name="青少年基金",
                                            kind="special", pool_code=STREET, restricted=False,
                                            name_en="Youth fund"))
        allocate(session, ACTOR, get_fund(session, STREET), get_fund(session, "YOUTH-440304001"),
                 300_00, "CNY", today(), "青少年活动")
    sign_in(client, "wang.fang")
    street = text(client.get(f"/funds/{STREET}?lang=en"))
    flows = re.search(r'<table data-flows>.*?</table>', street, re.DOTALL).group(0)
    assert "To Youth fund" in flows and "青少年基金" not in flows
    youth = text(client.get("/funds/YOUTH-440304001?lang=en"))
    flows = re.search(r'<table data-flows>.*?</table>', youth, re.DOTALL).group(0)
    assert "From 南园街道资金池" in flows and "Youth fund" in flows and "青少年基金" not in flows
    chinese = text(client.get("/funds/YOUTH-440304001?lang=zh_CN"))
    flows = re.search(r'<table data-flows>.*?</table>', chinese, re.DOTALL).group(0)
    assert "青少年基金" in flows


def test_the_dashboard_shows_money_raised_in_other_currencies(client, db, scene):
    """HK$ raised this month is money raised: the dashboard lists it beside the yuan, for
    the pool and for the pool below it that raised it."""
    from fundpool.ledger.accounts import open_currency
    with db.transaction() as session:
        fund = get_fund(session, STREET)
        open_currency(session, ACTOR, fund, "HKD")
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "陈五"))
        service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor.id, fund=fund, amount=1_234_56, currency="HKD",
            channel="bank_transfer", channel_ref="HK-2", received_date=today(),
            issue_receipt=False))
    sign_in(client, "wang.fang")
    page = text(client.get("/"))
    assert re.search(r'data-figure="raised-HKD">HK\$1,234.56<', page)
    row = re.search(rf'<tr data-pool="{STREET}" data-currency="HKD">.*?</tr>', page,
                    re.DOTALL).group(0)
    assert "HK$1,234.56" in row
    assert re.search(r'data-figure="raised">¥7,000.00<', page)


def test_the_donation_page_names_its_fund_in_the_pages_language(client, db, scene):
    from sqlalchemy import update

    from fundpool.donations.models import Donation
    from fundpool.funds.models import Fund
    with db.transaction() as session:
        session.execute(update(Fund).where(Fund.code == ELDER).values(name_en="Elder care fund"))
        donation_id = session.scalar(select(Donation.id).where(Donation.channel_ref == "B-1"))
    sign_in(client, "wang.fang")
    english = text(client.get(f"/donations/{donation_id}?lang=en"))
    assert "Elder care fund" in english and "长者关爱基金" not in english
    assert "长者关爱基金" in text(client.get(f"/donations/{donation_id}?lang=zh_CN"))


def _held_scene(db):
    """ELDER holds 1,000.00 for an approved grant and 300.00 by a manual hold placed
    through the ledger API (kind ``grant``): 1,300.00 held, 4,200.00 available."""
    from fundpool.ledger import holds
    from fundpool.matching.grants import Portion, bank, hold_grant, payable
    with db.transaction() as session:
        elder = get_fund(session, ELDER)
        hold_grant(session, ACTOR, [Portion(elder, 1_000_00)], "长者助餐")
        holds.create_hold(session, ACTOR, [holds.NewLeg(bank(elder), payable(elder), 300_00)],
                          kind="grant", memo="人工预留")


def test_the_pool_page_shows_all_held_money_and_the_grants_part_of_it(client, db, scene):
    """"Held" is every hold on the fund's money; approved grants' holds are a part of it,
    shown apart, so a hold placed by hand is not taken for a grant."""
    _held_scene(db)
    sign_in(client, "wang.fang")
    for lang, held, grants in (("zh_CN", "预留", "其中已批项目预留"),
                               ("en", "Held", "Of which for approved grants")):
        page = text(client.get(f"/pools/{STREET}?lang={lang}"))
        heads = re.findall(r'<th scope="col" class="num">(.*?)</th>', page)
        assert heads[1:3] == [held, grants]
        elder = re.search(rf'<tr data-fund="{ELDER}">.*?</tr>', page, re.DOTALL).group(0)
        figures = re.findall(r'<td class="num"[^>]*>(.*?)</td>', elder)
        assert figures == ["¥5,500.00", "¥1,300.00", "¥1,000.00", "¥4,200.00"]


def test_the_fund_page_shows_all_held_money_and_the_grants_part_of_it(client, db, scene):
    _held_scene(db)
    sign_in(client, "wang.fang")
    for lang, held, grants in (("zh_CN", "预留", "其中已批项目预留"),
                               ("en", "Held", "Of which for approved grants")):
        page = text(client.get(f"/funds/{ELDER}?lang={lang}"))
        assert re.search(rf'<dt>{held}</dt><dd data-figure="held">¥1,300.00</dd>', page)
        assert re.search(rf'<dt>{grants}</dt><dd data-figure="held-for-grants">¥1,000.00</dd>',
                         page)
        assert '<dd data-figure="available">¥4,200.00</dd>' in page


def _entry_rows(page: str) -> list[list[str]]:
    """The recent entries' cells: id, date, kind, memo, then the figures."""
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)
            for row in re.findall(r'<tr data-entry="\d+">(.*?)</tr>', page, re.DOTALL)]


def test_recent_entries_show_the_pools_own_money_in_and_out(client, db, scene):
    """福田区 gives its street 800.00, then ELDER (the street's) and the district's fund pay
    one project 600.00 + 400.00. Each pool's page shows what the entry moved on its own
    money, not the entry's whole size: the street's part of the payment is 600.00 of the
    1,000.00; the grant's expense and its release of ELDER's restriction move no money."""
    from fundpool.matching.grants import Portion, hold_grant, pay_instalment
    with db.transaction() as session:
        district, street = get_fund(session, "440304"), get_fund(session, STREET)
        donor = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "平安银行"))
        service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor.id, fund=district, amount=3_000_00, currency="CNY",
            channel="bank_transfer", channel_ref="D-1", received_date=today(),
            issue_receipt=False))
        allocate(session, ACTOR, district, street, 800_00, "CNY", today(), "下拨南园")
        hold = hold_grant(session, ACTOR, [Portion(get_fund(session, ELDER), 600_00),
                                           Portion(district, 400_00)], "长者助餐")
        pay_instalment(session, ACTOR, hold.id, [600_00, 400_00], today(), "第一期")
    sign_in(client, "wang.fang")
    street_page = text(client.get(f"/pools/{STREET}?lang=en"))
    by_kind = {(row[2], row[3]): row[4:] for row in _entry_rows(street_page)}
    assert by_kind[("Allocation", "下拨南园")] == ["¥800.00", "—"]
    assert by_kind[("Allocation", "助老")] == ["¥500.00", "¥500.00"]  # between its own funds
    assert by_kind[("Disbursement", "第一期")] == ["—", "¥600.00"]
    assert by_kind[("Grant", "第一期")] == ["—", "—"]
    district = {(row[2], row[3]): row[4:]
                for row in _entry_rows(text(client.get("/pools/440304?lang=en")))}
    assert district[("Allocation", "下拨南园")] == ["—", "¥800.00"]
    assert district[("Disbursement", "第一期")] == ["—", "¥400.00"]
    assert [figures for (kind, _memo), figures in district.items() if kind == "Donation"] == [
        ["¥3,000.00", "—"]]
    heads = re.findall(r'<th scope="col" class="num">(.*?)</th>', street_page)
    assert heads[-2:] == ["Money in", "Money out"]
    chinese = re.findall(r'<th scope="col" class="num">(.*?)</th>',
                         text(client.get(f"/pools/{STREET}?lang=zh_CN")))
    assert chinese[-2:] == ["资金流入", "资金流出"]


def test_recent_entries_keep_each_currency_apart(client, db, scene):
    """An adjustment may move money in two currencies at once (it balances per currency):
    the pool's page shows 100.00 CNY and 50.00 HKD in, never ¥150.00."""
    from fundpool.donations.service import income_account
    from fundpool.ledger.accounts import open_currency
    from fundpool.ledger.posting import post_entry
    from fundpool.ledger.values import Line, NewEntry, Side
    with db.transaction() as session:
        elder = get_fund(session, ELDER)
        open_currency(session, ACTOR, elder, "HKD")
        post_entry(session, ACTOR, NewEntry(
            kind="adjustment", effective_date=today(), memo="两币更正", lines=(
                Line(f"{ELDER}:1002:CNY", Side.DEBIT, 100_00),
                Line(income_account(elder, "CNY"), Side.CREDIT, 100_00),
                Line(f"{ELDER}:1002:HKD", Side.DEBIT, 50_00),
                Line(income_account(elder, "HKD"), Side.CREDIT, 50_00))))
    sign_in(client, "wang.fang")
    rows = {row[3]: row[4:] for row in _entry_rows(text(client.get(f"/pools/{STREET}?lang=en")))}
    money_in, money_out = rows["两币更正"]
    assert "¥150.00" not in money_in
    assert "¥100.00" in money_in and "HK$50.00" in money_in and money_out == "—"
