"""Reports over HTTP: roles and scope, formats, bad input."""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from fundpool.audit.log import Actor
from fundpool.donations import service
from fundpool.funds.service import NewFund, Restriction, create_fund, get_fund
from fundpool.ledger.posting import today
from fundpool.matching.grants import Portion, hold_grant, pay_instalment

ACTOR = Actor("test")
STREET, OTHER = "440304001", "440304002"
ELDER, CHILD = "ELDER-440304001", "CHILD-440304002"
TODAY = today()
EARLY = TODAY - timedelta(days=5)


@pytest.fixture
def books(db, shenzhen):
    with db.transaction() as session:
        for code, pool in ((ELDER, STREET), (CHILD, OTHER)):
            create_fund(session, ACTOR, NewFund(
                code=code, name=f"{code} 专项基金", kind="special", pool_code=pool,
                restricted=True, restriction=Restriction(categories=("elderly_in_difficulty",))))
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "=张三"))
        for code, amount, ref in ((ELDER, 500_000, "E-1"), (CHILD, 80_000, "C-1"),
                                  (STREET, 200_000, "S-1")):
            service.record_donation(session, ACTOR, service.NewDonation(
                donor_id=donor.id, fund=get_fund(session, code), amount=amount, currency="CNY",
                channel="bank_transfer", channel_ref=ref, received_date=EARLY,
                issue_receipt=False))
    with db.transaction() as session:
        hold = hold_grant(session, ACTOR, [Portion(get_fund(session, ELDER), 100_000)], "长者助餐")
        pay_instalment(session, ACTOR, hold.id, [100_000], TODAY, "第一期")


@pytest.fixture
def foundations(client, shenzhen, make, books):
    """The small city's foundation reads ELDER; another foundation reads CHILD."""
    other = make.token("foundation", name="另一基金会")
    tokens = client.get("/api/v1/tokens?limit=500", headers=shenzhen.headers("city_admin")).json
    ids = {t["name"]: t["id"] for t in tokens["items"] if t["role"] == "foundation"}
    for fund, name in ((ELDER, "foundation None"), (CHILD, "另一基金会")):
        granted = client.post(f"/api/v1/funds/{fund}/grants", headers=shenzhen.headers(
            "city_admin"), json={"token_id": ids[name]})
        assert granted.status_code == 201, granted.json
    return shenzhen.headers("foundation"), {"Authorization": f"Bearer {other}"}


def url(path, **query):
    return f"/api/v1/reports/{path}?" + "&".join(f"{k}={v}" for k, v in query.items())


def field_of(response):
    return [error["field"] for error in response.json["errors"]]


def test_balances_roll_up_a_subtree_now_and_as_of(client, shenzhen, books):
    auditor = shenzhen.headers("auditor")
    body = client.get(url("balances", pool="440304"), headers=auditor).json
    bank = next(b for b in body["balances"] if b["chart_code"] == "1002")
    assert bank["balance"] == "6800.00" and bank["pending"] == "0.00" and body["subtree"]
    own = client.get(url("balances", pool="440304", subtree="false"), headers=auditor).json
    assert [b["balance"] for b in own["balances"] if b["chart_code"] == "1002"] == ["0.00"]
    before = client.get(url("balances", pool="440304", as_of=EARLY - timedelta(days=1)),
                        headers=auditor).json
    assert before["balances"] == []
    early = client.get(url("balances", pool="440304", as_of=EARLY), headers=auditor).json
    assert next(b for b in early["balances"] if b["chart_code"] == "1002")["balance"] == "7800.00"
    assert early["balances"][0]["pending"] is None
    fund = client.get(url("balances", fund=ELDER), headers=shenzhen.headers("street_admin")).json
    assert next(b for b in fund["balances"] if b["chart_code"] == "1002")["balance"] == "4000.00"


def test_admins_read_their_subtree_only(client, shenzhen, books):
    street = shenzhen.headers("street_admin")
    assert client.get(url("balances", pool=STREET), headers=street).status_code == 200
    refused = client.get(url("balances", pool="440304"), headers=street)
    assert refused.status_code == 403 and field_of(refused) == ["pool"]
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert client.get(url("trial-balance", pool=OTHER), headers=street).status_code == 403
    assert client.get(url("activity", pool=OTHER), headers=street).status_code == 403
    assert client.get(f"/api/v1/reports/funds/{CHILD}/statement",
                      headers=street).status_code == 403
    assert client.get(url("trial-balance", pool="440300"),
                      headers=shenzhen.headers("foundation")).status_code == 403
    unknown = client.get(url("trial-balance", pool="440304009"), headers=shenzhen.headers(
        "auditor"))
    assert unknown.status_code == 404 and field_of(unknown) == ["pool"]
    assert client.get("/api/v1/reports/funds/NOPE/statement",
                      headers=shenzhen.headers("auditor")).status_code == 404


