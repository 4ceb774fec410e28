"""JSON request bodies checked by pydantic straight from the request bytes.

The bodies sent most often (a device's tap upload, every booking's hold and confirmation) are
validated by pydantic's compiled validator in one pass over the bytes, rather than parsed and
then checked field by field in Python. Their errors keep the shape the other endpoints give:
``details.json`` maps each bad field (``_schema`` for the body as a whole) to its messages.
Their OpenAPI schemas come from the same models (``openapi_schema``), so the document and the
check cannot disagree.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from backend.errors import ServiceError


def field_errors(error: ValidationError) -> dict[str, Any]:
    """pydantic's errors as nested ``{field: {index: {field: [message]}}}``, as webargs has
    them (``_schema`` for the body as a whole)."""
    tree: dict[str, Any] = {}
    for problem in error.errors(include_url=False, include_input=False):
        path = [str(part) for part in problem["loc"]] or ["_schema"]
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(path[-1], []).append(problem["msg"])
    return tree


def invalid_fields(error: ValidationError, message: str) -> ServiceError:
    """The refusal of a body with bad, missing or unknown fields: 422 ``validation_failed``,
    ``details.json`` naming each."""
    return ServiceError(
        "validation_failed", message, status=422, details={"json": field_errors(error)}
    )


def not_json(error: ValidationError) -> bool:
    """Whether ``error`` says the bytes were no JSON text at all."""
    return any(problem["type"] == "json_invalid" for problem in error.errors())


class _OpenApi30(GenerateJsonSchema):
    """JSON schema in OpenAPI 3.0's dialect: ``nullable`` rather than a null type, ``enum``
    rather than ``const``."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return {**self.generate_inner(schema["schema"]), "nullable": True}

    def literal_schema(self, schema: core_schema.LiteralSchema) -> JsonSchemaValue:
        generated = super().literal_schema(schema)
        if "const" in generated:
            generated["enum"] = [generated.pop("const")]
        return generated


def openapi_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema in OpenAPI 3.0's dialect, its nested models written in place
    (the document's components hold the marshmallow schemas only)."""
    schema = model.model_json_schema(schema_generator=_OpenApi30, by_alias=True)
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return inline(definitions[reference.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined
