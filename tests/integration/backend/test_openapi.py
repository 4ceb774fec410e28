"""The OpenAPI document and the interactive docs, served offline."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

OPERATOR_PATHS = [
    "/api/v1/staff/me",
    "/api/v1/staff/users",
    "/api/v1/staff/tokens",
    "/api/v1/feeds",
]
UNDOCUMENTED = ("static", "api-docs.", "docs_assets.")
HEALTH_PATHS = ("/healthz", "/readyz")
FEED_PATHS = ("/gtfs-rt/trip-updates", "/gtfs-rt/trip-updates.json")


def test_document_is_valid_openapi_3(client: FlaskClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.")
    validate(document)


def test_every_route_is_documented(app: Flask, client: FlaskClient) -> None:
    documented = set(client.get("/api/openapi.json").json["paths"])
    served = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.startswith(UNDOCUMENTED)
        and (rule.rule.startswith("/api/") or rule.rule in HEALTH_PATHS + FEED_PATHS)
    }
    assert served == documented


def test_operator_endpoints_declare_bearer_auth_and_error_envelope(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").json
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path in OPERATOR_PATHS:
        for operation in document["paths"][path].values():
            assert operation["security"] == [{"bearerAuth": []}]
            assert operation["responses"]["401"] == {"$ref": "#/components/responses/UNAUTHORIZED"}
    envelope = document["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["required"] == ["error"]


def test_interactive_docs_load_their_assets_from_this_server(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/api/docs/assets/"), asset
        with client.get(asset) as served:
            assert served.status_code == 200
            assert served.get_data()
