"""The OpenAPI 3 description of the registry's REST API, served at /openapi.json.

One entry per route of `RegistryApp`; each error status lists the Confluent
error codes the route can answer with. Requests may be sent as either media
type; answers always carry Confluent's `application/vnd.schemaregistry.v1+json`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from governance.formats import Level
from governance.registry import service

Json = dict[str, Any]

VND = "application/vnd.schemaregistry.v1+json"
REQUEST_MEDIA_TYPES = (VND, "application/json")
LEVELS = [level.value for level in Level]
MODES = list(service.MODES)
MAX_INT32 = 2**31 - 1
EXAMPLE_SCHEMA = '{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"id","type":"string"}]}'


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(items: Json) -> Json:
    return {"type": "array", "items": items}


def _object(properties: dict[str, Json], required: tuple[str, ...] = (), description: str = "") -> Json:
    schema: Json = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


SCHEMAS: dict[str, Json] = {
    "ErrorMessage": _object(
        {"error_code": {"type": "integer"}, "message": {"type": "string"}},
        ("error_code", "message"),
        "Every error: a Confluent error code (such as 40401 or 42201) and what went wrong.",
    ),
    "SchemaReference": _object(
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
    "SchemaRequest": _object(
        {
            "schema": {
                "type": "string",
                "format": "avro-schema",
                "description": "The Avro schema as JSON text.",
                "example": EXAMPLE_SCHEMA,
            },
            "schemaType": {
                "type": "string",
                "nullable": True,
                "enum": ["AVRO", "JSON", "PROTOBUF"],
                "default": "AVRO",
                "description": "Only AVRO is served; other types are answered 422/42201.",
            },
            "references": _array(_ref("SchemaReference")),
            "metadata": _ref("Metadata"),
            "ruleSet": _ref("RuleSet"),
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
    "RegisteredId": _object({"id": {"type": "integer"}}, ("id",)),
    "SubjectVersionSchema": _object(
        {
            "subject": {"type": "string"},
            "version": {"type": "integer"},
            "id": {"type": "integer"},
            "schemaType": {"type": "string", "description": "Present only when not AVRO."},
            "references": _array(_ref("SchemaReference")),
            "metadata": _ref("Metadata"),
            "ruleSet": _ref("RuleSet"),
            "schema": {"type": "string"},
        },
        ("subject", "version", "id", "schema"),
    ),
    "SchemaById": _object(
        {
            "schemaType": {"type": "string"},
            "references": _array(_ref("SchemaReference")),
            "metadata": _ref("Metadata"),
            "ruleSet": _ref("RuleSet"),
            "schema": {"type": "string"},
        },
        ("schema",),
    ),
    "SubjectVersion": _object({"subject": {"type": "string"}, "version": {"type": "integer"}}, ("subject", "version")),
    "CompatibilityResult": _object(
        {
            "is_compatible": {"type": "boolean"},
            "messages": _array({"type": "string"}),
        },
        ("is_compatible",),
        "`messages` is present with verbose=true.",
    ),
    "ConfigRequest": _object(
        {
            "compatibility": {"type": "string", "enum": LEVELS},
            "compatibilityLevel": {
                "type": "string",
                "enum": LEVELS,
                "description": "Accepted in place of compatibility.",
            },
        },
        description="Names are matched in any case; a missing or unknown level is answered 422/42203.",
    ),
    "ConfigUpdated": _object({"compatibility": {"type": "string", "enum": LEVELS}}, ("compatibility",)),
    "Config": _object({"compatibilityLevel": {"type": "string", "enum": LEVELS}}, ("compatibilityLevel",)),
    "Mode": _object({"mode": {"type": "string", "enum": MODES}}, ("mode",)),
}


# -- parameters -----------------------------------------------------------------


def _path(name: str, schema: Json, description: str) -> Json:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def _query(name: str, schema: Json, description: str) -> Json:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _flag(name: str, description: str) -> Json:
    return _query(name, {"type": "boolean", "default": False}, description)


SUBJECT = _path("subject", {"type": "string", "minLength": 1}, "A subject name; percent-encode `/` as %2F.")
VERSION = _path(
    "version",
    {"type": "string", "pattern": "^(latest|-1|[1-9][0-9]{0,9})$", "example": "latest"},
    'A version number in [1, 2^31-1], or "latest" (also -1). Anything else is answered 422/42202.',
)
ID = _path("id", {"type": "integer"}, "A schema id; a path segment that is not an integer is answered 404/40403.")
DELETED = _flag("deleted", "Include soft-deleted subjects and versions.")
PERMANENT = _flag("permanent", "Delete for good; only what was soft-deleted first.")
NORMALIZE = _flag("normalize", "Compare and store the normalized form of the schema.")
VERBOSE = _flag("verbose", "Explain every incompatibility in `messages`.")
DEFAULT_TO_GLOBAL = _flag("defaultToGlobal", "Answer the global setting when the subject has none.")
FORCE = _flag("force", "Switch to IMPORT even though subjects exist.")
LATEST_ONLY = _flag("latestOnly", "Only each subject's latest version.")
SUBJECT_PREFIX = _query("subjectPrefix", {"type": "string", "default": ""}, "Only subjects starting with this.")


# -- responses ------------------------------------------------------------------


def _ok(schema: Json, description: str = "OK") -> dict[str, Json]:
    return {"200": {"description": description, "content": {VND: {"schema": schema}}}}


def _errors(codes_by_status: Mapping[int, str]) -> dict[str, Json]:
    """Error responses with the error body, e.g. `{404: "40401 subject not found"}`."""
    return {
        str(status): {"description": text, "content": {VND: {"schema": _ref("ErrorMessage")}}}
        for status, text in codes_by_status.items()
    }


def _body(schema_name: str, description: str) -> Json:
    return {
        "required": True,
        "description": description,
        "content": {media_type: {"schema": _ref(schema_name)} for media_type in REQUEST_MEDIA_TYPES},
    }


SUBJECT_404 = "40401 subject not found"
VERSION_404 = "40401 subject not found, 40402 version not found"
VERSION_422 = "42202 invalid version"
ID_404 = "40403 schema not found"
SHAPE_422 = "422 body of the wrong shape"
SCHEMA_422 = "42201 invalid schema, " + SHAPE_422
LEVEL_422 = "42203 invalid compatibility level, " + SHAPE_422

AUTH_ERRORS = _errors({
    401: "40101 credentials missing or wrong (only when the registry runs with a users file)",
    403: "40301 the user's role may not do this",
})
WRITE_ERRORS = _errors({
    500: "50001 store error, 50002 store timeout, 50003 forwarding error, 50004 no primary right now"
})
BODY_ERRORS = _errors({400: "400 the body is not strict JSON (malformed, NaN, too deep, a lone surrogate)"})
SCHEMA_BODY = _body("SchemaRequest", "The schema and, optionally, its references and data contract.")


def _operation(
    summary: str,
    ok: dict[str, Json],
    *,
    parameters: Sequence[Json] = (),
    body: Json | None = None,
    errors: Mapping[int, str] | None = None,
    write: bool = False,
    tag: str,
) -> Json:
    responses = {**ok, **_errors(errors or {})}
    if body is not None:
        responses.update(BODY_ERRORS)
        responses.setdefault("422", _errors({422: SHAPE_422})["422"])
    if write:
        responses.update(WRITE_ERRORS)
    responses.update(AUTH_ERRORS)
    operation: Json = {"summary": summary, "tags": [tag], "operationId": _operation_id(summary), "responses": responses}
    if parameters:
        operation["parameters"] = list(parameters)
    if body is not None:
        operation["requestBody"] = body
    return operation


def _operation_id(summary: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in summary).split()
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


def _paths() -> dict[str, Json]:
    schema_ok = _ok(_ref("SubjectVersionSchema"))
    raw_schema_ok = _ok({}, "The schema itself, as JSON")
    return {
        "/": {"get": _operation("Root", _ok({"type": "object"}), tag="server")},
        "/subjects": {
            "get": _operation(
                "List subjects", _ok(_array({"type": "string"})), parameters=[DELETED, SUBJECT_PREFIX], tag="subjects"
            )
        },
        "/subjects/{subject}/versions": {
            "parameters": [SUBJECT],
            "get": _operation(
                "List versions of a subject",
                _ok(_array({"type": "integer"})),
                parameters=[DELETED],
                errors={404: SUBJECT_404},
                tag="subjects",
            ),
            "post": _operation(
                "Register a schema",
                _ok(_ref("RegisteredId"), "The schema's id (an existing one if already registered)"),
                parameters=[NORMALIZE],
                body=SCHEMA_BODY,
                errors={
                    409: "409 incompatible with earlier versions",
                    422: "42201 invalid schema, 42205 not permitted (mode, id or version taken), " + SHAPE_422,
                },
                write=True,
                tag="subjects",
            ),
        },
        "/subjects/{subject}/versions/{version}/schema": {
            "parameters": [SUBJECT, VERSION],
            "get": _operation(
                "Get the schema of a version",
                raw_schema_ok,
                parameters=[DELETED],
                errors={404: VERSION_404, 422: VERSION_422},
                tag="subjects",
            ),
        },
        "/subjects/{subject}/versions/{version}/referencedby": {
            "parameters": [SUBJECT, VERSION],
            "get": _operation(
                "List ids of schemas referencing a version",
                _ok(_array({"type": "integer"})),
                errors={404: VERSION_404, 422: VERSION_422},
                tag="subjects",
            ),
        },
        "/subjects/{subject}/versions/{version}": {
            "parameters": [SUBJECT, VERSION],
            "get": _operation(
                "Get a version of a subject",
                schema_ok,
                parameters=[DELETED],
                errors={404: VERSION_404, 422: VERSION_422},
                tag="subjects",
            ),
            "delete": _operation(
                "Delete a version of a subject",
                _ok({"type": "integer"}, "The version deleted"),
                parameters=[PERMANENT],
                errors={
                    404: VERSION_404 + ", 40406 version already soft-deleted, 40407 version not soft-deleted first",
                    422: VERSION_422 + ", 42205 read-only mode, 42206 a schema references it",
                },
                write=True,
                tag="subjects",
            ),
        },
        "/subjects/{subject}": {
            "parameters": [SUBJECT],
            "post": _operation(
                "Look up a schema under a subject",
                schema_ok,
                parameters=[NORMALIZE, DELETED],
                body=SCHEMA_BODY,
                errors={404: "40401 subject not found, 40403 schema not found", 422: SCHEMA_422},
                tag="subjects",
            ),
            "delete": _operation(
                "Delete a subject",
                _ok(_array({"type": "integer"}), "The versions deleted"),
                parameters=[PERMANENT],
                errors={
                    404: SUBJECT_404 + ", 40404 subject already soft-deleted, 40405 subject not soft-deleted first",
                    422: "42205 read-only mode, 42206 a schema references it",
                },
                write=True,
                tag="subjects",
            ),
        },
        "/schemas": {
            "get": _operation(
                "List schemas",
                _ok(_array(_ref("SubjectVersionSchema"))),
                parameters=[SUBJECT_PREFIX, DELETED, LATEST_ONLY],
                tag="schemas",
            )
        },
        "/schemas/types": {"get": _operation("List schema types", _ok(_array({"type": "string"})), tag="schemas")},
        "/schemas/ids/{id}": {
            "parameters": [ID],
            "get": _operation("Get a schema by id", _ok(_ref("SchemaById")), errors={404: ID_404}, tag="schemas"),
        },
        "/schemas/ids/{id}/schema": {
            "parameters": [ID],
            "get": _operation("Get the schema text by id", raw_schema_ok, errors={404: ID_404}, tag="schemas"),
        },
        "/schemas/ids/{id}/subjects": {
            "parameters": [ID],
            "get": _operation(
                "List subjects using an id",
                _ok(_array({"type": "string"})),
                parameters=[DELETED],
                errors={404: ID_404},
                tag="schemas",
            ),
        },
        "/schemas/ids/{id}/versions": {
            "parameters": [ID],
            "get": _operation(
                "List subject versions using an id",
                _ok(_array(_ref("SubjectVersion"))),
                parameters=[DELETED],
                errors={404: ID_404},
                tag="schemas",
            ),
        },
        "/compatibility/subjects/{subject}/versions/{version}": {
            "parameters": [SUBJECT, VERSION],
            "post": _operation(
                "Test compatibility against a version",
                _ok(_ref("CompatibilityResult")),
                parameters=[NORMALIZE, VERBOSE],
                body=SCHEMA_BODY,
                errors={404: VERSION_404, 422: "42201 invalid schema, 42202 invalid version, " + SHAPE_422},
                tag="compatibility",
            ),
        },
        "/compatibility/subjects/{subject}/versions": {
            "parameters": [SUBJECT],
            "post": _operation(
                "Test compatibility against the subject's versions",
                _ok(_ref("CompatibilityResult")),
                parameters=[NORMALIZE, VERBOSE],
                body=SCHEMA_BODY,
                errors={422: SCHEMA_422},
                tag="compatibility",
            ),
        },
        "/config": {
            "get": _operation("Get the global compatibility level", _ok(_ref("Config")), tag="config"),
            "put": _operation(
                "Set the global compatibility level",
                _ok(_ref("ConfigUpdated")),
                body=_body("ConfigRequest", "The new level."),
                errors={422: LEVEL_422},
                write=True,
                tag="config",
            ),
            "delete": _operation(
                "Reset the global compatibility level",
                _ok(_ref("Config"), "The level before"),
                write=True,
                tag="config",
            ),
        },
        "/config/{subject}": {
            "parameters": [SUBJECT],
            "get": _operation(
                "Get a subject's compatibility level",
                _ok(_ref("Config")),
                parameters=[DEFAULT_TO_GLOBAL],
                errors={404: "40408 the subject has no level of its own"},
                tag="config",
            ),
            "put": _operation(
                "Set a subject's compatibility level",
                _ok(_ref("ConfigUpdated")),
                body=_body("ConfigRequest", "The new level."),
                errors={422: LEVEL_422},
                write=True,
                tag="config",
            ),
            "delete": _operation(
                "Reset a subject's compatibility level",
                _ok(_ref("Config"), "The level before"),
                errors={404: "40408 the subject has no level of its own"},
                write=True,
                tag="config",
            ),
        },
        "/mode": {
            "get": _operation("Get the global mode", _ok(_ref("Mode")), tag="mode"),
            "put": _operation(
                "Set the global mode",
                _ok(_ref("Mode")),
                parameters=[FORCE],
                body=_body("Mode", "The new mode."),
                errors={422: "42204 invalid mode, 42205 IMPORT while subjects exist, " + SHAPE_422},
                write=True,
                tag="mode",
            ),
        },
        "/mode/{subject}": {
            "parameters": [SUBJECT],
            "get": _operation(
                "Get a subject's mode",
                _ok(_ref("Mode")),
                parameters=[DEFAULT_TO_GLOBAL],
                errors={404: "40409 the subject has no mode of its own"},
                tag="mode",
            ),
            "put": _operation(
                "Set a subject's mode",
                _ok(_ref("Mode")),
                parameters=[FORCE],
                body=_body("Mode", "The new mode."),
                errors={422: "42204 invalid mode, 42205 IMPORT while the subject has versions, " + SHAPE_422},
                write=True,
                tag="mode",
            ),
            "delete": _operation(
                "Reset a subject's mode",
                _ok(_ref("Mode"), "The mode before"),
                errors={404: "40409 the subject has no mode of its own"},
                write=True,
                tag="mode",
            ),
        },
        "/openapi.json": {"get": _operation("Get this document", _ok({"type": "object"}), tag="server")},
        "/v1/metadata/id": {
            "get": _operation(
                "Get the cluster id",
                _ok(_object({"scope": {"type": "object"}}, ("scope",))),
                tag="server",
            )
        },
    }


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Schema Registry (governance)",
            "version": "1",
            "description": "Confluent Schema Registry's REST API for Avro schemas, stored in Kafka's _schemas topic.",
        },
        "tags": [{"name": name} for name in ("subjects", "schemas", "compatibility", "config", "mode", "server")],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
        },
        "security": [{}, {"basic": []}],
    }
