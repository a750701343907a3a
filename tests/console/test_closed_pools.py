"""A pool closed during the months a page sums still has figures in them: its parent's
total counts them, so the rows of the pools below list it too, marked closed, and add up."""

from __future__ import annotations

import re

import pytest

from fundpool.donations import service
from fundpool.funds.allocation import allocate
from fundpool.funds.service import get_fund
from fundpool.ledger.posting import today
from fundpool.pools.service import close_pool
from tests.console.test_sign_in import sign_in
from tests.factories import ACTOR

DISTRICT, OPEN, CLOSED, COMMUNITY = "440304", "440304001", "440304002", "440304002001"


@pytest.fixture
def scene(db, make, shenzhen):
    """This month 南园街道 (open) raises 2,000.00 and 园岭街道's 百花社区 300.00; the 300.00
    goes up to 福田区, then 百花社区 and 园岭街道 close. 福田区's own funds raise nothing, so
    its total is the sum of its two streets."""
    make.user("wang.fang", "admin", DISTRICT)
    with db.transaction() as session:
        for ref, code, amount in (("G-1", OPEN, 2_000_00), ("G-2", COMMUNITY, 300_00)):
            donor = service.create_donor(session, ACTOR, service.NewDonor("individual", ref))
            service.record_donation(session, ACTOR, service.NewDonation(
                donor_id=donor.id, fund=get_fund(session, code), amount=amount,
                currency="CNY", channel="bank_transfer", channel_ref=ref,
                received_date=today(), issue_receipt=False))
        for low, high in ((COMMUNITY, CLOSED), (CLOSED, DISTRICT)):
            allocate(session, ACTOR, get_fund(session, low), get_fund(session, high), 300_00,
                     "CNY", today(), "上缴")
            close_pool(session, ACTOR, low, "撤并")
    return shenzhen


def _yuan(cell: str) -> int:
    return int(re.sub(r"[^\d]", "", cell))


def test_the_dashboards_rows_add_up_to_the_pools_total(client, scene):
    sign_in(client, "wang.fang")
    for lang, closed in (("zh_CN", "已关闭"), ("en", "closed")):
        page = client.get(f"/?lang={lang}").get_data(as_text=True)
        total = re.search(r'data-figure="raised">(.*?)<', page).group(1)
        rows = dict(re.findall(r'<tr data-pool="(\d+)"[^>]*>.*?<td class="num">(.*?)</td>',
                               page, re.DOTALL))
        assert total == "¥2,300.00"
        assert rows == {OPEN: "¥2,000.00", CLOSED: "¥300.00"}
        assert sum(_yuan(cell) for cell in rows.values()) == _yuan(total)
        row = re.search(rf'<tr data-pool="{CLOSED}"[^>]*>.*?</tr>', page, re.DOTALL).group(0)
        assert closed in row and 'data-closed="true"' in row
    assert client.get(f"/dashboard/{CLOSED}").status_code == 200


def test_the_public_pages_rows_add_up_to_the_pools_total(client, scene):
    for lang, closed in (("zh_CN", "已关闭"), ("en", "closed")):
        page = client.get(f"/public/pools/{DISTRICT}?lang={lang}").get_data(as_text=True)
        raised = re.search(r'data-figure="raised">(.*?)</dd>', page).group(1)
        donations = re.search(r'data-figure="donations">(.*?)</dd>', page).group(1)
        rows = re.findall(r'<tr data-pool="(\d+)"[^>]*>.*?<td class="num">(.*?)</td>'
                          r'<td class="num">.*?</td>\s*<td class="num">(\d+)</td>', page,
                          re.DOTALL)
        assert [code for code, _raised, _count in rows] == [OPEN, CLOSED]
        assert sum(_yuan(cell) for _code, cell, _count in rows) == _yuan(raised) == 2_300_00
        assert sum(int(count) for *_rest, count in rows) == int(donations) == 2
        row = re.search(rf'<tr data-pool="{CLOSED}"[^>]*>.*?</tr>', page, re.DOTALL).group(0)
        assert closed in row
    assert client.get(f"/public/pools/{CLOSED}").status_code == 200  # the row's link


def test_a_pool_closed_before_the_months_shown_is_not_listed(client, db, scene):
    """A pool with no figures in the months shown adds nothing to the total: not listed."""
    page = client.get(f"/public/pools/{DISTRICT}?year={today().year - 1}").get_data(
        as_text=True)
    assert f'data-pool="{CLOSED}"' not in page and f'data-pool="{OPEN}"' in page
