"""Every console page, as each demo person sees it, is usable without a mouse or sight:
a language, one main heading, a label for every field, unique ids, alt text, header cells;
and the palette's text contrasts at least 4.5:1 (WCAG AA)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fundpool import demo
from fundpool.audit.log import Actor
from fundpool.matching import runs
from fundpool.matching.run_models import RunMatch

PAGES = {
    "demo-admin": ["/", "/dashboard/440304", "/users", "/pools/440304", "/funds/PINGAN-440304",
                   "/donations/new", "/donations/1", "/imports/new", "/needs", "/proposals",
                   "/proposals/1", "/matching/runs", "/matching/runs/1", "/grants",
                   "/grants/{match}", "/audit/trial-balance", "/audit/activity",
                   "/audit/exports", "/public", "/public/pools/440304",
                   "/public/funds/PINGAN-440304", "/dashboard/<b>x"],
    "demo-auditor": ["/", "/audit/trial-balance", "/audit/activity", "/audit/exports",
                     "/audit/verification", "/audit/log", "/matching/runs/1"],
    "pingan-foundation": ["/foundation/funds", "/foundation/funds/PINGAN-440304",
                          "/foundation/funds/ELDER-440304001"],
    None: ["/sign-in", "/public", "/invite/not-a-real-invitation"],
}
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.h1 = 0
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.fields: list[dict] = []
        self.images_without_alt = 0
        self.tables = 0
        self.header_cells = 0
        self.open_labels = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.open_labels += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            if attrs.get("type") not in UNLABELLED_TYPES:
                self.fields.append({**attrs, "wrapped": self.open_labels > 0})
        elif tag == "img" and "alt" not in attrs:
            self.images_without_alt += 1
        elif tag == "table":
            self.tables += 1
        elif tag == "th":
            self.header_cells += 1

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1

    def unlabelled(self) -> list[dict]:
        return [f for f in self.fields if not (f["wrapped"] or f.get("aria-label")
                                              or f.get("id") in self.label_for)]


@pytest.fixture
def demo_db(db):
    with db.transaction() as session:
        demo.load(session, Actor("demo"))
        demo.load_money(session, Actor("demo"))
        demo.load_reserve(session, Actor("demo"))
        demo.load_people(session, Actor("demo"))
    run_id = runs.run_matching(db, Actor("demo"))
    with db.transaction() as session:
        match_id = demo.fund_first_grant(session, Actor("demo"), run_id)
        assert session.get(RunMatch, match_id).run_id == 1
    return match_id


def signed_in(app, login):
    client = app.test_client()
    if login is None:
        return client
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"login": login, "password": demo.DEMO_PASSWORD,
                                              "csrf_token": token})
    assert response.status_code == 302, login
    return client


def test_every_page_has_a_language_one_heading_and_a_label_for_every_field(app, demo_db):
    checked = 0
    for login, paths in PAGES.items():
        client = signed_in(app, login)
        for path in paths:
            response = client.get(path.format(match=demo_db))
            assert response.status_code < 500, path
            assert response.mimetype == "text/html", path
            page = Page()
            page.feed(response.get_data(as_text=True))
            where = f"{login} {path}"
            assert page.lang in ("zh-CN", "en"), where
            assert page.h1 == 1, where
            assert not page.unlabelled(), (where, page.unlabelled())
            assert len(page.ids) == len(set(page.ids)), (where, sorted(page.ids))
            assert page.images_without_alt == 0, where
            assert not page.tables or page.header_cells, where
            checked += 1
    assert checked == sum(len(paths) for paths in PAGES.values())


def contrast(foreground: str, background: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_contrast_at_least_four_and_a_half_to_one():
    css = (Path(__file__).parents[2] / "fundpool/console/static/console.css").read_text()
    palette = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    link = re.search(r"\ba \{ color: (#[0-9a-fA-F]{6})", css).group(1)
    pairs = [(palette["ink"], palette["bg"]), (palette["ink"], "#ffffff"),
             (palette["muted"], "#ffffff"), (palette["muted"], palette["bg"]),
             (palette["accent-ink"], palette["accent"]), (palette["bad"], "#ffffff"),
             (palette["ok"], "#ffffff"), (link, "#ffffff"), (link, palette["bg"])]
    for foreground, background in pairs:
        assert contrast(foreground, background) >= 4.5, (foreground, background)
