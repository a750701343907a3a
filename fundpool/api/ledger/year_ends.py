"""Year-end close endpoints: the city admin closes a year that is over; admins and
auditors read the closes (docs/year-end.md)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.ledger.year_end_schemas import CloseYearSchema, YearEndSchema
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.writes import unit_of_work
from fundpool.auth.principal import require_role
from fundpool.errors import Forbidden
from fundpool.ledger import year_end
from fundpool.ledger.posting import today

blp = Blueprint("year_ends", __name__, url_prefix="/api/v1/ledger/year-ends",
                description="Year-end close (年度结账): income and costs into net assets, "
                            "once per year")


@blp.route("")
class YearEnds(MethodView):
    @blp.response(200, YearEndSchema(many=True))
    @documents_errors(blp, 403)
    def get(self):
        """Every closed year, newest first."""
        require_role(principal(), "admin", "auditor")
        return year_end.list_year_ends(db_session())

    @unit_of_work(blp)
    @blp.arguments(CloseYearSchema)
    @blp.response(201, YearEndSchema)
    @blp.alt_response(200, schema=YearEndSchema, success=True,
                      description="The year was already closed: its close, nothing posted")
    @documents_errors(blp, 403, 409, 422)
    def post(self, body):
        """Close a year that is over: one closing entry per fund and currency, dated
        31 December, moves restricted income (410102) into 3102 and unrestricted income
        and every cost into 3101; the year's months close with it. City admins only.
        Closing a closed year again answers 200 with the same body and posts nothing."""
        if not principal().is_root_admin:
            raise Forbidden("only a city admin closes a year")
        outcome = year_end.close_year(db_session(), principal().actor, body["year"], today())
        return outcome.year_end, 201 if outcome.created else 200


@blp.route("/<int:year>")
class OneYearEnd(MethodView):
    @blp.response(200, YearEndSchema)
    @documents_errors(blp, 403, 404)
    def get(self, year):
        """The close of one year (404 if it has not been closed)."""
        require_role(principal(), "admin", "auditor")
        return year_end.get_year_end(db_session(), year)
