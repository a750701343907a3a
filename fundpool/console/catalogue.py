"""Keeping the Chinese catalogue in step with the console's source.

``python -m fundpool.console.catalogue`` extracts every marked string from the console's
templates and modules, adds new ones to ``translations/zh_Hans_CN/LC_MESSAGES/messages.po``
(untranslated), drops ones no longer used, keeps every existing translation, and compiles
``messages.mo``; English gets a small catalogue of the data codes shown as words
(``bank_transfer`` → "Bank transfer"). A test fails if a catalogue is behind the source, has
an untranslated entry, or its compiled file is stale.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
PO = HERE / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
#: English needs a catalogue only for the data codes shown as words (``bank_transfer``).
EN_PO = HERE / "translations" / "en" / "LC_MESSAGES" / "messages.po"
EN_MO = EN_PO.with_suffix(".mo")
CODE = re.compile(r"^[a-z][a-z_]*$")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "N_": None,
            "lazy_gettext": None}
METHODS = [("fundpool/console/**.py", "python"), ("fundpool/console/templates/**.html", "jinja2")]


#: The core's errors whose message may be a template with values (``errors.FundpoolError``):
#: their templates are translated too, so details do not leave a sentence in English.
ERRORS = {name: None for name in ("InvalidInput", "NotFound", "Conflict", "Forbidden",
                                  "Unauthenticated", "InsufficientFunds", "PeriodClosed",
                                  "TooManyRequests", "Busy")}
CORE = [("**.py", "python")]


def source_messages() -> set[str]:
    found = extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS, strip_comment_tags=True,
                             directory_filter=lambda path: "translations" not in path)
    messages = {message if isinstance(message, str) else message[0]
                for _file, _line, message, _comments, _context in found}
    return messages | core_templates()


def core_templates() -> set[str]:
    """The templates of the core's errors: first arguments holding a ``{value}``."""
    with contextlib.redirect_stderr(io.StringIO()):  # Babel warns of every f-string
        found = list(extract_from_dir(str(ROOT / "fundpool"), CORE, keywords=ERRORS,
                                      strip_comment_tags=True))
    return {message for _file, _line, message, _comments, _context in found
            if isinstance(message, str) and "{" in message}


def load(path: Path = PO) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale="en" if path == EN_PO else "zh_CN")


def code_words(wanted: set[str]) -> list[str]:
    return sorted(message_id for message_id in wanted if CODE.match(message_id))


def humanised(code: str) -> str:
    """The English word for a data code, first guess: ``bank_transfer`` → ``Bank transfer``."""
    return code.replace("_", " ").capitalize()


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def update() -> list[str]:
    """Bring the catalogue up to date; return the messages still untranslated."""
    catalog = load() if PO.exists() else Catalog(locale="zh_CN", project="fundpool")
    wanted = source_messages()
    for message_id in sorted(wanted):
        if message_id not in catalog:
            catalog.add(message_id, "")
    for message in list(catalog):
        if message.id and message.id not in wanted:
            catalog.delete(message.id)
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, omit_header=False, no_location=True,
                 width=100)
    MO.write_bytes(compiled(load()))
    _update_english(wanted)
    return [message.id for message in load() if message.id and not message.string]


def _update_english(wanted: set[str]) -> None:
    """Codes get their English word (kept if someone improved it); nothing else is listed."""
    catalog = load(EN_PO) if EN_PO.exists() else Catalog(locale="en", project="fundpool")
    codes = code_words(wanted)
    for code in codes:
        if code not in catalog:
            catalog.add(code, humanised(code))
    for message in list(catalog):
        if message.id and message.id not in codes:
            catalog.delete(message.id)
    EN_PO.parent.mkdir(parents=True, exist_ok=True)
    with EN_PO.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, no_location=True, width=100)
    EN_MO.write_bytes(compiled(load(EN_PO)))


if __name__ == "__main__":
    missing = update()
    print(f"{PO}: {len(missing)} untranslated")
    for message_id in missing:
        print(f"  {message_id}")
