"""The console's menu: which pages each role sees, in order.

Each entry is (endpoint, label, roles). Labels are marked for translation here and
translated when the menu is drawn.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from fundpool.auth.principal import Principal

ADMIN, FOUNDATION, AUDITOR = "admin", "foundation", "auditor"

NAV: list[tuple[str, object, tuple[str, ...]]] = [
    ("console.dashboard", _l("Dashboard"), (ADMIN, AUDITOR)),
    ("console.users", _l("People"), (ADMIN,)),
    # The money pages: record a donation, import a donations file.
    ("console.new_donation", _l("Record a donation"), (ADMIN,)),
    ("console.new_import", _l("Import donations"), (ADMIN,)),
    # The matching pages: auditors read them as over the API.
    ("console.needs", _l("Needs"), (ADMIN, AUDITOR)),
    ("console.proposals", _l("Reserve pool"), (ADMIN, AUDITOR)),
    ("console.runs", _l("Matching runs"), (ADMIN, AUDITOR)),
    ("console.grants", _l("Grants"), (ADMIN, AUDITOR)),
    # A foundation's funds; the auditor's pages (admins read the reports of their subtree).
    ("console.foundation_funds", _l("Our funds"), (FOUNDATION,)),
    ("console.trial_balance", _l("Trial balance"), (AUDITOR, ADMIN)),
    ("console.activity", _l("Activity statement"), (AUDITOR, ADMIN)),
    ("console.exports", _l("Ledger exports"), (AUDITOR, ADMIN)),
    ("console.verification", _l("Verification"), (AUDITOR,)),
    ("console.audit_log", _l("Audit log"), (AUDITOR,)),
]


def menu(who: Principal | None) -> list[tuple[str, str]]:
    """(endpoint, label) of the pages ``who`` may open, leaving out any not built."""
    if who is None:
        return []
    views = current_app.view_functions
    return [(endpoint, str(label)) for endpoint, label, roles in NAV
            if who.role in roles and endpoint in views]

