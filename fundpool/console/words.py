"""Words the console shows that come from data or the core, not from a template: role and
status names, and the core's fixed messages. Marked here so the catalogue holds them; the
templates translate them with ``_(value)``. Messages with details in them stay English."""

from flask_babel import lazy_gettext as N_

ROLES = (N_("admin"), N_("foundation"), N_("auditor"))
USER_STATUSES = (N_("invited"), N_("active"), N_("revoked"))
CORE_MESSAGES = (
    N_("the sign-in name or password is wrong"),
    N_("the two passwords differ"),
    N_("the password needs at least 10 characters"),
    N_("the password must not contain the sign-in name"),
    N_("this invitation link is not valid (used, replaced or expired); ask your administrator "
       "for a new one"),
    N_("the form has expired or did not come from this site; reload the page and try again"),
    N_("only administrators manage people's access"),
    N_("give the person's name"),
    N_("the sign-in name takes 2-64 letters, digits, '.', '_' or '-'"),
)
