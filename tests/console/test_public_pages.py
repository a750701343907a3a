"""The public transparency page: no sign-in; raised, granted, donations and people served for
the city, down its pools and for each fund; nothing the public API does not give (no donor,
no contact, no memo, no account balance)."""

from __future__ import annotations

import pytest

from fundpool.console.views import public
from tests.console.reports_scene import CHILD, ELDER, PRIVATE, books


@pytest.fixture
def scene(db, make, shenzhen):
    return books(db, make)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def figure(text: str, name: str) -> str:
    start = text.index(f'data-figure="{name}">') + len(f'data-figure="{name}">')
    return text[start:text.index("</dd>", start)]


def test_the_public_page_needs_no_sign_in_and_shows_the_citys_figures(client, scene):
    text = page(client, "/public")
    assert "深圳市" in text
    assert figure(text, "raised") == "¥7,800.00"  # 5,000 + 800 + 2,000
    assert figure(text, "granted") == "¥1,000.00"
    assert figure(text, "donations") == "3"
    assert 'data-pool="440304"' in text and 'data-pool="440303"' in text
    assert "echarts-5.6.0.min.js" in text and 'id="public-chart-data"' in text


def test_drilling_down_to_a_district_and_a_street(client, scene):
    district = page(client, "/public/pools/440304")
    assert "福田区" in district and 'data-pool="440304001"' in district
    assert figure(district, "raised") == "¥7,800.00"
    street = page(client, "/public/pools/440304001?lang=en")
    assert figure(street, "raised") == "¥7,000.00" and figure(street, "granted") == "¥1,000.00"
    assert f'data-fund="{ELDER}"' in street and "Pools above" in street
    other = page(client, "/public/pools/440303")
    assert figure(other, "raised") == "¥0.00"


def test_a_funds_public_figures(client, scene):
    text = page(client, f"/public/funds/{CHILD}")
    assert "儿童关爱基金" in text and figure(text, "raised") == "¥800.00"
    month = scene.day.strftime("%Y-%m")
    assert f'data-month="{month}"' in text


def test_nothing_private_is_shown(client, scene):
    for url in ("/public", "/public/pools/440304001", f"/public/funds/{ELDER}",
                "/public/pools/440304001?lang=en"):
        text = page(client, url)
        assert not [secret for secret in PRIVATE if secret in text], url
        assert "平安银行" not in text  # even a public donor name: the page gives totals only
        assert "¥4,000.00" not in text  # ELDER's bank balance is no public figure


def test_the_public_pages_carry_no_sign_in_check():
    for view in (public.public_home, public.public_pool_page, public.public_fund_page):
        assert not hasattr(view, "__wrapped__")


def test_unknown_pools_and_funds_are_not_found_and_a_bad_year_is_refused(client, scene):
    assert client.get("/public/pools/999999").status_code == 404
    assert client.get("/public/funds/NO-SUCH").status_code == 404
    bad = client.get("/public?year=20x6&lang=en")
    assert bad.status_code == 422 and "is not a year" in bad.get_data(as_text=True)
    assert client.get("/public?year=2999").status_code == 422


def test_a_bad_year_is_refused_in_the_pages_language(client, scene):
    """The public page is read in Chinese: a year it cannot show is refused in Chinese."""
    for year in ("2999", "1999", "20x6"):
        response = client.get(f"/public?year={year}&lang=zh_CN")
        page = response.get_data(as_text=True)
        assert response.status_code == 422, year
        for english in ("is in the future", "figures start in", "is not a year"):
            assert english not in page, (year, english)


def test_a_signed_in_person_sees_the_same_figures(client, scene):
    from tests.console.test_sign_in import sign_in
    anonymous = figure(page(client, "/public"), "raised")
    sign_in(client, "jjh.a")
    assert figure(page(client, "/public"), "raised") == anonymous
