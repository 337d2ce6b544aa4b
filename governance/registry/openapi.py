"""The OpenAPI 3 description of the registry's REST API, served at /openapi.json.

The paths are generated from `RegistryApp`'s route table: each route carries its
`Operation` (operations.py), and its method, path and `write` flag come from the
route itself. Each error status lists the Confluent error codes the route can
answer with. Requests may be sent as either media type; answers always carry
Confluent's `application/vnd.schemaregistry.v1+json`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from governance.formats import POLICIES, Level
from governance.registry import service

Json = dict[str, Any]

VND = "application/vnd.schemaregistry.v1+json"
REQUEST_MEDIA_TYPES = (VND, "application/json")
LEVELS = [level.value for level in Level]
MODES = list(service.MODES)
POLICY: Json = {
    "type": "string",
    "enum": list(POLICIES),
    "description": "JSON Schema subjects' compatibility policy: STRICT (Confluent's default) or LENIENT (adding an "
                   "optional property to an open content model, removing one from a closed one, are compatible).",
}
MAX_INT32 = 2**31 - 1
EXAMPLE_SCHEMA = '{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"id","type":"string"}]}'


def ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: Json) -> Json:
    return {"type": "array", "items": items}


def object_schema(properties: dict[str, Json], required: tuple[str, ...] = (), description: str = "") -> Json:
    schema: Json = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


SCHEMAS: dict[str, Json] = {
    "ErrorMessage": object_schema(
        {"error_code": {"type": "integer"}, "message": {"type": "string"}},
        ("error_code", "message"),
        "Every error: a Confluent error code (such as 40401 or 42201) and what went wrong.",
    ),
    "SchemaReference": object_schema(
        {
            "name": {"type": "string", "description": "The name the referring schema uses for the referenced type."},
            "subject": {"type": "string"},
            "version": {"type": "integer", "description": "A registered version, or -1 for the latest."},
        },
        ("name", "subject", "version"),
    ),
    "Metadata": {
        "type": "object",
        "nullable": True,
        "description": "Data-contract metadata, stored and returned as sent.",
    },
    "RuleSet": {
        "type": "object",
        "nullable": True,
        "description": "Data-contract rules (domainRules, migrationRules), stored and returned as sent.",
    },
    "SchemaRequest": object_schema(
        {
            "schema": {
                "type": "string",
                "format": "avro-schema",
                "description": "The schema: Avro as JSON text; Protobuf as `.proto` text or a base64 "
                               "FileDescriptorProto (imports named by `references`, well-known types without); "
                               "JSON Schema as JSON text (drafts 4 to 2020-12 as `$schema` says, draft 7 when "
                               "absent; a `$ref` names another subject's schema by its reference name).",
                "example": EXAMPLE_SCHEMA,
            },
            "schemaType": {
                "type": "string",
                "nullable": True,
                "enum": ["AVRO", "JSON", "PROTOBUF"],
                "default": "AVRO",
                "description": "AVRO, PROTOBUF and JSON (JSON Schema) are served.",
            },
            "references": array(ref("SchemaReference")),
            "metadata": ref("Metadata"),
            "ruleSet": ref("RuleSet"),
            "id": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_INT32,
                "nullable": True,
                "description": "The id to register under; only in IMPORT mode (otherwise 422/42205).",
            },
            "version": {
                "type": "integer",
                "minimum": -1,
                "maximum": MAX_INT32,
                "nullable": True,
                "description": "The version to register as; -1 or absent means the next one; 0 is answered 422.",
            },
        },
        ("schema",),
    ),
    "RegisteredId": object_schema({"id": {"type": "integer"}}, ("id",)),
    "SubjectVersionSchema": object_schema(
        {
            "subject": {"type": "string"},
            "version": {"type": "integer"},
            "id": {"type": "integer"},
            "schemaType": {"type": "string", "description": "Present only when not AVRO."},
            "references": array(ref("SchemaReference")),
            "metadata": ref("Metadata"),
            "ruleSet": ref("RuleSet"),
            "schema": {"type": "string"},
        },
        ("subject", "version", "id", "schema"),
    ),
    "SchemaById": object_schema(
        {
            "schemaType": {"type": "string"},
            "references": array(ref("SchemaReference")),
            "metadata": ref("Metadata"),
            "ruleSet": ref("RuleSet"),
            "schema": {"type": "string"},
        },
        ("schema",),
    ),
    "SubjectVersion": object_schema(
        {"subject": {"type": "string"}, "version": {"type": "integer"}}, ("subject", "version")
    ),
    "CompatibilityResult": object_schema(
        {
            "is_compatible": {"type": "boolean"},
            "messages": array({"type": "string"}),
        },
        ("is_compatible",),
        "`messages` is present with verbose=true.",
    ),
    "ConfigRequest": object_schema(
        {
            "compatibility": {"type": "string", "enum": LEVELS},
            "compatibilityLevel": {
                "type": "string",
                "enum": LEVELS,
                "description": "Accepted in place of compatibility.",
            },
            "compatibilityPolicy": POLICY,
        },
        description="Names are matched in any case; an unknown level or policy, or neither, is answered 422/42203. "
                    "What is not sent is kept.",
    ),
    "ConfigUpdated": object_schema({"compatibility": {"type": "string", "enum": LEVELS}, "compatibilityPolicy": POLICY},
                                   description="What was set."),
    "Config": object_schema({"compatibilityLevel": {"type": "string", "enum": LEVELS}, "compatibilityPolicy": POLICY},
                            description="A subject that sets only a policy has no compatibilityLevel of its own."),
    "Mode": object_schema({"mode": {"type": "string", "enum": MODES}}, ("mode",)),
    "Health": object_schema(
        {"status": {"type": "string", "enum": ["healthy", "unhealthy"]}, "reasons": array({"type": "string"})},
        ("status", "reasons"),
        "503 unhealthy when the _schemas reader thread stopped; `reasons` says why.",
    ),
    "Readiness": object_schema(
        {
            "status": {"type": "string", "enum": ["ready", "not ready"]},
            "primary": {"type": "boolean"},
            "primary_url": {"type": "string", "nullable": True},
            "reader": object_schema(
                {
                    "applied_offset": {"type": "integer", "nullable": True,
                                       "description": "The offset read next; every record before it is applied."},
                    "end_offset": {"type": "integer", "nullable": True, "description": "The topic's high watermark."},
                    "lag": {"type": "integer", "nullable": True},
                    "end_offset_age_seconds": {"type": "number", "nullable": True},
                    "caught_up": {"type": "boolean"},
                },
                ("applied_offset", "end_offset", "lag", "end_offset_age_seconds", "caught_up"),
            ),
            "reasons": array({"type": "string"}),
        },
        ("status", "primary", "primary_url", "reader", "reasons"),
        "200 only when this instance is the primary or knows the primary's URL, and its _schemas reader has "
        "applied everything before the topic's end offset (read at most 5 s ago); 503 otherwise, `reasons` says why.",
    ),
}



# -- parameters -----------------------------------------------------------------


def _path(name: str, schema: Json, description: str) -> Json:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def query(name: str, schema: Json, description: str) -> Json:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def flag(name: str, description: str) -> Json:
    return query(name, {"type": "boolean", "default": False}, description)


PATH_PARAMETERS: dict[str, Json] = {
    "subject": _path("subject", {"type": "string", "minLength": 1}, "A subject name; percent-encode `/` as %2F."),
    "version": _path(
        "version",
        {"type": "string", "pattern": "^(latest|-1|[1-9][0-9]{0,9})$", "example": "latest"},
        'A version number in [1, 2^31-1], or "latest" (also -1). Anything else is answered 422/42202.',
    ),
    "id": _path("id", {"type": "integer"}, "A schema id; a path segment that is not an integer is answered 404/40403."),
}
"""Every `{name}` a route's path may hold."""


