"""What the matching pages (needs, reserve pool, runs, grants) share: who may read them, how
their filters are read, how core errors become a status, and the words they show.

The pages themselves are in ``needs``, ``proposals``, ``runs`` and ``grants``; every rule
they apply is a core one (``fundpool.auth.principal``, ``fundpool.matching``).
"""

from __future__ import annotations

from flask import request, url_for
from flask_babel import lazy_gettext as N_

from fundpool.api.ledger.scope import requested_range
from fundpool.api.problems import DOMAIN_STATUS
from fundpool.api.requests import db_session
from fundpool.auth.principal import Principal, require_role
from fundpool.console.blueprint import bp
from fundpool.console.i18n import current_language
from fundpool.console.signin import viewer
from fundpool.errors import FundpoolError, InvalidInput
from fundpool.funds.models import CATEGORIES
from fundpool.ledger.queries import CodeRange
from fundpool.matching import approval
from fundpool.matching.reasons import CATEGORY_NAMES, URGENCY_NAMES, rendered
from fundpool.pools.service import list_pools

PAGE_SIZE = 50
POOLS_SUGGESTED = 2000

#: Status names of needs, proposals, runs and matches, and run triggers (codes → labels).
STATUS_LABELS = {
    "open": N_("open"), "matched": N_("matched"), "served": N_("served"), "closed": N_("closed"),
    "draft": N_("draft"), "submitted": N_("submitted"), "in_reserve": N_("in reserve"),
    "rejected": N_("rejected"), "funded": N_("funded"), "completed": N_("completed"),
    "withdrawn": N_("withdrawn"), "expired": N_("expired"),
    "running": N_("running"), "done": N_("done"), "failed": N_("failed"),
    "proposed": N_("proposed"), "approved": N_("approved"), "superseded": N_("superseded"),
    "cancelled": N_("cancelled"), "schedule": N_("schedule"), "person": N_("person"),
    "exact": N_("exact"), "heuristic": N_("heuristic"),
}


def reader() -> Principal:
    """Admins and auditors read needs, proposals, runs and grants (as over the API)."""
    who = viewer()
    require_role(who, "admin", "auditor")
    return who


def decider(match_id: int) -> Principal:
    """The signed-in admin, once shown to hold every pool the match involves (else 403)."""
    who = viewer()
    approval.require_decider(who, approval.get_match(db_session(), match_id))
    return who


def status_of(error: FundpoolError) -> int:
    return next(code for kind, (code, _) in DOMAIN_STATUS.items() if isinstance(error, kind))


def choice(name: str, allowed: tuple[str, ...]) -> str | None:
    """A filter chosen from a fixed list (blank: any); anything else is bad input."""
    value = request.args.get(name) or None
    if value is not None and value not in allowed:
        raise InvalidInput(f"{name} must be one of {', '.join(allowed)}, got {value!r}", name)
    return value


def whole(name: str) -> int | None:
    """A page key from the query string (blank: the first page)."""
    value = request.args.get(name) or None
    if value is not None and (not value.isdigit() or len(value) > 18):
        raise InvalidInput(f"{name} must be a whole number", name)
    return int(value) if value is not None else None


def within(who: Principal, name: str = "within") -> CodeRange | None:
    """The pool subtree asked for, checked against what ``who`` reads (the API's rule)."""
    return requested_range(db_session(), who, request.args.get(name, "").strip() or None)


def category_choice() -> str | None:
    return choice("category", CATEGORIES)


def _language() -> str:
    return "en" if current_language() == "en" else "zh-CN"


@bp.app_template_filter("category_label")
@bp.app_template_global("category_label")
def category_label(code: str) -> str:
    names = CATEGORY_NAMES.get(code)
    return names[_language() == "en"] if names else code


@bp.app_template_filter("urgency_label")
@bp.app_template_global("urgency_label")
def urgency_label(code: str) -> str:
    names = URGENCY_NAMES.get(code)
    return names[_language() == "en"] if names else code


@bp.app_template_filter("status_label")
@bp.app_template_global("status_label")
def status_label(code: str | None) -> str:
    return str(STATUS_LABELS.get(code, code)) if code else "—"


@bp.app_template_filter("reason_texts")
def reason_texts(stored: list[dict]) -> list[str]:
    """Stored reasons as sentences in the page's language (the API's own rendering)."""
    return [reason["text"] for reason in rendered(stored, _language())]


@bp.app_template_filter("pool_label")
def pool_label(pool) -> str:
    if _language() == "en" and getattr(pool, "name_en", None):
        return pool.name_en
    return pool.name


@bp.app_template_global("pool_choices")
def pool_choices() -> list:
    """The pools a pool filter may name for the signed-in person, to suggest by name: an
    administrator's subtree, or the whole city for an auditor (at most ``POOLS_SUGGESTED``)."""
    who = viewer()
    if who is None:
        return []
    within_code = who.pool_code if who.role == "admin" else None
    return list_pools(db_session(), within=within_code, limit=POOLS_SUGGESTED).items


def next_page(key: str, value) -> str | None:
    """This page's address with the filters kept and ``key`` moved on to ``value``."""
    if value is None:
        return None
    args = {name: text for name, text in request.args.items()
            if name not in request.view_args and not name.startswith("_")}
    args[key] = value
    return url_for(request.endpoint, **request.view_args, **args)
