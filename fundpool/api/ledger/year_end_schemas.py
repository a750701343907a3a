"""Request and response shapes of the year-end close; amounts as decimal strings."""

from __future__ import annotations

import marshmallow as ma

from fundpool.api.ledger.schemas import money
from fundpool.ledger.year_end import FIRST_YEAR, LAST_YEAR


class CloseYearSchema(ma.Schema):
    year = ma.fields.Integer(required=True, strict=True,
                             validate=ma.validate.Range(FIRST_YEAR, LAST_YEAR),
                             metadata={"example": 2025,
                                       "description": "A calendar year that is over (China time)"})


class YearEndTotalSchema(ma.Schema):
    currency = ma.fields.String(metadata={"example": "CNY"})
    income_unrestricted = money("income_unrestricted")
    income_restricted = money("income_restricted")
    expenses = money("expenses")
    unrestricted_change = money("unrestricted_change")
    restricted_change = money("restricted_change")


class YearEndSchema(ma.Schema):
    year = ma.fields.Integer(metadata={"example": 2025})
    closed_at = ma.fields.DateTime()
    closed_by = ma.fields.String()
    entries = ma.fields.Integer(metadata={
        "description": "Closing entries posted (kind closing, dated 31 December): one per "
                       "fund and currency with income or costs"})
    totals = ma.fields.List(ma.fields.Nested(YearEndTotalSchema), metadata={
        "description": "Per currency, summed over every fund: income closed (unrestricted: "
                       "410101 + 4901; restricted: 410102), costs closed (5101 + 5201), and "
                       "what 非限定性净资产 3101 and 限定性净资产 3102 gained"})
