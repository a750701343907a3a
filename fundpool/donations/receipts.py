"""Official receipt numbers (公益事业捐赠票据): registered books, taken in order, never reused.

The numbers are issued by the finance authority; fundpool only hands them out.
Taking a number locks the pool's book row, so under any concurrency the numbers
go out in order with no gap and no duplicate: a transaction that fails gives its
number back with everything else it did.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, column, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from fundpool.audit.log import Actor, record
from fundpool.db import utcnow
from fundpool.donations.models import Receipt, ReceiptBook
from fundpool.errors import Conflict, InvalidInput
from fundpool.ledger.posting import LEDGER_TZ
from fundpool.paging import Page, keyset_page
from fundpool.pools.models import Pool

#: When a book has this few numbers left, each receipt taken from it says so.
LOW_WATER = 20
log = logging.getLogger("fundpool.receipts")

_BOOKS = ReceiptBook.__table__
_OPEN_BOOK = (select(_BOOKS.c.id)
              .where(_BOOKS.c.pool_id == bindparam("book_pool"),
                     _BOOKS.c.next_number <= _BOOKS.c.last_number)
              .order_by(_BOOKS.c.id).limit(1).with_for_update().scalar_subquery())
#: The outer condition repeats the inner one so that a number past the book's end can
#: never be taken, whatever the subquery saw. A plain UPDATE … RETURNING whose row the ORM
#: loads as the book (``from_statement``): the ORM's own UPDATE adds only cost here.
_TAKE = (select(ReceiptBook)
         .from_statement(update(_BOOKS)
                         .where(_BOOKS.c.id == _OPEN_BOOK,
                                _BOOKS.c.next_number <= _BOOKS.c.last_number)
                         .values(next_number=_BOOKS.c.next_number + 1)
                         .returning(*_BOOKS.c))
         .execution_options(populate_existing=True))

_RECEIPTS = Receipt.__table__
_BOOK_COLUMNS = ", ".join(c.name for c in _BOOKS.c)
_RECEIPT_ID = column("receipt_id", _RECEIPTS.c.id.type)
#: PostgreSQL takes the number and writes the receipt in one statement: the same UPDATE of
#: the book under its row lock, the receipt inserted from the row it returns.
_TAKE_AND_ISSUE = (select(ReceiptBook, _RECEIPT_ID)
                   .from_statement(text(
                       "WITH b AS (UPDATE receipt_books SET next_number = next_number + 1"
                       " WHERE id = (SELECT id FROM receipt_books WHERE pool_id = :book_pool"
                       " AND next_number <= last_number ORDER BY id LIMIT 1 FOR UPDATE)"
                       f" AND next_number <= last_number RETURNING {_BOOK_COLUMNS}),"
                       " r AS (INSERT INTO receipts"
                       " (book_id, number, donation_id, amount, currency, issued_at)"
                       " SELECT id, next_number - 1, :donation_id, :amount, :currency,"
                       " :issued_at FROM b RETURNING id)"
                       f" SELECT {', '.join(f'b.{c.name}' for c in _BOOKS.c)},"
                       " r.id AS receipt_id FROM b, r")
                       .bindparams(bindparam("book_pool", type_=_BOOKS.c.pool_id.type),
                                   bindparam("donation_id", type_=_RECEIPTS.c.donation_id.type),
                                   bindparam("amount", type_=_RECEIPTS.c.amount.type),
                                   bindparam("currency", type_=_RECEIPTS.c.currency.type),
                                   bindparam("issued_at", type_=_RECEIPTS.c.issued_at.type))
                       .columns(*_BOOKS.c, _RECEIPT_ID))
                   .execution_options(populate_existing=True))


def register_book(session: Session, actor: Actor, pool: Pool, code: str, first: str,
                  last: str) -> ReceiptBook:
    if not re.fullmatch(r"\d{8}", code):
        raise InvalidInput("a 票据代码 is 8 digits", "code")
    for value, field in ((first, "first_number"), (last, "last_number")):
        if not re.fullmatch(r"\d{10}", value):
            raise InvalidInput("a 票据号码 is 10 digits", field)
    if int(first) > int(last):
        raise InvalidInput("the range ends before it starts", "last_number")
    _registering(session, code)
    overlapping = session.scalar(select(ReceiptBook.id).where(
        ReceiptBook.code == code, ReceiptBook.first_number <= int(last),
        ReceiptBook.last_number >= int(first)))
    if overlapping is not None:
        raise Conflict("numbers {first}–{last} of {code} overlap a book already registered",
                       "first_number", first=first, last=last, code=code)
    book = ReceiptBook(pool_id=pool.id, code=code, first_number=int(first),
                       last_number=int(last), next_number=int(first))
    session.add(book)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"book {code} from {first} is already registered", "first_number") from None
    record(session, actor, "receipt_book.register", "receipt_book", book.id, code=code,
           first=first, last=last, pool_code=pool.code)
    return book


def _registering(session: Session, code: str) -> None:
    """Registrations of one 票据代码 take turns until their commit (an advisory lock on
    PostgreSQL; SQLite has a single writer anyway). Otherwise two overlapping books
    registered at once would each find no overlap in the other's uncommitted row, both
    be kept, and the same official number could be issued twice."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                        {"key": f"fundpool.receipt_book:{code}"})


