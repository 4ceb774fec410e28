"""Feeds API: upload a GTFS zip, list versions with their reports, publish one."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.api.feed_schemas import (
    FeedUploadSchema,
    FeedVersionSchema,
    NoticePageSchema,
    PageArgsSchema,
    PublishFlagSchema,
)
from backend.api.guard import current_principal, require_role
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.models import FeedVersion
from backend.services import feeds

blp = Blueprint("feeds", __name__, url_prefix="/api/v1/feeds", description="GTFS feed versions")


def _with_active(versions: list[FeedVersion]) -> list[dict[str, Any]]:
    active = feeds.active_version_id(db.session())
    return [
        {
            **{key: getattr(v, key) for key in FeedVersionSchema().fields if key != "active"},
            "active": v.id == active,
        }
        for v in versions
    ]


@blp.route("")
class Feeds(MethodView):
    """Feed versions."""

    @require_role()
    @blp.response(200, FeedVersionSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """List feed versions, newest first, with their notice counts."""
        return _with_active(feeds.list_versions(db.session()))

    @require_role(Role.PLANNER)
    @blp.arguments(PublishFlagSchema(), location="query")
    @blp.arguments(FeedUploadSchema(), location="files")
    @blp.response(201, FeedVersionSchema)
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    def post(self, query: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        """Upload a GTFS zip: validated and loaded as a new version, a draft when it has ERRORs."""
        upload = files["file"]
        result = feeds.import_upload(
            db.database(),
            upload,
            filename=upload.filename or "feed.zip",
            now=utc_now(),
            created_by=current_principal().user_id,
            publish=query["publish"],
        )
        return _with_active([result.version])[0]


@blp.route("/<id:version_id>")
class FeedById(MethodView):
    """One feed version."""

    @require_role()
    @blp.response(200, FeedVersionSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, version_id: int) -> dict[str, Any]:
        """Show a feed version and its notice counts."""
        return _with_active([feeds.get_version(db.session(), version_id)])[0]


@blp.route("/<id:version_id>/notices")
class FeedNotices(MethodView):
    """The stored notices of a version."""

    @require_role()
    @blp.arguments(PageArgsSchema(), location="query")
    @blp.response(200, NoticePageSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, int], version_id: int) -> dict[str, Any]:
        """List a page of the version's notices, ERRORs first."""
        page, total = feeds.notices(db.session(), version_id, **args)
        return {"total": total, "notices": page}


@blp.route("/<id:version_id>/publish")
class PublishFeed(MethodView):
    """Publication."""

    @require_role(Role.PLANNER)
    @blp.response(200, FeedVersionSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, version_id: int) -> dict[str, Any]:
        """Make this version the active timetable (refused for drafts)."""
        version = feeds.publish(db.session(), version_id, now=utc_now())
        return _with_active([version])[0]
