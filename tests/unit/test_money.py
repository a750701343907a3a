"""Money: decimal strings in, minor units inside, never a float."""

from datetime import date, datetime, timezone

import pytest

from fundpool.errors import InvalidInput
from fundpool.ledger.hashing import canonical_entry, chain_step, entry_hash
from fundpool.ledger.money import MAX_MINOR, format_amount, parse_amount
from fundpool.ledger.values import Line, NewEntry, Side, imbalance


@pytest.mark.parametrize("text, currency, minor", [
    ("1000.00", "CNY", 100_000), ("0.01", "CNY", 1), ("12.3", "HKD", 1_230),
    ("7", "USD", 700), ("5000", "JPY", 5_000), ("999999999999.99", "CNY", MAX_MINOR),
])
def test_parse_amount(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize("value, currency, says", [
    (100, "CNY", "not JSON numbers"), (0.1, "CNY", "not JSON numbers"),
    ("0.001", "CNY", "2 decimal places"), ("1.5", "JPY", "0 decimal places"),
    ("-1.00", "CNY", "not a positive decimal"), ("0", "CNY", "greater than zero"),
    ("1,000.00", "CNY", "not a positive decimal"), ("1000000000000.00", "CNY", "maximum"),
    ("1.00", "EUR", "currency must be one of"),
])
def test_parse_amount_refuses(value, currency, says):
    with pytest.raises(InvalidInput, match=says):
        parse_amount(value, currency)


@pytest.mark.parametrize("minor, currency, text", [
    (100_000, "CNY", "1000.00"), (5, "CNY", "0.05"), (-150, "USD", "-1.50"), (0, "CNY", "0.00"),
    (5_000, "JPY", "5000"),
])
def test_format_amount(minor, currency, text):
    assert format_amount(minor, currency) == text


def test_an_entry_needs_two_positive_postings_and_a_known_kind():
    lines = (Line("a", Side.DEBIT, 1), Line("b", Side.CREDIT, 1))
    with pytest.raises(InvalidInput, match="two postings"):
        NewEntry("donation", date(2026, 1, 1), lines[:1])
    with pytest.raises(InvalidInput, match="kind must be one of"):
        NewEntry("gift", date(2026, 1, 1), lines)
    with pytest.raises(InvalidInput, match="greater than zero") as caught:
        NewEntry("donation", date(2026, 1, 1), (Line("a", Side.DEBIT, 0), lines[1]))
    assert caught.value.field == "postings.0.amount"


def test_imbalance_is_per_currency():
    lines = (Line("cny", Side.DEBIT, 100), Line("hkd", Side.CREDIT, 100))
    assert imbalance(lines, {"cny": "CNY", "hkd": "HKD"}.get) == {"CNY": 100, "HKD": -100}
    assert imbalance(lines, {"cny": "CNY", "hkd": "CNY"}.get) == {}


def test_hashes_change_with_any_field_and_chains_with_order():
    base = dict(entry_id=1, effective_date=date(2026, 11, 1),
                recorded_at=datetime(2026, 11, 1, tzinfo=timezone.utc), kind="donation", memo="", external_ref=None,
                metadata={}, actor="a", reverses_id=None, hold_id=None,
                postings=[("x", "debit", 1, "CNY", 1), ("y", "credit", 1, "CNY", 1)])
    digest = entry_hash(canonical_entry(**base))
    assert digest == entry_hash(canonical_entry(**base))
    for change in ({"memo": "m"}, {"kind": "grant"}, {"postings": [
            ("x", "debit", 2, "CNY", 1), ("y", "credit", 2, "CNY", 1)]}):
        assert entry_hash(canonical_entry(**{**base, **change})) != digest
    one = chain_step(chain_step("0" * 64, "a", 1), "b", 2)
    assert one != chain_step(chain_step("0" * 64, "b", 1), "a", 2)
