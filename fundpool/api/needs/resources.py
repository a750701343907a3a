"""Needs endpoints: record one, list and read them, move their status, import a survey file.

Admins act within their pool's subtree, auditors read everything, foundations and
the public see no needs.
"""

from __future__ import annotations

import threading

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.ledger.scope import requested_range
from fundpool.api.needs.schemas import (
    NeedCreateSchema,
    NeedImportFormSchema,
    NeedImportJobSchema,
    NeedImportReportSchema,
    NeedPageSchema,
    NeedQuerySchema,
    NeedSchema,
    NeedStatusSchema,
    NeedUploadSchema,
)
from fundpool.api.pagination import QUERY, decode_cursor, page_body
from fundpool.api.requests import database, db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.uploads import display_name, removed_on_failure, save_upload
from fundpool.api.writes import after_commit, unit_of_work, upload_fingerprint
from fundpool.auth.principal import require_admin_of, require_role
from fundpool.errors import Forbidden, NotFound
from fundpool.ledger.money import parse_amount
from fundpool.matching import needs, survey
from fundpool.matching.models import NeedImportJob

blp = Blueprint("needs", __name__, url_prefix="/api/v1/needs",
                description="The needs register (需求): surveyed needs, one by one or by file")


def require_reader(code: str, field: str) -> None:
    """Auditors read every need; admins those of their subtree."""
    viewer = principal()
    require_role(viewer, "admin", "auditor")
    if viewer.role == "admin":
        require_admin_of(viewer, code, field)


@blp.before_request
def _allow_large_files() -> None:
    """A survey file may be large, for an admin only (see the donations import's)."""
    if request.endpoint == "needs.NeedImports" and principal().role == "admin":
        request.max_content_length = current_app.config["FUNDPOOL"]["max_import_bytes"]


@blp.route("")
class Needs(MethodView):
    @blp.arguments(NeedQuerySchema, **QUERY)
    @blp.response(200, NeedPageSchema)
    @documents_errors(blp, 403, 404)
    def get(self, args):
        """List needs: admins their subtree, auditors all; filter by pool subtree (within),
        category, urgency and status."""
        session = db_session()
        scope = requested_range(session, principal(), args.get("within"))
        return page_body(needs.list_needs(
            session, within=scope, category=args.get("category"), urgency=args.get("urgency"),
            status=args.get("status"), after=decode_cursor(args["cursor"], int),
            limit=args["limit"]))

    @unit_of_work(blp)
    @blp.arguments(NeedCreateSchema)
    @blp.response(201, NeedSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body):
        """Record a surveyed need in a community of your subtree; it starts open."""
        require_admin_of(principal(), body["pool_code"], "pool_code")
        return needs.create_need(db_session(), principal().actor, needs.NewNeed(
            pool_code=body["pool_code"], category=body["category"], people=body["people"],
            urgency=body["urgency"],
            estimated_cost=parse_amount(body["estimated_cost"], "CNY", "estimated_cost"),
            survey_date=body["survey_date"], note=body["note"], survey_ref=body["survey_ref"]))


@blp.route("/<int:need_id>")
class NeedById(MethodView):
    @blp.response(200, NeedSchema)
    @documents_errors(blp, 403, 404)
    def get(self, need_id):
        """Read a need."""
        require_role(principal(), "admin", "auditor")
        need = needs.get_need(db_session(), need_id)
        require_reader(need.pool.code, "need_id")
        return need


@blp.route("/<int:need_id>/status")
class NeedStatus(MethodView):
    @unit_of_work(blp)
    @blp.arguments(NeedStatusSchema)
    @blp.response(200, NeedSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, need_id):
        """Move a need along its status graph (open → matched → served → closed, open →
        closed, matched → open); any other move is a 409 naming both statuses. A need of an
        approved grant moves only with its grant (complete or cancel the match): 409."""
        viewer = principal()
        require_role(viewer, "admin")
        return needs.change_status(
            db_session(), viewer.actor, need_id, body["status"], body["reason"],
            may_change=lambda need: require_admin_of(viewer, need.pool.code, "need_id"))


@blp.route("/imports")
class NeedImports(MethodView):
    @unit_of_work(blp, fingerprint=upload_fingerprint)
    @blp.arguments(NeedUploadSchema, location="files")
    @blp.response(202, NeedImportJobSchema)
    @documents_errors(blp, 403, 413)
    def post(self, files):
        """Upload a survey file; it is checked and imported in the background.

        Only communities in your subtree may receive its rows; the others are rejected in
        the report. Rows whose survey_ref is already recorded are skipped as duplicates.
        The same upload sent again with the same ``Idempotency-Key`` replays the first answer.
        """
        viewer = principal()
        require_role(viewer, "admin")
        form = blp.ARGUMENTS_PARSER.parse(NeedImportFormSchema(), location="form")
        upload = files["file"]
        with removed_on_failure(save_upload(upload, "needs-")) as path:
            session = db_session()
            job = NeedImportJob(file_name=display_name(upload), strict=form["strict"],
                                created_by=viewer.actor.name, token_id=viewer.token_id)
            session.add(job)
            session.flush()
            settings = survey.Settings(strict=form["strict"], job_id=job.id,
                                       may_write=lambda pool: viewer.covers(pool.code))
            # The job's thread must find its row committed, so it starts after the commit.
            after_commit(lambda: _start(viewer, job.id, path, settings),
                         otherwise=lambda: path.unlink(missing_ok=True))
        return job


def _start(viewer, job_id: int, path, settings: survey.Settings) -> None:
    worker = threading.Thread(target=survey.run_job, daemon=True,
                              args=(database(), viewer.actor, job_id, path, settings))
    with removed_on_failure(path):
        worker.start()
    current_app.extensions.setdefault("fundpool.import_threads", []).append(worker)


@blp.route("/imports/<int:job_id>")
class NeedImportById(MethodView):
    @blp.response(200, NeedImportReportSchema)
    @documents_errors(blp, 403, 404)
    def get(self, job_id):
        """Progress (rows checked of rows total) and, once finished, the report."""
        job = db_session().get(NeedImportJob, job_id)
        if job is None:
            raise NotFound(f"there is no needs import {job_id}", "job_id")
        viewer = principal()
        if viewer.role != "auditor" and not viewer.is_root_admin and \
                job.token_id != viewer.token_id:
            raise Forbidden("this import was started by another token")
        return job