# -- responses ------------------------------------------------------------------


def ok(schema: Json, description: str = "OK") -> dict[str, Json]:
    return {"200": {"description": description, "content": {VND: {"schema": schema}}}}


def _errors(codes_by_status: Mapping[int, str]) -> dict[str, Json]:
    """Error responses with the error body, e.g. `{404: "40401 subject not found"}`."""
    return {
        str(status): {"description": text, "content": {VND: {"schema": ref("ErrorMessage")}}}
        for status, text in codes_by_status.items()
    }


def request_body(schema_name: str, description: str) -> Json:
    return {
        "required": True,
        "description": description,
        "content": {media_type: {"schema": ref(schema_name)} for media_type in REQUEST_MEDIA_TYPES},
    }


SHAPE_422 = "422 body of the wrong shape"
AUTH_ERRORS = _errors({
    401: "40101 credentials missing or wrong (only when the registry runs with a users file)",
    403: "40301 the user's role may not do this",
})
WRITE_ERRORS = _errors({
    500: "50001 store error, 50002 store timeout, 50003 forwarding error, 50004 no primary right now"
})
BODY_ERRORS = _errors({400: "400 the body is not strict JSON (malformed, NaN, too deep, a lone surrogate)"})


# -- operations -----------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """What OpenAPI says of one route beyond its method, path and `write` flag."""

    summary: str
    tag: str
    ok: dict[str, Json]
    parameters: tuple[Json, ...] = ()
    """Query parameters; path parameters follow from the route's path."""
    body: Json | None = None
    errors: Mapping[int, str] = field(default_factory=dict)
    """Status -> the Confluent error codes answered with it; auth, body and write errors are added."""
    public: bool = False
    """Answered without credentials even when the registry requires them (probes and /metrics)."""


class DocumentedRoute(Protocol):
    method: str
    path: str
    """Confluent's path without the leading `/`, `{name}` for each path parameter."""
    write: bool
    doc: Operation


def _operation(doc: Operation, write: bool) -> Json:
    responses = {**doc.ok, **_errors(doc.errors)}
    if doc.body is not None:
        responses.update(BODY_ERRORS)
        responses.setdefault("422", _errors({422: SHAPE_422})["422"])
    if write:
        responses.update(WRITE_ERRORS)
    if not doc.public:
        responses.update(AUTH_ERRORS)
    operation: Json = {
        "summary": doc.summary, "tags": [doc.tag], "operationId": _operation_id(doc.summary), "responses": responses
    }
    if doc.public:
        operation["security"] = []
    if doc.parameters:
        operation["parameters"] = list(doc.parameters)
    if doc.body is not None:
        operation["requestBody"] = doc.body
    return operation


def _operation_id(summary: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in summary).split()
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


def _paths(routes: Iterable[DocumentedRoute]) -> dict[str, Json]:
    paths: dict[str, Json] = {}
    for route in routes:
        item = paths.setdefault("/" + route.path, {})
        if not item and (names := re.findall(r"\{(\w+)\}", route.path)):
            item["parameters"] = [PATH_PARAMETERS[name] for name in names]
        item[route.method.lower()] = _operation(route.doc, route.write)
    return paths


def openapi_document(routes: Iterable[DocumentedRoute]) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Schema Registry (governance)",
            "version": "1",
            "description": "Confluent Schema Registry's REST API for Avro schemas, stored in Kafka's _schemas topic.",
        },
        "tags": [{"name": name} for name in ("subjects", "schemas", "compatibility", "config", "mode", "server")],
        "paths": _paths(routes),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
        },
        "security": [{}, {"basic": []}],
    }
