"""Import endpoints: upload a donations file, watch its progress, read its report."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload

from fundpool.api.ledger.schemas import Amount
from fundpool.api.requests import database, db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.uploads import display_name, removed_on_failure, save_upload
from fundpool.api.writes import after_commit, unit_of_work, upload_fingerprint
from fundpool.auth.principal import require_role
from fundpool.donations import jobs
from fundpool.donations.importer import IMPORT_CHANNELS
from fundpool.ledger.money import parse_amount

blp = Blueprint("imports", __name__, url_prefix="/api/v1/imports",
                description="Bulk donations files, imported as jobs with progress")


class ImportFormSchema(ma.Schema):
    channel = ma.fields.String(load_default="internet_platform",
                               validate=ma.validate.OneOf(IMPORT_CHANNELS), metadata={
                                   "description": "not in_kind: gifts in kind are recorded "
                                                  "one by one, with their valuation"})
    strict = ma.fields.Boolean(load_default=False)
    expect_rows = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=0))
    expect_total = Amount(load_default=None, metadata={"description": "CNY total stated"})


class UploadSchema(ImportFormSchema):
    """The multipart body: the file, and the form fields beside it (read from the form)."""

    file = Upload(required=True, metadata={"description": "CSV (UTF-8 or GBK) or XLSX"})


class ImportJobSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": ["queued", "checking", "importing", "done",
                                                 "stopped", "failed"]})
    file_name = ma.fields.String()
    channel = ma.fields.String()
    strict = ma.fields.Boolean()
    rows_total = ma.fields.Integer(allow_none=True)
    rows_done = ma.fields.Integer()
    imported = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    rejected = ma.fields.Integer()
    message = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)


class ImportReportSchema(ImportJobSchema):
    report = ma.fields.Dict(allow_none=True)


@blp.before_request
def _allow_large_files() -> None:
    """After authentication: an import file may be large, for an admin only (only an admin
    imports), so that no other token makes the server receive and parse hundreds of
    megabytes before being refused."""
    if principal().role == "admin":
        request.max_content_length = current_app.config["FUNDPOOL"]["max_import_bytes"]


@blp.route("")
class Imports(MethodView):
    @unit_of_work(blp, fingerprint=upload_fingerprint)
    @blp.arguments(UploadSchema, location="files")
    @blp.response(202, ImportJobSchema)
    @documents_errors(blp, 403, 413)
    def post(self, files):
        """Upload a platform donations file; it is checked and imported in the background.

        Only funds in your subtree may receive its rows; the others are rejected in the report.
        The same upload sent again with the same ``Idempotency-Key`` replays the first answer
        (the same job) and imports nothing twice.
        """
        viewer = principal()
        require_role(viewer, "admin")
        settings = _settings(viewer)  # every field checked before the file is saved
        upload = files["file"]
        with removed_on_failure(save_upload(upload)) as path:
            job = jobs.queue_job(db_session(), viewer, display_name(upload), settings)
            # The job's thread must find its row committed, so it starts after the commit.
            after_commit(lambda: _start(viewer, job.id, path, settings),
                         otherwise=lambda: path.unlink(missing_ok=True))
        return job


def _start(viewer, job_id: int, path, settings: jobs.Settings) -> None:
    """Start the queued job; should that fail, no job will ever delete the file."""
    with removed_on_failure(path):
        worker = jobs.start_job(database(), viewer, job_id, path, settings)
    current_app.extensions.setdefault("fundpool.import_threads", []).append(worker)


def _settings(viewer) -> jobs.Settings:
    """The import's settings from the form fields, or the first field at fault (422)."""
    form = blp.ARGUMENTS_PARSER.parse(ImportFormSchema(), location="form")
    total = form["expect_total"]
    return jobs.settings_for(viewer, form["channel"], form["strict"], form["expect_rows"],
                             None if total is None else parse_amount(total, "CNY",
                                                                     "expect_total"))


@blp.route("/<int:job_id>")
class ImportById(MethodView):
    @blp.response(200, ImportReportSchema)
    @documents_errors(blp, 403, 404)
    def get(self, job_id):
        """Progress (rows done of rows total) and, once finished, the report."""
        return jobs.readable_job(db_session(), principal(), job_id)
