"""Language and formats of the console: zh-CN by default, English on request.

The chosen language is kept in the session (``?lang=en`` or the switch in the header).
Money is shown as ``¥1,234.56`` from exact minor units (never through a float); times in
Asia/Shanghai, as the ledger's calendar is.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from flask import Flask, request, session
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    get_locale,
    gettext,
    ngettext,
)
from markupsafe import Markup, escape

from fundpool.audit.amounts import Amount, with_amounts
from fundpool.donations.models import ANONYMOUS_DONOR
from fundpool.ledger.money import format_amount

CATALOGUES = Path(__file__).parent / "translations"
LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT = "zh_CN"
SYMBOLS = {"CNY": "¥", "HKD": "HK$", "USD": "US$"}


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(CATALOGUES)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(_=escaped_gettext, gettext=escaped_gettext,
                                 ngettext=escaped_ngettext)
    app.jinja_env.filters.update(money=money, day=day, moment=moment, problem=problem_text,
                                 party=party, details=details)
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=current_language)


def escaped_gettext(message: str, **variables) -> Markup:
    """Templates' ``_()``: the translation is escaped as well as the variables. Jinja's own
    gettext trusts the translated text as HTML, so an error message holding what someone
    typed (``_(error.message)``) would be markup; and it formats ``%`` even without
    variables, so a message holding ``%(x)s`` would fail."""
    text = escape(gettext(message))
    return text % variables if variables else text


def problem_text(error) -> str:
    """A core error in the page's language: its template translated, then its values filled
    in (``FundpoolError``); anything else as gettext has it. Escaped by Jinja on output."""
    template = getattr(error, "template", None) or getattr(error, "message", str(error))
    params = getattr(error, "params", None) or {}
    translated = gettext(template)
    if not params:
        return translated
    try:
        return translated.format(**params)
    except (KeyError, IndexError, ValueError):
        return error.message


def escaped_ngettext(singular: str, plural: str, num: int, **variables) -> Markup:
    variables.setdefault("num", num)
    return escape(ngettext(singular, plural, num)) % variables


def select_locale() -> str:
    remember_language()
    return session.get("lang", DEFAULT)


def remember_language() -> None:
    """Keep ``?lang=`` in the session. Run before every page, not only when a page first
    translates something: a page that redirects at once (a foundation's dashboard, a page
    before sign-in) would otherwise drop the choice on its way."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked


def current_language() -> str:
    return "en" if str(get_locale()).startswith("en") else DEFAULT


def money(minor: int | None, currency: str = "CNY") -> str:
    """``¥1,234.56`` from minor units; ``-¥5.00`` for a negative amount."""
    if minor is None:
        return "—"
    text = format_amount(abs(minor), currency)
    whole, _, fraction = text.partition(".")
    grouped = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    symbol = SYMBOLS.get(currency, currency + " ")
    return f"{'-' if minor < 0 else ''}{symbol}{grouped}"


def details(values: dict | None, currency: str = "CNY") -> str:
    """An audit event's details as JSON with its amounts as money: the event keeps integer
    fen (``amount=10000``), which an auditor would misread; which details are money, and
    their currency, is ``fundpool.audit.amounts``'s to say."""
    return json.dumps(with_amounts(values or {}, currency), ensure_ascii=False, sort_keys=True,
                      default=_as_money)


def _as_money(value: object) -> str:
    if isinstance(value, Amount):
        return money(value.minor, value.currency)
    raise TypeError(f"{type(value).__name__} is not JSON")


def party(name: str) -> str:
    """A donor or counterparty as the core names it, in the page's language: the core calls
    every anonymous donor 匿名捐赠人, which is no name to show on an English page."""
    return gettext("Anonymous donor") if name == ANONYMOUS_DONOR else name


def day(value: date | None) -> str:
    return format_date(value, "yyyy-MM-dd") if value else "—"


def moment(value: datetime | None) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else "—"
