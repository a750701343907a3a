"""Response shapes of "where the money went": a fund's uses and a donation's trail.
Amounts are decimal strings in the currency's exponent."""

from __future__ import annotations

import marshmallow as ma

from fundpool.funds.models import CATEGORIES
from fundpool.ledger.money import EXPONENTS
from fundpool.matching.models import URGENCIES

MONEY = {"type": "string", "example": "1000.00"}
PEOPLE = {"type": "string", "example": "11.25"}
PART_KINDS = ("grant", "allocation", "refund", "other", "in_fund", "paid_on",
              "held_for_recipient", "goods")
TRAIL_KINDS = ("gift", "pass_through", "in_kind")


class NeedsServedSchema(ma.Schema):
    category = ma.fields.String(metadata={"enum": list(CATEGORIES)})
    category_name = ma.fields.String(metadata={"example": "特殊困难老人"})
    urgency = ma.fields.String(metadata={"enum": list(URGENCIES)})
    urgency_name = ma.fields.String(metadata={"example": "危机"})
    needs = ma.fields.Integer()
    people = ma.fields.Integer()


class ProjectUseSchema(ma.Schema):
    match_id = ma.fields.Integer()
    run_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": ["approved", "completed", "cancelled"],
                                        "description": "The match: approved (being paid), "
                                                       "completed or cancelled"})
    proposal_id = ma.fields.Integer()
    title = ma.fields.String(metadata={"example": "滨河长者助餐"})
    organisation = ma.fields.String(metadata={"description": "The applicant"})
    proposal_status = ma.fields.String()
    budget = ma.fields.String(metadata={**MONEY, "description": "The project's whole budget"})
    share = ma.fields.String(metadata={**MONEY, "description": "This fund's approved share"})
    paid = ma.fields.String(metadata={**MONEY, "description": "Paid from this fund so far"})
    held = ma.fields.String(metadata={**MONEY, "description": "Held on this fund for it now"})
    released = ma.fields.String(metadata={
        **MONEY, "description": "share − paid − held: no longer owed (completed or cancelled)"})
    people = ma.fields.Integer(metadata={"description": "People served by the project"})
    people_share = ma.fields.String(metadata={
        **PEOPLE, "description": "This fund's share of them: people × share ÷ budget, two "
                                 "decimals, rounded half up"})
    needs = ma.fields.List(ma.fields.Nested(NeedsServedSchema))


class AllocationUseSchema(ma.Schema):
    allocation_id = ma.fields.Integer()
    entry_id = ma.fields.Integer()
    date = ma.fields.Date()
    direction = ma.fields.String(metadata={"enum": ["down", "up", "across"]})
    target = ma.fields.String(metadata={"example": "440304001001"})
    target_name = ma.fields.String()
    target_pool = ma.fields.String()
    amount = ma.fields.String(metadata=MONEY)
    currency = ma.fields.String(metadata={"enum": list(EXPONENTS)})
    memo = ma.fields.String()


class UseTotalsSchema(ma.Schema):
    currency = ma.fields.String(metadata={"enum": list(EXPONENTS)})
    approved = ma.fields.String(metadata={**MONEY, "description": "Shares of the projects"})
    paid = ma.fields.String(metadata=MONEY)
    held = ma.fields.String(metadata=MONEY)
    released = ma.fields.String(metadata=MONEY)
    allocated_out = ma.fields.String(metadata=MONEY)
    refunded = ma.fields.String(metadata={**MONEY, "description": "Gifts to this fund given "
                                                                  "back"})
    in_fund = ma.fields.String(metadata={**MONEY, "description": "Money in the fund now (1002 "
                                                                  "and 1009), held or not"})
    projects = ma.fields.Integer()
    people = ma.fields.Integer()
    people_share = ma.fields.String(metadata=PEOPLE)


class FundUsesSchema(ma.Schema):
    fund = ma.fields.String()
    fund_name = ma.fields.String()
    pool = ma.fields.String()
    projects = ma.fields.List(ma.fields.Nested(ProjectUseSchema))
    allocations = ma.fields.List(ma.fields.Nested(AllocationUseSchema), metadata={
        "description": "Allocations and returns this fund sent, in date order"})
    totals = ma.fields.List(ma.fields.Nested(UseTotalsSchema))


class HopSchema(ma.Schema):
    allocation_id = ma.fields.Integer()
    date = ma.fields.Date()
    source = ma.fields.String(metadata={"description": "Fund code"})
    target = ma.fields.String(metadata={"description": "Fund code"})


class TrailPartSchema(ma.Schema):
    kind = ma.fields.String(metadata={"enum": list(PART_KINDS)})
    amount = ma.fields.String(metadata=MONEY)
    fund = ma.fields.String(metadata={"description": "Where the money is, or the fund it left"})
    fund_name = ma.fields.String()
    pool = ma.fields.String()
    date = ma.fields.Date(allow_none=True)
    entry_id = ma.fields.Integer(allow_none=True)
    via = ma.fields.List(ma.fields.Nested(HopSchema), metadata={
        "description": "The allocations this money was followed through"})
    match_id = ma.fields.Integer(allow_none=True)
    proposal_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String(allow_none=True)
    organisation = ma.fields.String(allow_none=True)
    refund_of = ma.fields.Integer(allow_none=True, metadata={
        "description": "The gift refunded (this one, or another the fund refunded with "
                       "this money)"})
    target = ma.fields.String(allow_none=True, metadata={
        "description": "allocation: the fund it went to (not followed further)"})
    recipient = ma.fields.String(allow_none=True, metadata={
        "description": "pass-through gifts: the recipient the donor named"})
    memo = ma.fields.String()


class TrailTotalSchema(ma.Schema):
    kind = ma.fields.String(metadata={"enum": list(PART_KINDS)})
    amount = ma.fields.String(metadata=MONEY)


class TrailRefundSchema(ma.Schema):
    entry_id = ma.fields.Integer()
    date = ma.fields.Date()
    amount = ma.fields.String(metadata=MONEY)


class TrailDonationSchema(ma.Schema):
    id = ma.fields.Integer()
    donor = ma.fields.String(metadata={"description": "Display name (匿名捐赠人 if anonymous)"})
    fund = ma.fields.String()
    fund_name = ma.fields.String()
    pool = ma.fields.String()
    amount = ma.fields.String(metadata=MONEY)
    currency = ma.fields.String(metadata={"enum": list(EXPONENTS)})
    channel = ma.fields.String()
    received_date = ma.fields.Date()
    refunded = ma.fields.String(metadata=MONEY)
    pass_through_recipient = ma.fields.String(allow_none=True, metadata={
        "description": "A pass-through gift (受托代理): the recipient the donor named; the gift "
                       "is not the fund's money and goes to them"})


class DonationTrailSchema(ma.Schema):
    donation = ma.fields.Nested(TrailDonationSchema)
    kind = ma.fields.String(metadata={"enum": list(TRAIL_KINDS)})
    rule = ma.fields.String(metadata={"description": "How the fund's spending is attributed"})
    followed = ma.fields.Boolean(metadata={
        "description": "Every allocation was followed to where the money is now"})
    parts = ma.fields.List(ma.fields.Nested(TrailPartSchema), metadata={
        "description": "Add up to the donation's amount exactly"})
    totals = ma.fields.List(ma.fields.Nested(TrailTotalSchema))
    refunds = ma.fields.List(ma.fields.Nested(TrailRefundSchema))

