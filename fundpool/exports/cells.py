"""Cell values that a spreadsheet will show as text and never run as a formula.

Excel, LibreOffice and Numbers treat a cell whose text begins with ``=``, ``+``,
``-`` or ``@`` (and, after a tab or carriage return, the same) as a formula: a
donor who names itself ``=HYPERLINK(...)`` would otherwise put a live link or
a DDE command into an auditor's spreadsheet (CSV or formula injection). Every
text cell of an export goes through :func:`neutralise`, which puts a single
quote in front of such a value so it stays text. Numbers, dates and ``None``
pass through untouched.

The rule is deliberately blunt: any text starting with one of those characters
is prefixed, including a negative amount written as text (``"-5.00"`` becomes
``"'-5.00"``). Exports that need signed amounts should write them as numbers,
or decide on an exemption here, for every export at once.
"""

from __future__ import annotations

#: A text cell starting with one of these is read as a formula by some spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What goes in front of such a cell: spreadsheets show the rest as plain text.
TEXT_PREFIX = "'"


def neutralise(value: object) -> object:
    """The value as a spreadsheet should show it: text that cannot start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return TEXT_PREFIX + value
    return value
