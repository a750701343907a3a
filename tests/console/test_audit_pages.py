"""The auditor's pages: trial balance, activity statement, ledger export, verification and
the audit log; admins read the reports and exports of their subtree only (the API's rule);
foundations none of these; verification and the audit log are the auditor's alone."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from tests.console.reports_scene import ELDER, STREET, books
from tests.console.test_sign_in import csrf_of, sign_in
from tests.integration.test_tamper import guard_lifted


@pytest.fixture
def scene(db, make, shenzhen):
    found = books(db, make)
    make.user("shen.ji", "auditor")
    make.user("wang.fang", "admin", "440304")
    return found


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[-600:]
    return response.get_data(as_text=True)


def test_the_auditors_menu(client, scene):
    sign_in(client, "shen.ji")
    text_ = page(client, "/")
    for label in ("试算平衡表", "业务活动表", "账簿导出", "校验", "审计日志"):
        assert label in text_


def test_the_trial_balance_of_the_city_balances(client, scene):
    sign_in(client, "shen.ji")
    text_ = page(client, f"/audit/trial-balance?as_of={scene.day}&lang=en")
    assert 'data-balanced="true"' in text_ and "440300" in text_
    assert f'data-account="{ELDER}:1002:CNY"' in text_
    row = re.search(rf'data-account="{ELDER}:1002:CNY">(.*?)</tr>', text_, re.DOTALL).group(1)
    assert "¥5,000.00" in row and "¥1,000.00" in row and "¥4,000.00" in row


def test_the_trial_balance_names_accounts_in_the_pages_language(client, scene):
    sign_in(client, "shen.ji")
    english = page(client, f"/audit/trial-balance?as_of={scene.day}&lang=en")
    row = re.search(rf'data-account="{ELDER}:1002:CNY">(.*?)</tr>', english, re.DOTALL).group(1)
    assert "Bank deposits" in row and "银行存款" not in row
    chinese = page(client, f"/audit/trial-balance?as_of={scene.day}&lang=zh_CN")
    row = re.search(rf'data-account="{ELDER}:1002:CNY">(.*?)</tr>', chinese, re.DOTALL).group(1)
    assert "银行存款" in row and "Bank deposits" not in row


def test_an_admin_reads_the_trial_balance_of_their_subtree_only(client, scene):
    sign_in(client, "wang.fang")
    own = page(client, "/audit/trial-balance")
    assert "440304" in own and f"{ELDER}:1002:CNY" in own
    refused = page(client, "/audit/trial-balance?pool=440303&lang=en", 403)
    assert "outside your scope" in refused
    page(client, "/audit/trial-balance?pool=999999", 404)


def test_the_activity_statement(client, scene):
    sign_in(client, "shen.ji")
    text_ = page(client, f"/audit/activity?pool={STREET}")
    row = re.search(r'data-row="donation_income">(.*?)</tr>', text_, re.DOTALL).group(1)
    assert "捐赠收入" in row and "¥7,000.00" in row
    program = re.search(r'data-row="program_costs">(.*?)</tr>', text_, re.DOTALL).group(1)
    assert "¥1,000.00" in program
    bad = page(client, "/audit/activity?from=2999-01-01&lang=en", 422)
    assert "in the future" in bad


def test_the_activity_statement_names_funds_in_the_pages_language(client, db, scene):
    from fundpool.donations import service
    from fundpool.funds.service import NewFund, create_fund, get_fund
    from tests.factories import ACTOR
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(code="YOUTH-440304001", name="青少年基金",
                                            kind="special", pool_code=STREET, restricted=False,
                                            name_en="Youth fund"))
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "赵六"))
        service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor.id, fund=get_fund(session, "YOUTH-440304001"), amount=300_00,
            currency="CNY", channel="bank_transfer", channel_ref="Y-1",
            received_date=scene.day, issue_receipt=False))
    sign_in(client, "shen.ji")
    english = page(client, f"/audit/activity?pool={STREET}&lang=en")
    assert "Youth fund (YOUTH-440304001)" in english and "青少年基金" not in english
    assert "长者关爱基金 (ELDER-440304001)" in english  # no English name: its own
    chinese = page(client, f"/audit/activity?pool={STREET}&lang=zh_CN")
    assert "青少年基金 (YOUTH-440304001)" in chinese


def test_an_anonymous_donor_is_named_in_the_pages_language(client, scene):
    """王五 gave anonymously: the English pages call him an anonymous donor, in English."""
    sign_in(client, "shen.ji")
    english = page(client, f"/funds/{STREET}?lang=en")
    statement = re.search(r'<table data-statement="CNY">.*?</table>', english, re.DOTALL).group(0)
    assert "Anonymous donor" in statement and "匿名捐赠人" not in statement
    flows = re.search(r'<table data-flows>.*?</table>', english, re.DOTALL).group(0)
    assert "Anonymous donor" in flows and "匿名捐赠人" not in flows
    chinese = page(client, f"/funds/{STREET}?lang=zh_CN")
    assert "匿名捐赠人" in chinese and "王五" not in chinese


def test_the_ledger_downloads_as_csv(client, scene):
    sign_in(client, "shen.ji")
    day = scene.day.isoformat()
    response = client.get(f"/audit/exports/ledger?from={day}&to={day}&pool={STREET}&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="ledger-{STREET}-{day}-{day}.csv"')
    lines = response.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("分录编号 / entry_id,记账日期 / effective_date")
    assert any(f"{ELDER}:1002:CNY" in line and "5000.00" in line for line in lines)
    assert any("第一期" in line for line in lines)


def test_counting_the_postings_before_downloading(client, scene):
    sign_in(client, "shen.ji")
    day = scene.day.isoformat()
    text_ = page(client, f"/audit/exports?from={day}&to={day}&pool={STREET}&count=1")
    download = client.get(f"/audit/exports/ledger?from={day}&to={day}&pool={STREET}")
    rows = len(download.get_data().decode("utf-8-sig").splitlines()) - 1
    assert rows >= 4 and f'data-postings="{rows}"' in text_


def test_exports_follow_the_apis_rules(client, scene):
    sign_in(client, "wang.fang")
    day = scene.day.isoformat()
    own = client.get(f"/audit/exports/ledger?from={day}&to={day}")
    assert own.status_code == 200 and own.headers["Content-Disposition"].startswith(
        'attachment; filename="ledger-440304-')
    own.close()
    assert client.get(f"/audit/exports/ledger?from={day}&to={day}&pool=440303").status_code == 403
    future = client.get(f"/audit/exports/ledger?from={day}&to=2999-01-01&lang=en")
    assert future.status_code == 422 and "in the future" in future.get_data(as_text=True)


def test_verification_passes_then_fails_after_tampering(client, scene, db):
    sign_in(client, "shen.ji")
    form = page(client, "/audit/verification")
    passed = client.post("/audit/verification?lang=en", data={"csrf_token": csrf_of(form)})
    assert passed.status_code == 200
    assert 'data-verified="pass"' in passed.get_data(as_text=True)
    with guard_lifted(db) as conn:
        conn.execute(text("UPDATE postings SET amount = amount + 1 WHERE id = "
                          "(SELECT MIN(id) FROM postings)"))
    failed = client.post("/audit/verification?lang=en", data={"csrf_token": csrf_of(form)})
    body = failed.get_data(as_text=True)
    assert 'data-verified="fail"' in body and "changed since it was posted" in body


def test_verification_against_a_checkpoint_file(client, scene, db):
    from io import BytesIO

    from fundpool.ledger.verify import take_checkpoint
    with db.sessions() as session:
        kept = json.dumps(take_checkpoint(session)).encode()
    sign_in(client, "shen.ji")
    form = page(client, "/audit/verification")
    response = client.post("/audit/verification?lang=en", data={
        "csrf_token": csrf_of(form), "checkpoint": (BytesIO(kept), "checkpoint.json")})
    body = response.get_data(as_text=True)
    assert 'data-verified="pass"' in body and "Compared with the checkpoint" in body
    bad = client.post("/audit/verification?lang=en", data={
        "csrf_token": csrf_of(form), "checkpoint": (BytesIO(b"not json"), "x.json")})
    assert bad.status_code == 422


def test_a_checkpoint_with_heads_missing_is_refused_not_a_server_error(client, scene):
    """Heads without their seq or head (the digest matching them) are not a checkpoint:
    refused naming the file's field, as a file that is not JSON is."""
    from io import BytesIO

    from fundpool.ledger.verify import _digest
    heads = [{"account": f"{ELDER}:1002:CNY"}]
    odd = json.dumps({"taken_at": "2026-01-01", "accounts": heads, "digest": _digest(heads)})
    sign_in(client, "shen.ji")
    form = page(client, "/audit/verification")
    bad = client.post("/audit/verification?lang=en", data={
        "csrf_token": csrf_of(form), "checkpoint": (BytesIO(odd.encode()), "x.json")})
    assert bad.status_code == 422
    assert "is not the JSON that &#39;fundpool checkpoint&#39; writes" in bad.get_data(
        as_text=True)


