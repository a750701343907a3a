"""In a real browser: an administrator records a donation from a fund's page and sees its
receipt number and the fund's balance change."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.console.test_browser_sign_in import sign_in
from tests.console.test_money_pages import ELDER, scene  # noqa: F401  the pages' tests' scene


def test_admin_records_a_donation_and_sees_receipt_and_balance(page, scene, shots):  # noqa: F811
    sign_in(page, "wang.fang")
    page.goto(f"/funds/{ELDER}")
    expect(page.locator("dd[data-figure=available]")).to_have_text("¥5,500.00")
    expect(page.locator("#flow-chart canvas")).to_be_visible()  # the chart script ran
    page.get_by_role("link", name="向本基金登记捐赠").click()
    expect(page.get_by_label("基金")).to_have_value(ELDER)
    page.get_by_label("捐赠人姓名或名称").fill("赵六")
    page.get_by_label("金额（元）").fill("1234.56")
    page.get_by_label("渠道流水号（银行或平台交易号）").fill("BANK-2026-0001")
    page.get_by_role("button", name="登记此笔捐赠").click()
    expect(page.locator("[data-figure=receipt-code]")).to_have_text("44030426")
    expect(page.locator("[data-figure=receipt-number]")).to_have_text("0000000001")
    expect(page.locator("dd[data-figure=balance]")).to_have_text("¥6,734.56")
    page.screenshot(path=shots / "donation-receipt.png", full_page=True)
    page.get_by_role("link", name="长者关爱基金").click()
    expect(page.locator("dd[data-figure=available]")).to_have_text("¥6,734.56")
    expect(page.locator("table[data-statement=CNY]")).to_contain_text("赵六")
