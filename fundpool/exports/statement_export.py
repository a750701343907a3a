"""A fund's statement as rows for a download (CSV or XLSX through fundpool.exports.writers).

Shared by the API's statement download and the console's foundation pages, so both files
read the same. No Flask here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from fundpool.ledger.money import format_amount
from fundpool.reports.statements import FundStatement

STATEMENT_HEADER = ("日期 / date", "币种 / currency", "类型 / kind", "对方 / counterparty",
                    "摘要 / memo", "收入 / in", "支出 / out", "余额 / balance", "分录 / entry")


def statement_rows(report: FundStatement, today: date) -> Iterator[tuple]:
    """Money in and out in columns of their own, so no cell starts with a minus sign (which a
    spreadsheet would read as a formula, and the writers neutralise); 1002 never goes below
    zero, so neither does the balance. ``today`` dates the line of what is held now."""
    for part in report.currencies:
        c = part.currency
        yield (report.date_from.isoformat(), c, "期初余额 / opening balance", None, None, None,
               None, format_amount(part.opening, c), None)
        for m in part.movements:
            money_in = format_amount(m.amount, c) if m.amount > 0 else None
            money_out = format_amount(-m.amount, c) if m.amount < 0 else None
            yield (m.date.isoformat(), c, m.kind, m.counterparty, m.memo, money_in, money_out,
                   format_amount(m.balance, c), m.entry_id)
        yield (report.date_to.isoformat(), c, "期末余额 / closing balance", None, None, None,
               None, format_amount(part.closing, c), None)
        yield (today.isoformat(), c, "冻结金额 / held now", None, None, None, None,
               format_amount(part.held, c), None)
