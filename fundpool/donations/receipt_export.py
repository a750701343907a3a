"""A pool's register of receipts (公益事业捐赠票据) for one year, row by row, for export.

One row per receipt the pool issued in the calendar year (China time), voided
ones included, in 票据代码 then 票据号码 order. A refund voids a receipt and
issues a new one for what remains, so a partly refunded donation shows twice:
its void receipt with the reason, and its replacement.

The rows come from one query read in batches (a server-side cursor on
PostgreSQL), so a year of a busy pool never sits in memory; the caller writes
them out as they come (see :mod:`fundpool.exports.writers`). Values are text
except the donation id: amounts as decimal strings in the currency's exponent,
dates as ``YYYY-MM-DD`` in China time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.donations.models import Donation, Donor, Receipt, ReceiptBook
from fundpool.donations.receipts import issued_by_pool_in
from fundpool.funds.models import Fund
from fundpool.ledger.money import format_amount
from fundpool.ledger.posting import LEDGER_TZ

#: The header row: Chinese, then after " / " the English name (the JSON field name where
#: the API has one), so a person reads the first half and a script can split on " / ".
COLUMNS = (
    ("票据代码", "code"),
    ("票据号码", "number"),
    ("状态", "status"),
    ("开票日期", "issued_on"),
    ("作废日期", "voided_on"),
    ("捐赠人", "donor"),
    ("证件号码", "donor_id_number"),
    ("金额", "amount"),
    ("币种", "currency"),
    ("基金代码", "fund"),
    ("基金名称", "fund_name"),
    ("捐赠编号", "donation_id"),
    ("作废原因", "void_reason"),
)
HEADER = tuple(f"{zh} / {en}" for zh, en in COLUMNS)
#: Rows fetched from the database at a time.
BATCH_ROWS = 1000


def receipt_rows(session: Session, pool_id: int, year: int, *,
                 show_id_number: Callable[[str | None], str | None]) -> Iterator[tuple]:
    """The export's rows, one per receipt, shaped as ``COLUMNS``.

    ``show_id_number`` renders a donor's identity number for this reader: the
    API passes its masking rule (whole numbers for auditors only). The donor's
    name is the display name, so anonymous donors stay anonymous.
    """
    stmt = (select(ReceiptBook.code, Receipt.number, Receipt.issued_at, Receipt.voided_at,
                   Receipt.void_reason, Receipt.amount, Receipt.currency, Receipt.donation_id,
                   Donor, Fund.code, Fund.name)
            .select_from(Receipt).join(Receipt.book).join(Receipt.donation)
            .join(Donation.donor).join(Donation.fund)
            .where(*issued_by_pool_in(pool_id, year))
            .order_by(ReceiptBook.code, Receipt.number)
            .execution_options(yield_per=BATCH_ROWS))
    for (book_code, number, issued_at, voided_at, void_reason, amount, currency, donation_id,
         donor, fund_code, fund_name) in session.execute(stmt):
        yield (book_code, f"{number:010d}", "void" if voided_at else "issued",
               _china_day(issued_at), _china_day(voided_at), donor.display_name,
               show_id_number(donor.id_number), format_amount(amount, currency), currency,
               fund_code, fund_name, donation_id, void_reason)


def _china_day(moment) -> str | None:
    return moment.astimezone(LEDGER_TZ).date().isoformat() if moment is not None else None
