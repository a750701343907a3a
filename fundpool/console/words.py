"""Words the console shows that come from data or the core, not from a template: role and
status names, and the core's fixed messages. Marked here so the catalogue holds them; the
templates translate them with ``_(value)``. Messages with details in them are templates the
catalogue takes from the core itself (``catalogue.core_templates``)."""

from flask_babel import lazy_gettext as N_

ROLES = (N_("admin"), N_("foundation"), N_("auditor"))
USER_STATUSES = (N_("invited"), N_("active"), N_("revoked"))
CORE_MESSAGES = (
    N_("the sign-in name or password is wrong (after 5 wrong passwords an account waits "
       "15 minutes)"),
    N_("the name may have at most 100 characters"),
    N_("you can reset the access only of people in pools below your own; ask an "
       "administrator above you"),
    N_("the two passwords differ"),
    N_("the password needs at least 10 characters"),
    N_("the password must not contain the sign-in name"),
    N_("this invitation link is not valid (used, replaced or expired); ask your administrator "
       "for a new one"),
    N_("the form has expired or did not come from this site; reload the page and try again"),
    N_("only administrators manage people's access"),
    N_("give the person's name"),
    N_("the sign-in name takes 2-64 letters, digits, '.', '_' or '-'"),
    N_("too many failed sign-ins from your network address; try again later (within "
       "15 minutes)"),
    N_("a gift in kind needs its in kind description"),
    N_("a gift in kind needs its valuation basis"),
)

# The money pages (pools, funds, donations, imports).
FUND_KINDS = (N_("general"), N_("community"), N_("special"), N_("named"))
ENTRY_KINDS = (N_("donation"), N_("allocation"), N_("return"), N_("grant"), N_("disbursement"),
               N_("refund"), N_("reversal"), N_("adjustment"), N_("opening"), N_("closing"),
               N_("hold_commit"))
DONOR_KINDS = (N_("individual"), N_("enterprise"), N_("foundation"), N_("platform"),
               N_("government"))
CHANNELS = (N_("bank_transfer"), N_("wechat_pay"), N_("alipay"), N_("internet_platform"),
            N_("cash"), N_("in_kind"))
IMPORT_STATUSES = (N_("queued"), N_("checking"), N_("importing"), N_("done"), N_("stopped"),
                   N_("failed"))
MONEY_MESSAGES = (
    N_("the channel's own reference is required"),
    N_("a donor needs a name unless anonymous"),
    N_("this pool has no receipt numbers left; register the next receipt book drawn from the "
       "finance authority"),
    N_("choose a .csv or .xlsx file"),
    N_("the file must be .csv or .xlsx"),
    N_("the stated number of rows is a whole number"),
    N_("this import was started by another token"),
    N_("unexpected error; see the service log"),
)
