"""Feed pages: the versions, uploading a GTFS zip, its validation report, publishing it.

Everyone on the staff reads the versions and reports; planners and admins upload and
publish. An upload is validated and loaded while the request waits (as with the API), then
the browser is sent to its report. A version with ERROR notices is a draft: its report says
why, and its publish button is disabled (the service refuses it anyway, ``feed_has_errors``).
"""

from __future__ import annotations

from flask import current_app, flash, render_template, request
from werkzeug.wrappers import Response

from backend import db
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import ConflictError
from backend.services import feed_reports, feeds
from backend.web.console.blueprint import bp
from backend.web.console.guard import current_staff, page, redirect_to

PAGE_SIZE = 50


@bp.get("/feeds", endpoint="feeds")
@page()
def list_feeds() -> str:
    """Feed versions, newest first, and the upload form."""
    return _feeds_page()


def _feeds_page(error: str | None = None) -> str:
    session = db.session()
    return render_template(
        "console/feeds.html",
        title="Feeds",
        versions=feeds.list_versions(session),
        active=feeds.active_version_id(session),
        error=error,
        max_mb=current_app.config["FAREGATE_SETTINGS"].feed_upload_max_mb,
    )


@bp.post("/feeds")
@page(Role.PLANNER)
def upload_feed() -> str | Response:
    """Validate and load an uploaded GTFS zip as a new version, then show its report."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _feeds_page(error="Choose a GTFS zip file to upload.")
    result = feeds.import_upload(
        db.database(),
        upload,
        filename=upload.filename,
        now=utc_now(),
        created_by=current_staff().user_id,
    )
    version = result.version
    if version.status == "draft":
        flash(
            f"{version.filename} has {version.error_count} error(s): it is kept as a draft "
            "and cannot be published. Fix the feed and upload it again.",
            "error",
        )
    else:
        flash(f"{version.filename} passed validation and can be published.", "success")
    return redirect_to("console.feed_report", version_id=version.id)


@bp.get("/feeds/<id:version_id>")
@page()
def feed_report(version_id: int) -> str:
    """A version's validation report: counts per code and the notices, sortable."""
    session = db.session()
    version = feeds.get_version(session, version_id)
    sort = request.args.get("sort", feed_reports.DEFAULT_SORT)
    if sort not in feed_reports.SORT_COLUMNS:
        sort = feed_reports.DEFAULT_SORT
    descending = request.args.get("dir") == "desc"
    number = max(request.args.get("page", 1, type=int) or 1, 1)
    notices, total = feed_reports.notice_page(
        session,
        version_id,
        sort=sort,
        descending=descending,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    return render_template(
        "console/feed_report.html",
        title=f"Feed version {version.id}",
        version=version,
        active=feeds.active_version_id(session) == version.id,
        notices=notices,
        total=total,
        sort=sort,
        descending=descending,
        page_number=number,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
    )


@bp.post("/feeds/<id:version_id>/publish")
@page(Role.PLANNER)
def publish_feed(version_id: int) -> Response:
    """Make the version the active timetable; a draft is refused."""
    try:
        version = feeds.publish(db.session(), version_id, now=utc_now())
    except ConflictError as refused:
        flash(f"{refused.message} [{refused.code}]", "error")
    else:
        flash(f"Version {version.id} ({version.filename}) is now the active timetable.", "success")
    return redirect_to("console.feed_report", version_id=version_id)
