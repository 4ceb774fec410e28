"""The JSON API: flask-smorest builds the OpenAPI 3 document from the views and schemas."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import swagger_ui_bundle
from flask import Blueprint as FlaskBlueprint
from flask import Flask, Response
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from backend.api import (
    audit,
    cancellations,
    devices,
    errors,
    fares,
    feeds,
    gtfs_realtime,
    health,
    media,
    network,
    payments,
    reservations,
    staff,
    support_cases,
    text_input,
    tickets,
    travelers,
    vehicle_assignments,
    webhooks,
)
from backend.api.guard import SECURITY_SCHEME
from backend.api.row_ids import RowIdConverter
from backend.rate_limits import RATE_LIMITED
from backend.web import error_pages

DOCS_ASSETS_URL = "/api/docs/assets/"


class FaregateApi(Api):
    """flask-smorest's Api with Faregate's error envelope."""

    ERROR_SCHEMA = errors.ErrorEnvelopeSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        """Render HTTP errors (404, 405, 422, 500 ...) as error envelopes, or as pages for
        requests outside the API."""
        if error_pages.is_page_request() and (error.code or 500) < 500:
            page, status = error_pages.error_page(error)
            return Response(page, status=status, mimetype="text/html")
        return errors.http_error_response(error)


def init_api(app: Flask) -> FaregateApi:
    """Register the API, its documentation and its error handling on ``app``."""
    app.config.update(_openapi_config())
    app.url_map.converters["id"] = RowIdConverter
    api = FaregateApi(app)
    api.spec.components.security_scheme(
        SECURITY_SCHEME,
        {"type": "http", "scheme": "bearer", "description": "A token from `faregate token create`"},
    )
    api.spec.components.response(RATE_LIMITED, errors.RATE_LIMITED_RESPONSE)
    errors.register(app)
    text_input.register(app)
    api.register_blueprint(health.blp)
    api.register_blueprint(staff.blp)
    api.register_blueprint(feeds.blp)
    api.register_blueprint(network.blp)
    api.register_blueprint(reservations.blp)
    api.register_blueprint(payments.blp)
    api.register_blueprint(fares.blp)
    api.register_blueprint(tickets.blp)
    api.register_blueprint(devices.blp)
    api.register_blueprint(media.blp)
    api.register_blueprint(vehicle_assignments.blp)
    api.register_blueprint(cancellations.blp)
    api.register_blueprint(webhooks.blp)
    api.register_blueprint(support_cases.blp)
    api.register_blueprint(gtfs_realtime.blp)
    api.register_blueprint(travelers.blp)
    api.register_blueprint(audit.blp)
    app.register_blueprint(_docs_assets())
    return api


def _openapi_config() -> dict[str, Any]:
    return {
        "API_TITLE": "Faregate",
        "API_VERSION": _package_version(),
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": DOCS_ASSETS_URL,
    }


def _docs_assets() -> FlaskBlueprint:
    """Serve Swagger UI from the installed swagger-ui-bundle, so the docs work offline."""
    return FlaskBlueprint(
        "docs_assets",
        __name__,
        static_folder=swagger_ui_bundle.swagger_ui_path,
        static_url_path=DOCS_ASSETS_URL.rstrip("/"),
    )


def _package_version() -> str:
    try:
        return version("faregate")
    except PackageNotFoundError:
        return "0+unknown"