def take_receipt(session: Session, pool_id: int, donation_id: int, amount: int,
                 currency: str) -> tuple[Receipt, str | None]:
    """The next number of the pool's oldest open book; returns a warning when it runs low.

    One statement locks the book (``FOR UPDATE`` in the subquery, as a plain select of it
    would) and moves its next number on, returning the book as it now is: the number taken
    is the one before. On PostgreSQL the same statement inserts the receipt; elsewhere the
    receipt row goes out with the transaction's next flush."""
    issued_at = utcnow()
    receipt_id = None
    if session.get_bind().dialect.name == "postgresql":
        found = session.execute(_TAKE_AND_ISSUE, {
            "book_pool": pool_id, "donation_id": donation_id, "amount": amount,
            "currency": currency, "issued_at": issued_at}).first()
        book, receipt_id = found if found is not None else (None, None)
    else:
        book = session.scalar(_TAKE, {"book_pool": pool_id})
    if book is None:
        raise Conflict("this pool has no receipt numbers left; register the next receipt book "
                       "drawn from the finance authority", "issue_receipt")
    receipt = Receipt(id=receipt_id, book_id=book.id, number=book.next_number - 1,
                      donation_id=donation_id, amount=amount, currency=currency,
                      issued_at=issued_at, voided_at=None, void_reason=None)
    if receipt_id is not None:  # written already: the session holds it as read
        make_transient_to_detached(receipt)
    set_committed_value(receipt, "book", book)
    session.add(receipt)
    warning = None
    if book.remaining <= LOW_WATER:
        warning = (f"receipt book {book.code} has {book.remaining} numbers left; register the "
                   "next book soon")
        log.warning(warning)
    return receipt, warning


def void_receipt(session: Session, receipt: Receipt, reason: str) -> None:
    receipt.voided_at, receipt.void_reason = utcnow(), reason


def issued_by_pool_in(pool_id: int, year: int) -> tuple[ColumnElement[bool], ...]:
    """Conditions for a pool's receipts issued in a calendar year (China time), voided ones
    included; the query must join Receipt.book."""
    start = datetime(year, 1, 1, tzinfo=LEDGER_TZ)
    end = datetime(year + 1, 1, 1, tzinfo=LEDGER_TZ)
    return (ReceiptBook.pool_id == pool_id, Receipt.issued_at >= start, Receipt.issued_at < end)


def list_receipts(session: Session, pool_id: int, year: int, after: int | None,
                  limit: int) -> Page:
    """Receipts a pool issued in a calendar year (China time), voided ones included."""
    stmt = select(Receipt).join(Receipt.book).where(*issued_by_pool_in(pool_id, year))
    return keyset_page(session, stmt, Receipt.id, after, limit)


def list_books(session: Session, pool_id: int) -> list[ReceiptBook]:
    return list(session.scalars(select(ReceiptBook).where(ReceiptBook.pool_id == pool_id)
                                .order_by(ReceiptBook.id)))