def test_the_audit_log_with_filters(client, scene):
    sign_in(client, "shen.ji")
    everything = page(client, "/audit/log")
    assert "donation.record" in everything and "fund.create" in everything
    only = page(client, "/audit/log?action=fund.create")
    assert "fund.create" in only and "<code>donation.record</code>" not in only
    assert "fund.create" in client.get("/audit/log/export.csv?action=fund.create").get_data(
        as_text=True)


def test_the_date_filters_refuse_in_the_pages_language(client, scene):
    """The audit log's and the ledger export's day fields say what is wrong in Chinese on
    the Chinese page, as the reports' periods do."""
    sign_in(client, "shen.ji")
    backwards = page(client, "/audit/log?from=2026-02-01&to=2026-01-01", 422)
    assert "开始日期（2026-02-01）晚于结束日期（2026-01-01）" in backwards
    too_early = page(client, "/audit/log?from=1999-12-31", 422)
    assert "1999-12-31" in too_early and "must lie between" not in too_early
    export = page(client, "/audit/exports?from=2026-02-01&to=2026-01-01&count=1", 422)
    assert "开始日期（2026-02-01）晚于结束日期（2026-01-01）" in export
    future = page(client, "/audit/exports?from=2026-01-01&to=2999-01-01&count=1", 422)
    assert "2999-01-01" in future and "is in the future" not in future


