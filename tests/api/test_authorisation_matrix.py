"""Every endpoint × every kind of caller × a target inside and outside the caller's scope.

The rules (README, Roles): an admin writes within its pool's subtree; an auditor reads
everything and writes nothing; a foundation reads only the funds granted to it; every token
reads the pool hierarchy; a revoked token or none gets 401 except on the open endpoints
(health, the OpenAPI document, the public figures). Each operation below names which of these
applies; a caller the rule refuses must get exactly 401 or 403, and a refused write must leave
every table as it was. A caller the rule admits must not be refused (it may still get a
domain answer such as 404, 409 or 422 for the body we send). The test fails if the app has an
operation this table does not list. (Issue 7, section 3.)
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest

from fundpool.audit.log import Actor
from fundpool.auth.tokens import create_token, get_token, revoke_token
from fundpool.donations import service as donations
from fundpool.donations.receipts import register_book
from fundpool.funds.service import NewFund, create_fund, get_fund
from fundpool.ledger import holds
from fundpool.ledger.posting import today
from fundpool.matching import needs, proposals
from fundpool.matching.runs import run_now
from fundpool.pools.service import get_pool

ACTOR = Actor("matrix-setup")
INSIDE, OUTSIDE = "440304001001", "440304002001"  # 滨河社区 (under 南园街道), 百花社区 (园岭街道)
#: The pool each admin administers.
ADMINS = {"city_admin": "440300", "district_admin": "440304", "street_admin": "440304001",
          "community_admin": "440304001001", "other_street_admin": "440304002"}
CALLERS = (*ADMINS, "auditor", "foundation", "other_foundation", "revoked", "nobody")


@dataclass(frozen=True)
class Op:
    """``rule``: open | token (any valid token) | read (admins in scope, auditors; foundations
    when ``fund_read``) | listed (a list: admins in scope, auditors, and foundations, who see
    only their granted funds in it) | write (admins in scope) | audit (auditors) | admin (any
    admin) | city (the city's admin) | read_admin (any admin, auditors)."""

    method: str
    inside: str
    outside: str | None
    rule: str
    body: object = None
    fund_read: bool = False
    pools: dict | None = None  # the target pools, when not the two communities
    body_out: object = None  # the body for the outside target, if not ``body``


def ops(ids) -> list[Op]:
    y = today().year - 1
    month = (today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    f_in, f_out = "COMM-IN", "COMM-OUT"
    hold = {"memo": "预留", "legs": [{"account": "COMM-IN:1002:CNY",
                                      "counter_account": "440304001:2209:CNY", "amount": "1.00"}]}
    entry = lambda pool, fund: {"memo": "调整", "postings": [
        {"account": f"{fund}:1002:CNY", "side": "debit", "amount": "1.00"},
        {"account": f"{fund}:410101:CNY", "side": "credit", "amount": "1.00"}]}
    gift = lambda fund, ref: {"donor_id": ids["donor"], "fund": fund, "amount": "1.00",
                              "channel": "wechat_pay", "channel_ref": ref,
                              "received_date": str(today()), "issue_receipt": False}
    need = lambda pool: {"pool_code": pool, "category": "elderly_in_difficulty",
                         "people": 2, "urgency": "routine", "estimated_cost": "100.00",
                         "survey_date": str(today())}
    proposal = lambda pool: {"organisation": "社工站", "title": "探访", "categories": [
        "elderly_in_difficulty"], "area_codes": [pool], "budget": "100.00", "capacity": 2,
        "duration_days": 30}
    m_in, m_out = ids["match_in"], ids["match_out"]
    streets = {"inside": "440304001", "outside": "440304002"}
    return [
        Op("GET", "/api/v1/health", None, "open"),
        Op("GET", "/api/v1/ready", None, "open"),
        Op("GET", "/api/v1/openapi.json", None, "open"),
        Op("GET", "/api/v1/docs", None, "open"),
        Op("GET", f"/api/v1/public/pools/{INSIDE}/figures", None, "open"),
        Op("GET", f"/api/v1/public/pools/{INSIDE}/funds", None, "open"),
        Op("GET", f"/api/v1/public/pools/{INSIDE}/projects", None, "open"),
        Op("GET", f"/api/v1/public/funds/{f_in}/figures", None, "open"),
        Op("GET", f"/api/v1/public/funds/{f_in}/reports/{y}", None, "open"),
        Op("GET", f"/api/v1/public/projects/{ids['proposal_in']}/reports/{y}-Q4", None, "open"),
        Op("GET", "/api/v1/pools", None, "token"),
        Op("GET", f"/api/v1/pools/{INSIDE}", None, "token"),
        Op("GET", f"/api/v1/accounts?within={INSIDE}", f"/api/v1/accounts?within={OUTSIDE}",
           "read"),
        Op("GET", f"/api/v1/accounts/{f_in}:1002:CNY", f"/api/v1/accounts/{f_out}:1002:CNY",
           "read"),
        Op("GET", f"/api/v1/accounts/{f_in}:1002:CNY/balance?as_of={today()}",
           f"/api/v1/accounts/{f_out}:1002:CNY/balance?as_of={today()}", "read"),
        Op("GET", f"/api/v1/allocations?within={INSIDE}", f"/api/v1/allocations?within={OUTSIDE}",
           "listed"),
        Op("GET", "/api/v1/audit-events", None, "audit"),
        Op("GET", "/api/v1/audit-events/export", None, "audit"),
        Op("GET", f"/api/v1/donations?fund={f_in}", f"/api/v1/donations?fund={f_out}", "read",
           fund_read=True),
        Op("GET", f"/api/v1/donations/{ids['donation_in']}",
           f"/api/v1/donations/{ids['donation_out']}", "read", fund_read=True),
        Op("GET", f"/api/v1/donors/{ids['donor_in']}", f"/api/v1/donors/{ids['donor_out']}",
           "read"),
        Op("GET", f"/api/v1/entries?within={INSIDE}", f"/api/v1/entries?within={OUTSIDE}", "read"),
        Op("GET", f"/api/v1/entries/{ids['entry_in']}", f"/api/v1/entries/{ids['entry_out']}",
           "read"),
        Op("GET", f"/api/v1/exports/ledger?from={today()}&to={today()}&pool={INSIDE}",
           f"/api/v1/exports/ledger?from={today()}&to={today()}&pool={OUTSIDE}", "read"),
        Op("GET", f"/api/v1/funds?within={INSIDE}", f"/api/v1/funds?within={OUTSIDE}", "listed"),
        Op("GET", f"/api/v1/funds/{f_in}", f"/api/v1/funds/{f_out}", "read", fund_read=True),
        Op("GET", f"/api/v1/holds/{ids['hold_in']}", f"/api/v1/holds/{ids['hold_out']}", "read"),
        Op("GET", f"/api/v1/imports/{ids['import_in']}", f"/api/v1/imports/{ids['import_out']}",
           "read"),
        Op("GET", "/api/v1/ledger/year-ends", None, "read_admin"),
        Op("GET", f"/api/v1/ledger/year-ends/{y}", None, "read_admin"),
        Op("GET", f"/api/v1/matching/matches/{m_in}", f"/api/v1/matching/matches/{m_out}",
           "read"),
        Op("GET", "/api/v1/matching/runs", None, "read_admin"),
        Op("GET", f"/api/v1/matching/runs/{ids['run']}", None, "read_admin"),
        Op("GET", f"/api/v1/matching/runs/{ids['run']}/matches", None, "read_admin"),
        Op("GET", f"/api/v1/needs?within={INSIDE}", f"/api/v1/needs?within={OUTSIDE}", "read"),
        Op("GET", f"/api/v1/needs/{ids['need_in']}", f"/api/v1/needs/{ids['need_out']}", "read"),
        Op("GET", f"/api/v1/needs/imports/{ids['need_import_in']}",
           f"/api/v1/needs/imports/{ids['need_import_out']}", "read"),
        Op("GET", "/api/v1/periods", None, "read_admin"),
        Op("GET", "/api/v1/pools/440304001/receipt-books", "/api/v1/pools/440304002/receipt-books",
           "read", pools=streets),
        Op("GET", f"/api/v1/proposals?within={INSIDE}", f"/api/v1/proposals?within={OUTSIDE}",
           "read"),
        Op("GET", f"/api/v1/proposals/{ids['proposal_in']}",
           f"/api/v1/proposals/{ids['proposal_out']}", "read"),
        Op("GET", f"/api/v1/receipts?pool=440304001&year={today().year}",
           f"/api/v1/receipts?pool=440304002&year={today().year}", "read", pools=streets),
        Op("GET", f"/api/v1/receipts/export?pool=440304001&year={today().year}",
           f"/api/v1/receipts/export?pool=440304002&year={today().year}", "read", pools=streets),
        Op("GET", f"/api/v1/reports/activity?pool={INSIDE}&from={today()}&to={today()}",
           f"/api/v1/reports/activity?pool={OUTSIDE}&from={today()}&to={today()}", "read"),
        Op("GET", f"/api/v1/reports/balances?fund={f_in}", f"/api/v1/reports/balances?fund={f_out}",
           "read", fund_read=True),
        Op("GET", f"/api/v1/reports/donations/{ids['donation_in']}/trail",
           f"/api/v1/reports/donations/{ids['donation_out']}/trail", "read", fund_read=True),
        Op("GET", f"/api/v1/reports/funds/{f_in}/statement?from={today()}&to={today()}",
           f"/api/v1/reports/funds/{f_out}/statement?from={today()}&to={today()}", "read",
           fund_read=True),
        Op("GET", f"/api/v1/reports/funds/{f_in}/uses", f"/api/v1/reports/funds/{f_out}/uses",
           "read", fund_read=True),
        Op("GET", f"/api/v1/reports/trial-balance?pool={INSIDE}",
           f"/api/v1/reports/trial-balance?pool={OUTSIDE}", "read"),
        Op("GET", "/api/v1/tokens", None, "admin"),
        Op("GET", "/api/v1/verification", None, "audit"),
        Op("GET", "/api/v1/verification/checkpoint", None, "audit"),
        # writes
        Op("POST", "/api/v1/pools", None, "write", pools=streets, body={"code": "440304001009", "name": "新社区",
                                                     "level": "community",
                                                     "parent_code": "440304001"}),
        Op("POST", f"/api/v1/pools/{INSIDE}/currencies", f"/api/v1/pools/{OUTSIDE}/currencies",
           "write", {"currency": "HKD"}),
        Op("POST", "/api/v1/pools/440304001/receipt-books", "/api/v1/pools/440304002/receipt-books",
           "write", pools=streets, body={"code": "44030009", "first_number": "0000000001",
                     "last_number": "0000000010"}),
        Op("POST", "/api/v1/funds", None, "write", {"code": "NEW-IN", "name": "新基金",
                                                     "kind": "special", "pool_code": INSIDE,
                                                     "restricted": False}),
        Op("POST", f"/api/v1/funds/{f_in}/currencies", f"/api/v1/funds/{f_out}/currencies",
           "write", {"currency": "USD"}),
        Op("PUT", f"/api/v1/funds/{f_in}/restriction", f"/api/v1/funds/{f_out}/restriction",
           "write", {"categories": ["elderly_in_difficulty"]}),
        Op("POST", f"/api/v1/funds/{f_in}/grants", f"/api/v1/funds/{f_out}/grants", "write",
           {"token_id": ids["other_foundation_token"]}),
        Op("POST", "/api/v1/donors", None, "admin", {"kind": "individual", "name": "李四"}),
        Op("POST", "/api/v1/donations", None, "write", gift(f_in, "M-1")),
        Op("POST", f"/api/v1/donations/{ids['pass_in']}/pay-on",
           f"/api/v1/donations/{ids['pass_out']}/pay-on", "write",
           {"amount": "1.00", "paid_date": str(today()), "reference": "TRF-9"}),
        Op("POST", f"/api/v1/donations/{ids['donation_in']}/refund",
           f"/api/v1/donations/{ids['donation_out']}/refund", "write",
           {"amount": "1.00", "reason": "捐赠人要求"}),
        Op("POST", "/api/v1/allocations", None, "write", pools=streets, body={
            "source_fund": "440304001", "target_fund": f_in, "amount": "1.00"}),
        Op("POST", "/api/v1/entries", None, "write", entry(INSIDE, f_in)),
        Op("POST", f"/api/v1/entries/{ids['entry_in']}/reverse",
           f"/api/v1/entries/{ids['entry_out']}/reverse", "write", {}),
        Op("POST", "/api/v1/holds", None, "write", hold, pools=streets),
        Op("POST", f"/api/v1/holds/{ids['hold_in']}/commit", f"/api/v1/holds/{ids['hold_out']}/commit",
           "write", {}),
        Op("POST", f"/api/v1/holds/{ids['hold_in2']}/void", f"/api/v1/holds/{ids['hold_out2']}/void",
           "write", {}),
        Op("POST", "/api/v1/imports", None, "admin", None),
        Op("POST", "/api/v1/needs", None, "write", need(INSIDE)),
        Op("POST", f"/api/v1/needs/{ids['need_in']}/status", f"/api/v1/needs/{ids['need_out']}/status",
           "write", {"status": "closed"}),
        Op("POST", "/api/v1/needs/imports", None, "admin", None),
        Op("POST", "/api/v1/proposals", None, "write", proposal(INSIDE)),
        Op("PUT", f"/api/v1/proposals/{ids['draft_in']}", f"/api/v1/proposals/{ids['draft_out']}",
           "write", proposal(INSIDE), body_out=proposal(OUTSIDE)),
        Op("POST", f"/api/v1/proposals/{ids['draft_in']}/submit",
           f"/api/v1/proposals/{ids['draft_out']}/submit", "write", {}),
        Op("POST", f"/api/v1/proposals/{ids['submitted_in']}/review",
           f"/api/v1/proposals/{ids['submitted_out']}/review", "write", {"decision": "accept"}),
        Op("POST", f"/api/v1/proposals/{ids['proposal_in']}/withdraw",
           f"/api/v1/proposals/{ids['proposal_out']}/withdraw", "write", {}),
        Op("POST", "/api/v1/matching/runs", None, "city", {}),
        Op("POST", f"/api/v1/matching/matches/{m_in}/approve",
           f"/api/v1/matching/matches/{m_out}/approve", "write", {}),
        Op("POST", f"/api/v1/matching/matches/{m_in}/disbursements",
           f"/api/v1/matching/matches/{m_out}/disbursements", "write", {"amount": "1.00"}),
        Op("POST", f"/api/v1/matching/matches/{m_in}/complete",
           f"/api/v1/matching/matches/{m_out}/complete", "write", {}),
        Op("POST", f"/api/v1/matching/matches/{m_in}/reject",
           f"/api/v1/matching/matches/{m_out}/reject", "write", {"reason": "重复"}),
        Op("POST", f"/api/v1/matching/matches/{m_in}/cancel",
           f"/api/v1/matching/matches/{m_out}/cancel", "write", {"reason": "终止"}),
        Op("POST", "/api/v1/verification/checkpoint", None, "audit", ids["checkpoint"]),
        Op("POST", "/api/v1/ledger/year-ends", None, "city", {"year": y}),
        Op("POST", f"/api/v1/periods/{month}/close", None, "city", {}),
        Op("POST", f"/api/v1/periods/{month}/reopen", None, "city", {"reason": "补记"}),
        Op("POST", "/api/v1/tokens", None, "write", {"name": "新管理员", "role": "admin",
                                                      "pool_code": INSIDE}),
        Op("POST", f"/api/v1/tokens/{ids['token_in']}/revoke",
           f"/api/v1/tokens/{ids['token_out']}/revoke", "write", {}),
        Op("POST", f"/api/v1/funds/{f_in}/close", f"/api/v1/funds/{f_out}/close", "write", {}),
        Op("POST", f"/api/v1/pools/{INSIDE}/close", f"/api/v1/pools/{OUTSIDE}/close", "write", {}),
    ]


def _token_id(session, secret: str) -> int:
    from fundpool.auth.tokens import authenticate
    return authenticate(session, secret).token_id


def _upload(app, client, headers, path, content):
    response = client.post(path, headers=headers, data={"file": (io.BytesIO(content), "a.csv")},
                           content_type="multipart/form-data")
    for worker in app.extensions.get("fundpool.import_threads", []):
        worker.join(timeout=120)
    assert response.status_code == 202, response.json
    return response.json["id"]


@pytest.fixture
def world(app, db, client, shenzhen):
    """Funds, gifts, holds, needs, proposals in each state and a matching run's matches, in
    滨河社区 (inside every admin's scope but the other street's) and in 百花社区 (outside)."""
    ids: dict[str, int] = {}
    with db.transaction() as s:
        donor = donations.create_donor(s, ACTOR, donations.NewDonor("enterprise", "平安银行"))
        ids["donor"] = donor.id
        for side, pool, street in (("in", INSIDE, "440304001"), ("out", OUTSIDE, "440304002")):
            code = f"COMM-{side.upper()}"
            fund = create_fund(s, ACTOR, NewFund(code=code, name="社区基金", kind="community",
                                                 pool_code=pool, restricted=False))
            give = lambda target, ref, amount, **extra: donations.record_donation(
                s, ACTOR, donations.NewDonation(
                    donor_id=donor.id, fund=target, amount=amount, currency="CNY",
                    channel="bank_transfer", channel_ref=ref, received_date=today(),
                    issue_receipt=False, **extra))
            gift = give(fund, f"G-{side}", 5_000_00)
            own = donations.create_donor(s, ACTOR, donations.NewDonor("individual", "张三"))
            ids[f"donor_{side}"] = own.id  # gave only here: read by admins of this community
            donations.record_donation(s, ACTOR, donations.NewDonation(
                donor_id=own.id, fund=fund, amount=1_00, currency="CNY", channel="cash",
                channel_ref=f"D-{side}", received_date=today(), issue_receipt=False))
            give(get_fund(s, street), f"S-{side}", 5_000_00)
            passed = give(fund, f"P-{side}", 100_00, pass_through=donations.PassThrough("王五"))
            ids[f"donation_{side}"], ids[f"entry_{side}"] = gift.donation.id, gift.donation.entry_id
            ids[f"pass_{side}"] = passed.donation.id
            for n in ("", "2"):
                ids[f"hold_{side}{n}"] = holds.create_hold(s, ACTOR, [holds.NewLeg(
                    f"{code}:1002:CNY", f"{street}:2209:CNY", 10_00)], kind="grant",
                    memo="预留").id
            ids[f"need_{side}"] = needs.create_need(s, ACTOR, needs.NewNeed(
                pool_code=pool, category="elderly_in_difficulty", people=6, urgency="crisis",
                estimated_cost=600_00, survey_date=today() - timedelta(days=3))).id
            made = {}
            for state in ("proposal", "draft", "submitted"):
                proposal = proposals.create_proposal(s, ACTOR, proposals.NewProposal(
                    organisation="长者服务社", title=f"{state} {side}",
                    categories=("elderly_in_difficulty",), area_codes=(pool,),
                    budget=1_200_00, capacity=10, duration_days=60))
                made[state] = proposal
                ids[f"{state}_{side}"] = proposal.id
            for state in ("proposal", "submitted"):
                proposals.submit(s, ACTOR, made[state])
            proposals.review(s, ACTOR, made["proposal"], accept=True)
        register_book(s, ACTOR, get_pool(s, "440304001"), "44030001", "0000000001", "0000000100")
        ids["other_foundation_token"] = create_token(s, ACTOR, name="另一基金会",
                                                     role="foundation", pool_code=None)[0].id
        ids["token_in"] = create_token(s, ACTOR, name="社区管理员", role="admin",
                                       pool_code=INSIDE)[0].id
        ids["token_out"] = create_token(s, ACTOR, name="园岭社区管理员", role="admin",
                                        pool_code=OUTSIDE)[0].id
        revoked, revoked_secret = create_token(s, ACTOR, name="已吊销", role="admin",
                                               pool_code="440300")
        other_secret = create_token(s, ACTOR, name="无授权基金会", role="foundation",
                                    pool_code=None)[1]
    with db.transaction() as s:
        revoke_token(s, ACTOR, get_token(s, revoked.id, lock=True))
        from fundpool.funds.models import FundGrant
        s.add(FundGrant(fund_id=get_fund(s, "COMM-IN").id,
                        token_id=_token_id(s, shenzhen.secrets["foundation"])))
        run = run_now(s, ACTOR)
        ids["run"] = run.id
        by_proposal = {m.proposal_id: m.id for m in run.matches}
        ids["match_in"], ids["match_out"] = by_proposal[ids["proposal_in"]], \
            by_proposal[ids["proposal_out"]]
    secrets = {**shenzhen.secrets, "revoked": revoked_secret, "other_foundation": other_secret}
    ids["checkpoint"] = client.get("/api/v1/verification/checkpoint",
                                   headers=shenzhen.headers("auditor")).json
    csv = "交易号,时间,金额,捐赠人,项目编号\nT1,2026-11-20 10:00:00,10.00,张*,COMM-IN\n".encode()
    survey = ("调研编号,社区编码,服务对象,人数,紧急程度,预估费用,调研日期,备注\n"
              f"M-1,{INSIDE},特殊困难老人,2,一般,100.00,{today()},探访\n").encode()
    for side, who in (("in", "street_admin"), ("out", "other_street_admin")):
        headers = {"Authorization": f"Bearer {secrets[who]}"}
        ids[f"import_{side}"] = _upload(app, client, headers, "/api/v1/imports", csv)
        ids[f"need_import_{side}"] = _upload(app, client, headers, "/api/v1/needs/imports", survey)
    return ids, secrets


#: Who started each import job (only that token, the city's admin and auditors read it).
JOB_OWNERS = {"inside": "street_admin", "outside": "other_street_admin"}
TARGETS = {"inside": INSIDE, "outside": OUTSIDE}


def admitted(op: Op, caller: str, where: str) -> bool:
    """Whether the rules admit ``caller`` to ``op`` on the target ``where``."""
    if op.rule == "open":
        return True
    if caller in ("revoked", "nobody"):
        return False
    pool = ADMINS.get(caller)
    target = (op.pools or TARGETS)[where]
    covers = pool is not None and (pool == "440300" or target.startswith(pool))
    if "/imports/" in op.inside:
        return caller in ("auditor", "city_admin", JOB_OWNERS[where])
    return {
        "token": True,
        "read": covers or caller == "auditor"
        or (op.fund_read and caller == "foundation" and where == "inside"),
        "listed": covers or caller in ("auditor", "foundation", "other_foundation"),
        "read_admin": pool is not None or caller == "auditor",
        "write": covers,
        "admin": pool is not None,
        "audit": caller == "auditor",
        "city": caller == "city_admin",
    }[op.rule]


def _call(client, op: Op, path: str, secret: str | None):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    if op.body is None and op.method != "GET":  # an upload
        data = {"file": (io.BytesIO("交易号,时间,金额,捐赠人,项目编号\n".encode()), "a.csv")}
        return client.open(path, method=op.method, headers=headers, data=data,
                           content_type="multipart/form-data")
    body = op.body_out if path == op.outside and op.body_out is not None else op.body
    response = client.open(path, method=op.method, headers=headers,
                           json=None if op.method == "GET" else body)
    response.get_data()  # a download streams from a session of its own until it is read
    response.close()
    return response


def test_every_endpoint_answers_every_caller_as_the_rules_say(app, client, world, snapshot):
    ids, secrets = world
    table = ops(ids)
    listed = {(op.method, _rule_of(app, op.method, op.inside)) for op in table}
    assert listed == _api_operations(app), "add the missing operations to the table"
    wrong = []
    for op in table:
        for where, path in (("inside", op.inside), ("outside", op.outside)):
            if path is None:
                continue
            callers = sorted(CALLERS, key=lambda c: admitted(op, c, where))  # refused first
            for caller in callers:
                ok = admitted(op, caller, where)
                before = None if ok or op.method == "GET" else snapshot()
                response = _call(client, op, path, secrets.get(caller))
                for worker in app.extensions.get("fundpool.import_threads", []):
                    worker.join(timeout=120)
                status = response.status_code
                expected = "not 401/403" if ok else ("401" if caller in ("revoked", "nobody")
                                                     else "403")
                if ok and status in (401, 403) or not ok and str(status) != expected \
                        or status >= 500:
                    wrong.append(f"{op.method} {path} as {caller} ({where}): {status}, "
                                 f"expected {expected}")
                elif before is not None and snapshot() != before:
                    wrong.append(f"{op.method} {path} as {caller}: refused but changed data")
    assert not wrong, "\n".join(wrong)


def _rule_of(app, method: str, path: str) -> str:
    adapter = app.url_map.bind("localhost")
    rule, _ = adapter.match(path.split("?")[0], method=method, return_rule=True)
    return rule.rule


def _api_operations(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/v1") for method in rule.methods - {"HEAD", "OPTIONS"}}
