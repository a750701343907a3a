"""Uploading a donations file from the console and watching its import finish.

The same importer and job as ``POST /api/v1/imports`` (fundpool.donations.jobs): the job
runs in a background thread; its page polls a small JSON status every half second and
shows the report when the job ends."""

from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fundpool.api.requests import database, db_session
from fundpool.api.uploads import display_name, removed_on_failure, save_upload
from fundpool.auth.principal import require_role
from fundpool.console.blueprint import bp
from fundpool.console.signin import signed_in, viewer
from fundpool.donations import jobs
from fundpool.donations.importer import IMPORT_CHANNELS, check_channel
from fundpool.errors import FundpoolError, InvalidInput
from fundpool.ledger.money import parse_amount

FINISHED = ("done", "stopped", "failed")


@bp.before_request
def _allow_large_files() -> None:
    """Before the CSRF check reads the form: an import file may be large, for a signed-in
    administrator only (the session is read, not the body), so that nobody else makes the
    server receive and parse hundreds of megabytes before being refused."""
    if request.endpoint == "console.new_import":
        who = viewer()
        if who is not None and who.role == "admin":
            request.max_content_length = current_app.config["FUNDPOOL"]["max_import_bytes"]


@bp.route("/imports/new", methods=["GET", "POST"])
@signed_in
def new_import():
    who = viewer()
    require_role(who, "admin")
    form = request.form if request.method == "POST" else {"channel": "internet_platform"}
    if request.method == "GET":
        return _form(form, None)
    try:
        settings = _settings(who, request.form)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise InvalidInput("choose a .csv or .xlsx file", "file")
        saved = save_upload(upload)
    except FundpoolError as error:
        return _form(form, error), 422
    with removed_on_failure(saved) as path:
        session = db_session()
        job = jobs.queue_job(session, who, display_name(upload), settings)
        session.commit()
        worker = jobs.start_job(database(), who, job.id, path, settings)
    current_app.extensions.setdefault("fundpool.import_threads", []).append(worker)
    return redirect(url_for("console.import_job", job_id=job.id))


@bp.route("/imports/<int:job_id>")
@signed_in
def import_job(job_id: int):
    job = jobs.readable_job(db_session(), viewer(), job_id)
    return render_template("console/import_job.html", job=job, finished=job.status in FINISHED)


@bp.route("/imports/<int:job_id>/status")
@signed_in
def import_status(job_id: int):
    """What the progress bar needs, read fresh on each poll."""
    job = jobs.readable_job(db_session(), viewer(), job_id)
    return jsonify(status=job.status, label=_(job.status), rows_done=job.rows_done,
                   rows_total=job.rows_total, finished=job.status in FINISHED)


def _form(form, error):
    return render_template("console/import_form.html", form=form, error=error,
                           channels=IMPORT_CHANNELS)


def _settings(who, form) -> jobs.Settings:
    channel = form.get("channel", "")
    check_channel(channel)
    rows = form.get("expect_rows", "").strip()
    if rows and not rows.isdigit():
        raise InvalidInput("the stated number of rows is a whole number", "expect_rows")
    total = form.get("expect_total", "").strip()
    return jobs.settings_for(who, channel, form.get("strict") == "on",
                             int(rows) if rows else None,
                             parse_amount(total, "CNY", "expect_total") if total else None)

