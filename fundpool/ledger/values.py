"""Frozen values for what is asked of the ledger; a new entry is checked as it is built."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Callable
from enum import Enum

from fundpool.errors import InvalidInput
from fundpool.ledger.money import check_minor


class Side(str, Enum):
    DEBIT = "debit"
    CREDIT = "credit"

    @property
    def opposite(self) -> Side:
        return Side.CREDIT if self is Side.DEBIT else Side.DEBIT


KINDS = ("donation", "allocation", "return", "grant", "disbursement", "refund", "reversal",
         "adjustment", "opening", "closing", "hold_commit")
MAX_METADATA_KEYS = 20


@dataclass(frozen=True, slots=True)
class Line:
    """One posting asked for: an account (by code), a side, an amount in minor units."""

    account_code: str
    side: Side
    amount: int


@dataclass(frozen=True, slots=True)
class NewEntry:
    kind: str
    effective_date: date
    lines: tuple[Line, ...]
    memo: str = ""
    external_ref: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}", "kind")
        if len(self.lines) < 2:
            raise InvalidInput("an entry has two postings or more", "postings")
        for index, line in enumerate(self.lines):
            check_minor(line.amount, f"postings.{index}.amount")
        if len(self.metadata) > MAX_METADATA_KEYS or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.metadata.items()):
            raise InvalidInput(f"metadata is at most {MAX_METADATA_KEYS} text values", "metadata")


def imbalance(lines: tuple[Line, ...], currency_of: Callable[[str], str]) -> dict[str, int]:
    """Debits minus credits per currency; an entry balances when this is empty."""
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[currency_of(line.account_code)] += line.amount if line.side is Side.DEBIT \
            else -line.amount
    return {currency: total for currency, total in totals.items() if total}
