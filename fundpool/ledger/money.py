"""Exact money: integer minor units inside, decimal strings outside.

Amounts never pass through floats. A currency's exponent (ISO 4217) fixes how
many decimals its strings carry: "1000.00" CNY is 100000 fen; JPY has none.
"""

from __future__ import annotations

import re

from fundpool.errors import InvalidInput

EXPONENTS = {"CNY": 2, "HKD": 2, "USD": 2, "JPY": 0}
#: The largest amount one posting may carry, in minor units (a stated limit, ~10^12 yuan).
MAX_MINOR = 99_999_999_999_999
#: ASCII digits only (Python's ``\d`` would take full-width and other scripts' digits too).
_DECIMAL = re.compile(r"([0-9]{1,15})(?:\.([0-9]+))?")


def check_currency(currency: str, field: str = "currency") -> str:
    if currency not in EXPONENTS:
        raise InvalidInput(f"currency must be one of {', '.join(EXPONENTS)}, got {currency!r}",
                           field)
    return currency


def parse_amount(text: object, currency: str, field: str = "amount", *,
                 zero_ok: bool = False) -> int:
    """A positive decimal string in the currency's exponent, as minor units. ``zero_ok``:
    zero too, for the one amount that may be nothing (a hold leg committed as 0 is
    released while another leg of the same hold is paid)."""
    check_currency(currency)
    exponent = EXPONENTS[currency]
    if not isinstance(text, str):
        raise InvalidInput('amounts are decimal strings such as "{example}", not JSON numbers',
                           field, example="1000." + "0" * exponent)
    match = _DECIMAL.fullmatch(text)
    if not match:
        raise InvalidInput("{text!r} is not a positive decimal amount", field, text=text)
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > exponent:
        raise InvalidInput("{currency} amounts have {places} decimal places at most; got "
                           "{text!r}", field, currency=currency, places=exponent, text=text)
    minor = int(whole) * 10 ** exponent + int(fraction.ljust(exponent, "0") or 0)
    return 0 if zero_ok and minor == 0 else check_minor(minor, field)


def check_minor(minor: int, field: str = "amount") -> int:
    if minor <= 0:
        raise InvalidInput("amounts must be greater than zero", field)
    if minor > MAX_MINOR:
        raise InvalidInput("amount exceeds the maximum of {limit} minor units", field,
                           limit=MAX_MINOR)
    return minor


def format_amount(minor: int, currency: str) -> str:
    """Minor units as a decimal string in the currency's exponent; negatives keep their sign."""
    exponent = EXPONENTS[currency]
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10 ** exponent)
    return f"{sign}{whole}.{fraction:0{exponent}d}" if exponent else f"{sign}{whole}"
