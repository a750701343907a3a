"""In a real browser: a foundation signs in, sees the fund granted to it, and is refused
another foundation's fund."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.console.reports_scene import CHILD, ELDER, books
from tests.console.test_browser_sign_in import sign_in


def test_a_foundation_is_refused_another_foundations_fund(page, db, make, shenzhen, shots):
    books(db, make)
    sign_in(page, "jjh.a")
    expect(page.get_by_role("heading", level=1)).to_have_text("我们的基金")
    expect(page.locator(f"tr[data-fund='{ELDER}']")).to_contain_text("¥4,000.00")
    expect(page.locator(f"tr[data-fund='{CHILD}']")).to_have_count(0)
    page.goto(f"/foundation/funds/{CHILD}")
    expect(page.get_by_role("heading", level=1)).to_have_text("无权访问")
    expect(page.get_by_role("alert")).to_have_text("此基金未授权给贵基金会")
    expect(page.get_by_text("儿童关爱基金")).to_have_count(0)
    page.screenshot(path=shots / "foundation-refused.png", full_page=True)
