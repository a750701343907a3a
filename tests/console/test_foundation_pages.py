"""A foundation's pages: its granted funds with balances, a fund's statement, where its money
went, the statement download; another foundation's fund and other roles are refused."""

from __future__ import annotations

import pytest

from tests.console.reports_scene import CHILD, ELDER, books
from tests.console.test_sign_in import sign_in


@pytest.fixture
def scene(db, make, shenzhen):
    return books(db, make)


def test_the_dashboard_sends_a_foundation_to_its_funds(client, scene):
    sign_in(client, "jjh.a")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/foundation/funds"


def test_english_asked_on_the_dashboard_link_reaches_the_foundations_page(client, scene):
    """/?lang=en sends a foundation on to its funds: in English, as it asked."""
    sign_in(client, "jjh.a")
    page = client.get("/?lang=en", follow_redirects=True).get_data(as_text=True)
    assert '<html lang="en">' in page and "Our funds" in page


def test_a_foundation_sees_only_its_funds_with_their_balance(client, scene):
    sign_in(client, "jjh.a")
    page = client.get("/foundation/funds").get_data(as_text=True)
    assert "长者关爱基金" in page and ELDER in page
    assert "¥4,000.00" in page  # 5,000.00 given, 1,000.00 paid
    assert CHILD not in page and "儿童关爱基金" not in page
    assert "我们的基金" in page  # the menu entry


def test_a_funds_page_shows_its_statement_and_where_the_money_went(client, scene):
    sign_in(client, "jjh.a")
    page = client.get(f"/foundation/funds/{ELDER}?lang=en").get_data(as_text=True)
    assert "Opening balance" in page and "Closing balance" in page
    assert "张三" in page and "¥5,000.00" in page and "¥1,000.00" in page
    assert 'data-figure="closing-CNY">¥4,000.00' in page
    assert "Where the money went" in page


def test_the_foundation_pages_name_the_pool_in_the_pages_language(client, db, scene):
    from sqlalchemy import update

    from fundpool.pools.models import Pool
    with db.transaction() as session:
        session.execute(update(Pool).where(Pool.code == "440304001")
                        .values(name_en="Nanyuan Subdistrict"))
    sign_in(client, "jjh.a")
    for url in ("/foundation/funds?lang=en", f"/foundation/funds/{ELDER}?lang=en"):
        page = client.get(url).get_data(as_text=True)
        assert "Nanyuan Subdistrict" in page and "南园街道" not in page, url
    chinese = client.get(f"/foundation/funds/{ELDER}?lang=zh_CN").get_data(as_text=True)
    assert "南园街道" in chinese


def test_the_statement_downloads_as_csv(client, scene):
    sign_in(client, "jjh.a")
    day = scene.day.isoformat()
    response = client.get(f"/foundation/funds/{ELDER}/statement.csv?from={day}&to={day}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="statement-{ELDER}-{day}-{day}.csv"')
    text = response.get_data().decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("日期 / date,币种 / currency")
    assert any("5000.00" in line and "张三" in line for line in lines)
    assert "期末余额 / closing balance" in text and "4000.00" in text


def test_the_statement_downloads_as_xlsx(client, scene):
    sign_in(client, "jjh.a")
    with client.get(f"/foundation/funds/{ELDER}/statement.xlsx") as response:
        assert response.status_code == 200 and response.data[:2] == b"PK"


def test_another_foundations_fund_is_refused(client, scene):
    sign_in(client, "jjh.a")
    for url in (f"/foundation/funds/{CHILD}", f"/foundation/funds/{CHILD}/statement.csv"):
        response = client.get(url)
        assert response.status_code == 403
        text = response.get_data(as_text=True)
        assert "此基金未授权给贵基金会" in text and "¥800.00" not in text and "平安银行" not in text
    english = client.get(f"/foundation/funds/{CHILD}?lang=en").get_data(as_text=True)
    assert "not been granted to your foundation" in english


def test_an_unknown_fund_is_not_found(client, scene):
    sign_in(client, "jjh.a")
    assert client.get("/foundation/funds/NO-SUCH-FUND").status_code == 404


def test_a_bad_period_is_refused_naming_it(client, scene):
    sign_in(client, "jjh.a")
    response = client.get(f"/foundation/funds/{ELDER}?from=2026-13-01&lang=en")
    assert response.status_code == 422
    assert "is not a date" in response.get_data(as_text=True)


@pytest.mark.parametrize("role,pool", [("admin", "440304"), ("auditor", None)])
def test_other_roles_are_refused_the_foundation_pages(client, scene, make, role, pool):
    make.user("someone", role, pool)
    sign_in(client, "someone")
    assert client.get("/foundation/funds").status_code == 403
    assert client.get(f"/foundation/funds/{ELDER}").status_code == 403


def test_the_foundation_pages_need_sign_in(client, scene):
    response = client.get(f"/foundation/funds/{ELDER}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_a_foundation_reads_held_money_and_the_grants_part_of_it(client, db, scene):
    """A grant holds 600.00 of ELDER and a hold placed by hand 200.00: the foundation reads
    800.00 held, 600.00 of it for approved grants, 3,200.00 available."""
    import re

    from fundpool.funds.service import get_fund
    from fundpool.ledger import holds
    from fundpool.matching.grants import Portion, bank, hold_grant, payable
    from tests.factories import ACTOR
    with db.transaction() as session:
        elder = get_fund(session, ELDER)
        hold_grant(session, ACTOR, [Portion(elder, 600_00)], "长者助餐")
        holds.create_hold(session, ACTOR, [holds.NewLeg(bank(elder), payable(elder), 200_00)],
                          kind="grant")
    sign_in(client, "jjh.a")
    funds = client.get("/foundation/funds?lang=en").get_data(as_text=True)
    row = re.search(rf'<tr data-fund="{ELDER}">.*?</tr>', funds, re.DOTALL).group(0)
    assert re.findall(r'<td class="num">(.*?)</td>', row) == [
        "¥4,000.00", "¥800.00", "¥600.00", "¥3,200.00"]
    assert "Of which for approved grants" in funds
    page = client.get(f"/foundation/funds/{ELDER}?lang=zh_CN").get_data(as_text=True)
    assert '<dt>预留 (CNY)</dt><dd data-figure="held-CNY">¥800.00</dd>' in page
    assert '<dt>其中已批项目预留 (CNY)</dt><dd data-figure="held-for-grants-CNY">¥600.00</dd>' \
        in page
