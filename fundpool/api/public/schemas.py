"""Query and response shapes of the public figures and disclosure reports. Amounts are
decimal strings in the currency's exponent; months are ``YYYY-MM``; every figure is an
aggregate and a donor is only ever a public name (masked for a person)."""

from __future__ import annotations

import marshmallow as ma

from fundpool.api.pagination import PageArgsSchema, page_schema
from fundpool.ledger.money import EXPONENTS

MONEY = {"type": "string", "example": "1000.00"}
MONTH = ma.validate.Regexp(r"^\d{4}-\d{2}$", error="a month is YYYY-MM, e.g. 2026-03")


def money(description: str | None = None) -> ma.fields.String:
    return ma.fields.String(metadata={**MONEY, **({"description": description}
                                                  if description else {})})


class PublicFiguresQuerySchema(ma.Schema):
    year = ma.fields.Integer(strict=False, metadata={
        "description": "A calendar year (its months so far); not with from/to", "example": 2026})
    month_from = ma.fields.String(data_key="from", validate=MONTH, metadata={
        "description": "First month, YYYY-MM; default January of `to`'s year"})
    month_to = ma.fields.String(data_key="to", validate=MONTH, metadata={
        "description": "Last month, YYYY-MM; default this month (China time)"})


class PublicLangQuerySchema(ma.Schema):
    lang = ma.fields.String(validate=ma.validate.OneOf(("zh-CN", "en")), metadata={
        "description": "zh-CN (default) or en: how an anonymous donor is named (匿名 / "
                       "Anonymous); Accept-Language is read if absent"})


class PublicCurrencyMoneySchema(ma.Schema):
    currency = ma.fields.String(metadata={"enum": list(EXPONENTS)})
    raised = money("Donations less refunds, in the month of each entry (may be negative in "
                   "a month of refunds); pass-through gifts are not counted")
    granted = money("Grant instalments recognised as program costs (业务活动成本)")


class PublicMonthFiguresSchema(ma.Schema):
    month = ma.fields.String(metadata={"example": "2026-10"})
    donations = ma.fields.Integer(metadata={"description": "Gifts received (pass-through left out)"})
    people_served = ma.fields.Integer(metadata={
        "description": "People of the grants completed in the month"})
    money = ma.fields.List(ma.fields.Nested(PublicCurrencyMoneySchema))


class PublicTotalsSchema(ma.Schema):
    donations = ma.fields.Integer()
    people_served = ma.fields.Integer()
    money = ma.fields.List(ma.fields.Nested(PublicCurrencyMoneySchema))


class PublicHeldSchema(ma.Schema):
    currency = ma.fields.String()
    amount = money("Held now for approved grants not yet paid")


class PublicPoolRefSchema(ma.Schema):
    code = ma.fields.String(metadata={"example": "440304"})
    name = ma.fields.String(metadata={"example": "福田区"})
    level = ma.fields.String(metadata={"example": "district"})


class PublicFundRefSchema(ma.Schema):
    code = ma.fields.String(metadata={"example": "ELDER-440304001"})
    name = ma.fields.String(metadata={"example": "南园街道助老专项基金"})
    name_en = ma.fields.String(allow_none=True)
    kind = ma.fields.String(metadata={"enum": ["general", "community", "special", "named"]})
    restricted = ma.fields.Boolean()
    pool = ma.fields.Nested(PublicPoolRefSchema)


class PublicFiguresSchema(ma.Schema):
    pool = ma.fields.Nested(PublicPoolRefSchema, allow_none=True, metadata={
        "description": "The pool whose whole subtree is counted (pool figures)"})
    fund = ma.fields.Nested(PublicFundRefSchema, allow_none=True, metadata={
        "description": "The fund counted (fund figures)"})
    month_from = ma.fields.String(data_key="from", metadata={"example": "2026-01"})
    month_to = ma.fields.String(data_key="to", metadata={"example": "2026-11"})
    months = ma.fields.List(ma.fields.Nested(PublicMonthFiguresSchema), metadata={
        "description": "Every month of the range, in order, zeros included"})
    totals = ma.fields.Nested(PublicTotalsSchema)
    held = ma.fields.List(ma.fields.Nested(PublicHeldSchema))


class PublicNamedCodeSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()


class PublicProjectSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String(metadata={"example": "滨河长者助餐"})
    organisation = ma.fields.String(metadata={"example": "福田区长者服务社"})
    pool = ma.fields.Nested(PublicPoolRefSchema)
    areas = ma.fields.List(ma.fields.Nested(PublicNamedCodeSchema))
    categories = ma.fields.List(ma.fields.Nested(PublicNamedCodeSchema))
    status = ma.fields.String(metadata={"description": "The proposal's status now"})
    start_date = ma.fields.Date(allow_none=True)
    end_date = ma.fields.Date(allow_none=True)


