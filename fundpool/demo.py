"""The Shenzhen demo: the real city, districts and streets, a few communities each, and
some funds, donations (with receipts) and an allocation in 福田区 to look at.

Community codes and names are illustrative: the NBS community list is not
shipped, so each street gets three residents' committees numbered 001-003
with plausible names. They are marked as such in their English name.
"""

from __future__ import annotations

import zlib
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor
from fundpool.auth.tokens import create_token
from fundpool.pools.codes import Level
from fundpool.pools.divisions import shenzhen
from fundpool.donations.receipts import register_book
from fundpool.donations.service import NewDonation, NewDonor, create_donor, record_donation
from fundpool.funds.allocation import allocate
from fundpool.funds.models import Fund
from fundpool.funds.service import NewFund, Restriction, create_fund, get_fund
from fundpool.ledger.posting import today
from fundpool.pools.service import NewPool, get_pool, import_pools

CITY = "440300"
COMMUNITIES_PER_STREET = 3
STEMS = ("滨河", "新村", "花园", "翠竹", "华富", "锦绣", "东湖", "桂园", "莲花", "荔枝",
         "松坪", "南岭", "沙河", "海滨", "景田", "龙塘", "石厦", "梅林", "玉田", "文锦")


def communities(streets: list[NewPool]) -> list[NewPool]:
    """Three illustrative communities per street, the same every time."""
    made = []
    for street in streets:
        start = zlib.crc32(street.code.encode()) % len(STEMS)
        for number in range(1, COMMUNITIES_PER_STREET + 1):
            stem = STEMS[(start + number * 7) % len(STEMS)]
            made.append(NewPool(code=f"{street.code}{number:03d}", name=f"{stem}社区",
                                level=Level.COMMUNITY, parent_code=street.code,
                                name_en=f"{stem} Community (illustrative)"))
    return made


def load(session: Session, actor: Actor) -> tuple[int, int]:
    """Create whatever of the demo is missing; return (created, already there)."""
    divisions = shenzhen()
    streets = [row for row in divisions if row.level is Level.STREET]
    return import_pools(session, actor, divisions + communities(streets))


def admin_token(session: Session, actor: Actor) -> str:
    _token, secret = create_token(session, actor, name="demo city admin", role="admin",
                                  pool_code=CITY)
    return secret


FUNDS = (
    NewFund(code="ELDER-440304001", name="南园街道助老专项基金", kind="special",
            pool_code="440304001", restricted=True, name_en="Nanyuan elderly care fund",
            restriction=Restriction(categories=("elderly_in_difficulty",))),
    NewFund(code="PINGAN-440304", name="平安助学冠名基金", kind="named", pool_code="440304",
            restricted=True, named_for="平安银行深圳分行",
            restriction=Restriction(categories=("children_in_difficulty",
                                                "left_behind_children"))),
    NewFund(code="COMM-440304001001", name="社区基金", kind="community",
            pool_code="440304001001", restricted=True,
            restriction=Restriction(area_codes=("440304001001",))),
)
DONORS = (("foundation", "深圳市慈善会"), ("enterprise", "平安银行深圳分行"),
          ("platform", "腾讯公益"), ("individual", "张女士"))
#: (donor index, fund, yuan, channel, reference, days ago)
GIFTS = ((0, "440304", 200_000, "bank_transfer", "SZCF-2026-0117", 20),
         (1, "PINGAN-440304", 80_000, "bank_transfer", "PAB-2026-3321", 15),
         (1, "ELDER-440304001", 30_000, "bank_transfer", "PAB-2026-3322", 12),
         (2, "ELDER-440304001", 12_345, "internet_platform", "TXGY-99-000187", 9),
         (3, "COMM-440304001001", 2_000, "wechat_pay", "WX-4200001987", 3))


def load_money(session: Session, actor: Actor) -> bool:
    """Funds, donors, a receipt book, donations and an allocation, once; False if present."""
    if session.scalar(select(Fund.id).where(Fund.code == FUNDS[0].code)) is not None:
        return False
    for fund in FUNDS:
        create_fund(session, actor, fund)
    register_book(session, actor, get_pool(session, "440304001"), "44030001", "0000000001",
                  "0000000500")
    register_book(session, actor, get_pool(session, "440304"), "44030002", "0000000001",
                  "0000000500")
    donors = [create_donor(session, actor, NewDonor(kind, name)).id for kind, name in DONORS]
    for donor, fund, yuan, channel, ref, days in GIFTS:
        record_donation(session, actor, NewDonation(
            donor_id=donors[donor], fund=get_fund(session, fund), amount=yuan * 100,
            currency="CNY", channel=channel, channel_ref=ref,
            received_date=today() - timedelta(days=days), purpose="示例捐赠 (demo)",
            issue_receipt=channel == "bank_transfer"))
    allocate(session, actor, get_fund(session, "440304"), get_fund(session, "440304001"),
             50_000_00, "CNY", today() - timedelta(days=5), "第四季度拨付 (demo)")
    return True