@pytest.mark.parametrize("login", ["wang.fang", "jjh.a"])
def test_verification_and_the_audit_log_are_the_auditors(client, scene, login, snapshot):
    sign_in(client, login)
    form = page(client, "/foundation/funds" if login == "jjh.a" else "/")
    for url in ("/audit/verification", "/audit/log", "/audit/log/export.csv"):
        assert client.get(url).status_code == 403
    before = snapshot()
    assert client.post("/audit/verification",
                       data={"csrf_token": csrf_of(form)}).status_code == 403
    assert snapshot() == before


def test_a_foundation_reads_no_pool_report_and_exports_nothing(client, scene):
    sign_in(client, "jjh.a")
    for url in ("/audit/trial-balance", "/audit/activity", "/audit/exports",
                f"/audit/exports/ledger?from={scene.day}&to={scene.day}"):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("kind,start", [("jsonl", b'{"entry_id"'), ("xlsx", b"PK"),
                                        ("beancount", b'option "title"')])
def test_the_ledger_downloads_in_every_format(client, scene, kind, start):
    sign_in(client, "shen.ji")
    day = scene.day.isoformat()
    with client.get(f"/audit/exports/ledger?from={day}&to={day}&format={kind}") as response:
        assert response.status_code == 200
        assert f"ledger-all-{day}-{day}.{kind}" in response.headers["Content-Disposition"]
        assert response.get_data().startswith(start)
    unknown = client.get(f"/audit/exports/ledger?from={day}&to={day}&format=pdf")
    assert unknown.status_code == 422


