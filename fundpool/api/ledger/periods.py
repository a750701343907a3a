"""Period endpoints: the city admin closes a month, or reopens it with a reason."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from fundpool.api.ledger.schemas import PeriodSchema, ReopenSchema
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.writes import unit_of_work
from fundpool.auth.principal import require_role
from fundpool.errors import Forbidden
from fundpool.ledger import periods
from fundpool.ledger.models import Period
from fundpool.ledger.posting import today

blp = Blueprint("periods", __name__, url_prefix="/api/v1/periods",
                description="Accounting periods (months): closed months accept no entries")


def _require_city_admin() -> None:
    if not principal().is_root_admin:
        raise Forbidden("only a city admin closes or reopens periods")


@blp.route("")
class Periods(MethodView):
    @blp.response(200, PeriodSchema(many=True))
    @documents_errors(blp, 403)
    def get(self):
        """Every month that has been closed (and reopened), newest first."""
        require_role(principal(), "admin", "auditor")
        return db_session().scalars(select(Period).order_by(Period.month.desc())).all()


@blp.route("/<string:month>/close")
class ClosePeriod(MethodView):
    @unit_of_work(blp)
    @blp.response(200, PeriodSchema)
    @documents_errors(blp, 403, 409, 422)
    def post(self, month):
        """Close a past month (YYYY-MM): entries dated in it are refused from now on."""
        _require_city_admin()
        return periods.close_period(db_session(), principal().actor, month, today())


@blp.route("/<string:month>/reopen")
class ReopenPeriod(MethodView):
    @unit_of_work(blp)
    @blp.arguments(ReopenSchema)
    @blp.response(200, PeriodSchema)
    @documents_errors(blp, 403, 409)
    def post(self, body, month):
        """Reopen a closed month; the reason is kept in the audit log."""
        _require_city_admin()
        return periods.reopen_period(db_session(), principal().actor, month, body["reason"])
