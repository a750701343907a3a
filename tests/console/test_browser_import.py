"""In a real browser: an administrator uploads a platform's donations file and watches the
import finish, its progress bar full and its report counted."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.console.test_browser_sign_in import sign_in
from tests.console.test_money_pages import scene  # noqa: F401  the pages' tests' scene
from tests.integration.test_import import SAMPLE


def test_admin_uploads_an_import_and_watches_it_finish(page, scene, shots):  # noqa: F811
    sign_in(page, "wang.fang")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="导入捐赠").click()
    page.get_by_label("文件").set_input_files(SAMPLE)
    page.get_by_label("平台声明的行数（可选）").fill("5")
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#import-status")).to_have_text("已完成")
    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("max", "5")
    expect(progress).to_have_attribute("value", "5")
    expect(page.locator("[data-figure=imported]")).to_have_text("5")
    expect(page.locator("[data-figure=duplicates]")).to_have_text("0")
    expect(page.locator("[data-figure=rejected]")).to_have_text("0")
    page.screenshot(path=shots / "import-finished.png", full_page=True)
