"""In a real browser, without signing in: the public page shows the city's money raised and
granted with its chart, and drills down to a district."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.console.reports_scene import books


def test_the_public_page_without_signing_in(page, db, make, shenzhen, shots):
    books(db, make)
    page.goto("/sign-in")
    page.get_by_role("link", name="无需登录，查看公开数据").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("深圳市")
    expect(page.locator("[data-figure='raised']")).to_have_text("¥7,800.00")
    expect(page.locator("[data-figure='granted']")).to_have_text("¥1,000.00")
    expect(page.locator("#public-chart[data-drawn='true'] svg")).to_be_visible()
    page.locator("tr[data-pool='440304']").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("福田区")
    expect(page.locator("tr[data-pool='440304001']")).to_contain_text("¥7,000.00")
    expect(page.locator("[data-figure='raised']")).to_have_text("¥7,800.00")
    page.screenshot(path=shots / "public-district.png", full_page=True)