def test_the_export_page_counts_a_download_before_it_starts(client, db, make, shenzhen):
    from tests.console.reports_scene import STREET, books
    from tests.console.test_sign_in import sign_in as sign_in_with
    scene = books(db, make)
    make.user("shen.ji", "auditor")
    sign_in_with(client, "shen.ji")
    day = scene.day.isoformat()
    counted = client.get(f"/audit/exports/count?from={day}&to={day}&pool={STREET}")
    assert counted.status_code == 200 and counted.json["postings"] > 0
    rows = client.get(f"/audit/exports/ledger?from={day}&to={day}&pool={STREET}&format=csv")
    assert len(rows.get_data(as_text=True).strip().splitlines()) - 1 == counted.json["postings"]
    assert client.get(f"/audit/exports/count?from={day}&to=2000-01-01").status_code == 422


def _details_of(text_: str, action: str) -> list[str]:
    """The details cells of the audit log's rows for ``action``."""
    rows = re.findall(r"<tr data-event=.*?</tr>", text_, re.DOTALL)
    return [re.search(r'<td class="details">(.*?)</td>', row, re.DOTALL).group(1)
            for row in rows if f">{action}</code>" in row]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_audit_log_shows_amounts_as_money_not_fen(client, db, scene, lang):
    """Details keep integer fen (amount=10000); the auditor reads ¥100.00, in the currency
    the amount is in: a refund of a gift in Hong Kong dollars is HK$, a hold's legs and a
    proposal's budget are money too. What is stored does not change."""
    from sqlalchemy import select

    from fundpool.audit.models import AuditEvent
    from fundpool.donations import service
    from fundpool.funds.service import get_fund
    from fundpool.ledger.accounts import open_currency
    from fundpool.matching.proposals import NewProposal, create_proposal
    from tests.factories import ACTOR
    with db.transaction() as session:
        open_currency(session, ACTOR, get_fund(session, ELDER), "HKD")
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "李四"))
        gifts = [service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor.id, fund=get_fund(session, ELDER), amount=amount, currency=currency,
            channel="bank_transfer", channel_ref=f"R-{currency}", received_date=scene.day,
            issue_receipt=False)).donation for currency, amount in (("CNY", 300_00),
                                                                   ("HKD", 500_00))]
        for gift in gifts:
            service.refund(session, ACTOR, gift.id, 100_00, "捐赠人要求退回")
        create_proposal(session, ACTOR, NewProposal(
            organisation="南园社工站", title="长者助餐",
            categories=("elderly_in_difficulty",), area_codes=(STREET,), budget=12_345_67,
            capacity=20, duration_days=30))
    sign_in(client, "shen.ji")
    text_ = page(client, f"/audit/log?lang={lang}")
    refunds = _details_of(text_, "donation.refund")
    assert len(refunds) == 2
    assert any("¥100.00" in cell for cell in refunds)
    assert any("HK$100.00" in cell for cell in refunds)
    assert not any("10000" in cell for cell in refunds)
    (hold,) = _details_of(text_, "hold.create")
    assert "¥1,000.00" in hold and "100000" not in hold
    (proposal,) = _details_of(text_, "proposal.create")
    assert "¥12,345.67" in proposal and "1234567" not in proposal
    with db.sessions() as session:
        stored = session.scalars(select(AuditEvent.details).where(
            AuditEvent.action == "donation.refund")).all()
    assert [details["amount"] for details in stored] == [100_00, 100_00]