class PublicGrantSchema(ma.Schema):
    status = ma.fields.String(metadata={"enum": ["approved", "completed", "cancelled"]})
    approved = money("The grant approved")
    paid_in_quarter = money()
    paid_to_date = money("Paid up to the quarter's end")
    held = money("Still held for the project now")
    completed_on = ma.fields.Date(allow_none=True, metadata={
        "description": "When the project completed, if by the quarter's end"})


class PublicProjectFundSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    share = money("This fund's share of the grant")
    share_percent = ma.fields.String(metadata={"example": "58.33"})
    paid_in_quarter = money()
    paid_to_date = money()


class PublicNeedsServedSchema(ma.Schema):
    category = ma.fields.String(metadata={"example": "elderly_in_difficulty"})
    category_name = ma.fields.String(metadata={"example": "特殊困难老人"})
    urgency = ma.fields.String(metadata={"enum": ["crisis", "priority", "routine"]})
    urgency_name = ma.fields.String(metadata={"example": "危机"})
    needs = ma.fields.Integer()
    people = ma.fields.Integer()


class PublicProjectReportSchema(ma.Schema):
    quarter = ma.fields.String(metadata={"example": "2026-Q4"})
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")
    project = ma.fields.Nested(PublicProjectSchema)
    grant = ma.fields.Nested(PublicGrantSchema)
    funds = ma.fields.List(ma.fields.Nested(PublicProjectFundSchema))
    people = ma.fields.Integer(metadata={"description": "People the project serves"})
    people_served = ma.fields.Integer(metadata={
        "description": "People served: the project's people once it completed by the "
                       "quarter's end, else 0"})
    needs = ma.fields.List(ma.fields.Nested(PublicNeedsServedSchema))


class PublicRestrictionSchema(ma.Schema):
    categories = ma.fields.List(ma.fields.String())
    area_codes = ma.fields.List(ma.fields.String())
    valid_from = ma.fields.Date(allow_none=True)
    valid_to = ma.fields.Date(allow_none=True)


class PublicDonationsSchema(ma.Schema):
    count = ma.fields.Integer(metadata={"description": "Gifts received in the year"})
    total = money("Their total (refunds are shown apart)")


class PublicTopDonorSchema(ma.Schema):
    name = ma.fields.String(metadata={
        "description": "张* for a person, an organisation's name in full, 匿名 if anonymous",
        "example": "张*"})
    kind = ma.fields.String(metadata={
        "enum": ["individual", "enterprise", "foundation", "platform", "government"]})
    donations = ma.fields.Integer()
    amount = money("Given in the year, net of refunds")


class PublicProjectPaidSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    organisation = ma.fields.String()
    amount = money("Paid from this fund in the year")


class PublicCounterpartSchema(ma.Schema):
    fund = ma.fields.String()
    fund_name = ma.fields.String()
    pool = ma.fields.String()
    allocated_in = money()
    allocated_out = money()


class PublicYearCurrencySchema(ma.Schema):
    currency = ma.fields.String()
    opening = money("Bank, platform clearing and gifts in kind on 1 January")
    donations = ma.fields.Nested(PublicDonationsSchema)
    refunds = money()
    grants_paid = money()
    allocated_in = money()
    allocated_out = money()
    other = money("Anything else that moved the money (adjustments, reversals)")
    closing = money("opening + donations − refunds − grants paid + in − out + other")
    held = ma.fields.String(allow_none=True, metadata={
        **MONEY, "description": "Held now for approved grants; null for a past year"})
    largest_donors = ma.fields.List(ma.fields.Nested(PublicTopDonorSchema))
    projects = ma.fields.List(ma.fields.Nested(PublicProjectPaidSchema))
    allocations = ma.fields.List(ma.fields.Nested(PublicCounterpartSchema))


class PublicFundReportSchema(ma.Schema):
    fund = ma.fields.Nested(PublicFundRefSchema)
    restriction = ma.fields.Nested(PublicRestrictionSchema)
    year = ma.fields.Integer()
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to", metadata={
        "description": "31 December, or today for the year in progress"})
    currencies = ma.fields.List(ma.fields.Nested(PublicYearCurrencySchema))


class PublicProjectItemSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "The proposal's id, for its reports"})
    title = ma.fields.String()
    organisation = ma.fields.String()
    pool = ma.fields.Nested(PublicPoolRefSchema)
    status = ma.fields.String(metadata={"description": "The proposal's status now"})
    grant_status = ma.fields.String(metadata={"enum": ["approved", "completed", "cancelled"]})
    approved = money("The grant approved")
    people = ma.fields.Integer()


class PublicPageArgsSchema(PageArgsSchema):
    """``?limit=&cursor=`` of the public lists."""


PublicFundPageSchema = page_schema(PublicFundRefSchema, "PublicFundPageSchema")
PublicProjectPageSchema = page_schema(PublicProjectItemSchema, "PublicProjectPageSchema")
