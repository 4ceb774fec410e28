"""Liveness and readiness probes for load balancers and process supervisors."""

from __future__ import annotations

import logging

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from backend import db, schema
from backend.errors import ServiceError

log = logging.getLogger(__name__)

blp = Blueprint("health", __name__, description="Liveness and readiness probes")


class HealthSchema(ma.Schema):
    """A probe that passed."""

    status = ma.fields.String(required=True)


class ReadinessSchema(HealthSchema):
    """A readiness probe that passed, with the schema revision it found."""

    database = ma.fields.String(required=True)
    revision = ma.fields.List(ma.fields.String(), required=True)


@blp.route("/healthz")
class Liveness(MethodView):
    """The process is up and answering."""

    @blp.response(200, HealthSchema)
    def get(self) -> dict[str, str]:
        """Report that the server is alive (touches nothing else)."""
        return {"status": "alive"}


@blp.route("/readyz")
class Readiness(MethodView):
    """The server can do its work."""

    @blp.response(200, ReadinessSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self) -> dict[str, object]:
        """Report ready when the database answers and its schema is at the packaged head."""
        try:
            current = schema.current_revisions(db.database().engine)
        except SQLAlchemyError as exc:
            log.warning("readiness: database unreachable: %s", exc.__class__.__name__)
            raise ServiceError(
                "database_unreachable", "the database does not answer", status=503
            ) from exc
        heads: tuple[str, ...] = current_app.extensions["faregate.schema_heads"]
        if current != heads:
            raise ServiceError(
                "migrations_pending",
                "the database schema is not at the current revision; run `faregate db upgrade`",
                status=503,
                details={"current": list(current), "head": list(heads)},
            )
        return {"status": "ready", "database": "ok", "revision": list(current)}
