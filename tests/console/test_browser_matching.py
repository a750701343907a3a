"""In a real browser: an administrator opens a matching run, reads why, approves a match, and
sees the proposal funded and its money held on the grant and on the fund's page."""

from __future__ import annotations

from playwright.sync_api import expect

from fundpool.matching import runs
from tests.console.test_browser_sign_in import sign_in
from tests.console.test_matching_pages import scene  # noqa: F401  the same scene as the pages' tests
from tests.factories import ACTOR


def test_admin_approves_a_match_and_sees_the_money_held(page, db, scene, shots):  # noqa: F811
    with db.transaction() as session:
        run_id = runs.run_now(session, ACTOR).id
    sign_in(page, "street")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="匹配运行").click()
    page.get_by_role("link", name=f"第 {run_id} 次运行").click()
    match = page.locator("section.match")
    expect(match).to_contain_text("服务类别一致：特殊困难老人")
    expect(match.locator("[data-field=status]")).to_have_text("待审批")
    match.get_by_role("button", name="批准").click()
    expect(match.locator("[data-field=status]")).to_have_text("已批准")
    page.screenshot(path=shots / "matching-approved.png", full_page=True)
    match.get_by_role("link", name="资助").click()
    expect(page.locator("[data-figure=held]")).to_have_text("¥1,200.00")
    page.locator("tr[data-fund]").get_by_role("link").click()
    expect(page.locator("[data-figure=held]")).to_have_text("¥1,200.00")
    expect(page.locator("[data-figure=available]")).to_have_text("¥1,800.00")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="项目储备库").click()
    expect(page.locator("tr[data-proposal]")).to_contain_text("已资助")