def test_a_foundation_reads_its_own_fund_and_is_refused_another(client, foundations):
    ours, theirs = foundations
    mine = client.get(f"/api/v1/reports/funds/{ELDER}/statement", headers=ours)
    assert mine.status_code == 200
    refused = client.get(f"/api/v1/reports/funds/{CHILD}/statement", headers=ours)
    assert refused.status_code == 403 and field_of(refused) == ["code"]
    assert client.get(f"/api/v1/reports/funds/{ELDER}/statement",
                      headers=theirs).status_code == 403
    assert client.get(f"/api/v1/reports/funds/{CHILD}/statement",
                      headers=theirs).status_code == 200
    assert client.get(url("balances", fund=CHILD), headers=ours).status_code == 403
    assert client.get(url("balances", pool=STREET), headers=ours).status_code == 403


def test_the_statement_in_json_csv_and_xlsx(client, shenzhen, books):
    auditor = shenzhen.headers("auditor")
    body = client.get(f"/api/v1/reports/funds/{ELDER}/statement?from={EARLY}&to={TODAY}",
                      headers=auditor).json
    (cny,) = body["currencies"]
    assert (cny["opening"], cny["closing"], cny["held"]) == ("0.00", "4000.00", "0.00")
    assert [(m["kind"], m["amount"], m["balance"], m["counterparty"]) for m in cny["movements"]] \
        == [("donation", "5000.00", "5000.00", "=张三"),
            ("disbursement", "-1000.00", "4000.00", "长者助餐")]
    later = client.get(f"/api/v1/reports/funds/{ELDER}/statement?from={TODAY}&to={TODAY}",
                       headers=auditor).json["currencies"][0]
    assert later["opening"] == "5000.00" and len(later["movements"]) == 1

    response = client.get(f"/api/v1/reports/funds/{ELDER}/statement?format=csv&from={EARLY}",
                          headers=auditor)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "日期 / date"
    assert rows[1][2].startswith("期初余额") and rows[1][7] == "0.00"
    assert rows[2][3] == "'=张三"  # a formula is neutralised
    assert rows[-2][2].startswith("期末余额") and rows[-2][7] == "4000.00"
    assert rows[2][5:8] == ["5000.00", "", "5000.00"]

    with client.get(f"/api/v1/reports/funds/{ELDER}/statement?format=xlsx&from={EARLY}",
                    headers=auditor) as xlsx:
        assert xlsx.status_code == 200
        sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "日期 / date" and values[3][6] == "1000.00"


def test_trial_balance_and_activity(client, shenzhen, books):
    auditor = shenzhen.headers("auditor")
    trial = client.get(url("trial-balance", pool="440300"), headers=auditor).json
    assert trial["balanced"] and trial["totals"][0]["debits"] == trial["totals"][0]["credits"]
    assert trial["totals"][0]["boundary"] == "0.00"
    elder_bank = next(line for line in trial["lines"] if line["account"] == f"{ELDER}:1002:CNY")
    assert (elder_bank["debits"], elder_bank["credits"], elder_bank["balance_debit"]) == (
        "5000.00", "1000.00", "4000.00")
    activity = client.get(url("activity", pool=STREET, **{"from": EARLY}), headers=auditor).json
    rows = {row["row"]: row for row in activity["totals"][0]["rows"]}
    assert (rows["donation_income"]["unrestricted"], rows["donation_income"]["restricted"]) == (
        "2000.00", "5000.00")
    assert rows["program_costs"]["total"] == "1000.00"
    assert (rows["released_from_restriction"]["unrestricted"],
            rows["released_from_restriction"]["restricted"]) == ("1000.00", "-1000.00")
    assert rows["change_in_net_assets"]["total"] == "6000.00"
    assert rows["donation_income"]["name"] == "捐赠收入"
    assert {part["fund"] for part in activity["by_fund"]} == {STREET, ELDER}


@pytest.mark.parametrize(("path", "field"), [
    (url("activity", pool=STREET, **{"from": "2026-02-01", "to": "2026-01-01"}), "from"),
    (url("activity", pool=STREET, to=TODAY + timedelta(days=1)), "to"),
    (url("trial-balance", pool=STREET, as_of=TODAY + timedelta(days=1)), "as_of"),
    (url("balances", pool=STREET, as_of=TODAY + timedelta(days=3)), "as_of"),
    (url("balances", pool=STREET, fund=ELDER), "pool"),
    (url("balances", subtree="true"), "pool"),
    (url("trial-balance", pool="44030"), "pool"),
    (url("trial-balance", as_of="2026-01-01"), "pool"),
    (url("activity", pool=STREET, **{"from": "yesterday"}), "from"),
    (f"/api/v1/reports/funds/{ELDER}/statement?format=pdf", "format"),
    (f"/api/v1/reports/funds/{ELDER}/statement?from={TODAY}&to={EARLY}", "from"),
])
def test_bad_input_is_a_problem_naming_the_field(client, shenzhen, books, path, field):
    response = client.get(path, headers=shenzhen.headers("auditor"))
    assert response.status_code == 422, response.json
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in field_of(response)


def test_reports_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/reports/balances", "/api/v1/reports/trial-balance",
                 "/api/v1/reports/activity", "/api/v1/reports/funds/{code}/statement"):
        assert "403" in paths[path]["get"]["responses"], path
