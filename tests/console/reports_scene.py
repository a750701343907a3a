"""Books for the console's foundation, auditor and public pages: two funds in two streets of
福田区, gifts to them, a grant instalment paid from one, and two foundations each granted
one fund. Built through the real services."""

from __future__ import annotations

from dataclasses import dataclass

from fundpool.donations import service
from fundpool.funds.models import FundGrant
from fundpool.funds.service import NewFund, Restriction, create_fund, get_fund
from fundpool.ledger.posting import today
from fundpool.matching.grants import Portion, hold_grant, pay_instalment
from tests.factories import ACTOR

STREET, OTHER = "440304001", "440304002"
ELDER, CHILD = "ELDER-440304001", "CHILD-440304002"
#: Private details of the donors: none may appear on a public page.
PRIVATE = ("张三", "王五", "13800138000", "440304199001011234", "zhang@example.com",
           "张三的心意")


@dataclass
class Books:
    day: object
    foundation_a: object = None
    foundation_b: object = None


def books(db, make) -> Books:
    """张三 gives ELDER 5,000.00, 平安银行 gives CHILD 800.00, an anonymous 王五 gives the
    street's general fund 2,000.00; ELDER pays a project's first instalment of 1,000.00.
    Foundation ``jjh.a`` is granted ELDER, ``jjh.b`` CHILD. All today (China time)."""
    day = today()
    with db.transaction() as session:
        for code, pool in ((ELDER, STREET), (CHILD, OTHER)):
            create_fund(session, ACTOR, NewFund(
                code=code, name=f"{'长者' if code == ELDER else '儿童'}关爱基金", kind="special",
                pool_code=pool, restricted=True,
                restriction=Restriction(categories=("elderly_in_difficulty",))))
        for kind, name, anonymous, fund, amount, ref in (
                ("individual", "张三", False, ELDER, 5_000_00, "E-1"),
                ("enterprise", "平安银行", False, CHILD, 800_00, "C-1"),
                ("individual", "王五", True, STREET, 2_000_00, "S-1")):
            donor = service.create_donor(session, ACTOR, service.NewDonor(
                kind, name, anonymous=anonymous, contact="13800138000 zhang@example.com",
                id_number="440304199001011234"))
            service.record_donation(session, ACTOR, service.NewDonation(
                donor_id=donor.id, fund=get_fund(session, fund), amount=amount, currency="CNY",
                channel="bank_transfer", channel_ref=ref, received_date=day,
                issue_receipt=False, purpose="张三的心意"))
    with db.transaction() as session:
        hold = hold_grant(session, ACTOR, [Portion(get_fund(session, ELDER), 1_000_00)],
                          "长者助餐")
        pay_instalment(session, ACTOR, hold.id, [1_000_00], day, "第一期")
    found = Books(day)
    found.foundation_a = make.user("jjh.a", "foundation")
    found.foundation_b = make.user("jjh.b", "foundation")
    with db.transaction() as session:
        for user, code in ((found.foundation_a, ELDER), (found.foundation_b, CHILD)):
            session.add(FundGrant(token_id=user.identity_id, fund_id=get_fund(session, code).id))
    return found
