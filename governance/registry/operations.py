"""The OpenAPI `Operation` of each registry route, named for the handler it documents.

`RegistryApp`'s route table hands each route its operation, so a route cannot be added
without one; openapi.py assembles /openapi.json from the table.
"""

from __future__ import annotations

from governance.registry.openapi import (
    SHAPE_422,
    Operation,
    array,
    flag,
    object_schema,
    ok,
    query,
    ref,
    request_body,
)

DELETED = flag("deleted", "Include soft-deleted subjects and versions.")
PERMANENT = flag("permanent", "Delete for good; only what was soft-deleted first.")
NORMALIZE = flag("normalize", "Compare and store the normalized form of the schema.")
VERBOSE = flag("verbose", "Explain every incompatibility in `messages`.")
DEFAULT_TO_GLOBAL = flag("defaultToGlobal", "Answer the global setting when the subject has none.")
FORCE = flag("force", "Switch to IMPORT even though subjects exist.")
LATEST_ONLY = flag("latestOnly", "Only each subject's latest version.")
FORMAT = query("format", {"type": "string", "enum": ["", "serialized"]},
               "`serialized`: a Protobuf schema as its base64 FileDescriptorProto (what confluent-kafka's "
               "serializers ask for); other schemas as stored.")
SUBJECT_PREFIX = query("subjectPrefix", {"type": "string", "default": ""}, "Only subjects starting with this.")

SUBJECT_404 = "40401 subject not found"
VERSION_404 = "40401 subject not found, 40402 version not found"
VERSION_422 = "42202 invalid version"
ID_404 = "40403 schema not found"
SCHEMA_422 = "42201 invalid schema, " + SHAPE_422
LEVEL_422 = "42203 invalid compatibility level or policy, " + SHAPE_422
NO_LEVEL_404 = "40408 the subject has no level of its own"
NO_MODE_404 = "40409 the subject has no mode of its own"

SCHEMA_BODY = request_body("SchemaRequest", "The schema and, optionally, its references and data contract.")
LEVEL_BODY = request_body("ConfigRequest", "The new level and/or JSON Schema compatibility policy.")
MODE_BODY = request_body("Mode", "The new mode.")
SCHEMA_OK = ok(ref("SubjectVersionSchema"))
RAW_SCHEMA_OK = ok({}, "The schema itself: an Avro schema as JSON, a Protobuf schema as its bare text")
INTEGERS_OK = ok(array({"type": "integer"}))
STRINGS_OK = ok(array({"type": "string"}))
COMPATIBILITY_OK = ok(ref("CompatibilityResult"))

# -- subjects ---------------------------------------------------------------------

LIST_SUBJECTS = Operation("List subjects", "subjects", STRINGS_OK, (DELETED, SUBJECT_PREFIX))
LIST_VERSIONS = Operation(
    "List versions of a subject", "subjects", INTEGERS_OK, (DELETED,), errors={404: SUBJECT_404}
)
REGISTER = Operation(
    "Register a schema",
    "subjects",
    ok(ref("RegisteredId"), "The schema's id (an existing one if already registered)"),
    (NORMALIZE,),
    SCHEMA_BODY,
    {
        409: "409 incompatible with earlier versions",
        422: "42201 invalid schema, 42205 not permitted (mode, id or version taken), " + SHAPE_422,
    },
)
GET_VERSION = Operation(
    "Get a version of a subject", "subjects", SCHEMA_OK, (DELETED, FORMAT), errors={404: VERSION_404, 422: VERSION_422}
)
GET_VERSION_SCHEMA = Operation(
    "Get the schema of a version", "subjects", RAW_SCHEMA_OK, (DELETED, FORMAT), errors={404: VERSION_404, 422: VERSION_422}
)
REFERENCED_BY = Operation(
    "List ids of schemas referencing a version", "subjects", INTEGERS_OK, errors={404: VERSION_404, 422: VERSION_422}
)
DELETE_VERSION = Operation(
    "Delete a version of a subject",
    "subjects",
    ok({"type": "integer"}, "The version deleted"),
    (PERMANENT,),
    errors={
        404: VERSION_404 + ", 40406 version already soft-deleted, 40407 version not soft-deleted first",
        422: VERSION_422 + ", 42205 read-only mode, 42206 a schema references it",
    },
)
LOOKUP = Operation(
    "Look up a schema under a subject",
    "subjects",
    SCHEMA_OK,
    (NORMALIZE, DELETED, FORMAT),
    SCHEMA_BODY,
    {404: "40401 subject not found, 40403 schema not found", 422: SCHEMA_422},
)
DELETE_SUBJECT = Operation(
    "Delete a subject",
    "subjects",
    ok(array({"type": "integer"}), "The versions deleted"),
    (PERMANENT,),
    errors={
        404: SUBJECT_404 + ", 40404 subject already soft-deleted, 40405 subject not soft-deleted first",
        422: "42205 read-only mode, 42206 a schema references it",
    },
)

# -- schemas ----------------------------------------------------------------------

LIST_SCHEMAS = Operation(
    "List schemas", "schemas", ok(array(ref("SubjectVersionSchema"))), (SUBJECT_PREFIX, DELETED, LATEST_ONLY)
)
SCHEMA_TYPES = Operation("List schema types", "schemas", STRINGS_OK)
SCHEMA_BY_ID = Operation("Get a schema by id", "schemas", ok(ref("SchemaById")), (FORMAT,), errors={404: ID_404})
SCHEMA_TEXT_BY_ID = Operation("Get the schema text by id", "schemas", RAW_SCHEMA_OK, (FORMAT,), errors={404: ID_404})
SUBJECTS_OF_ID = Operation("List subjects using an id", "schemas", STRINGS_OK, (DELETED,), errors={404: ID_404})
VERSIONS_OF_ID = Operation(
    "List subject versions using an id", "schemas", ok(array(ref("SubjectVersion"))), (DELETED,), errors={404: ID_404}
)

# -- compatibility ----------------------------------------------------------------

CHECK_ONE = Operation(
    "Test compatibility against a version",
    "compatibility",
    COMPATIBILITY_OK,
    (NORMALIZE, VERBOSE),
    SCHEMA_BODY,
    {404: VERSION_404, 422: "42201 invalid schema, 42202 invalid version, " + SHAPE_422},
)
CHECK_ALL = Operation(
    "Test compatibility against the subject's versions",
    "compatibility",
    COMPATIBILITY_OK,
    (NORMALIZE, VERBOSE),
    SCHEMA_BODY,
    {422: SCHEMA_422},
)

# -- config -----------------------------------------------------------------------

GET_GLOBAL_CONFIG = Operation("Get the global compatibility level", "config", ok(ref("Config")))
SET_GLOBAL_CONFIG = Operation(
    "Set the global compatibility level", "config", ok(ref("ConfigUpdated")), body=LEVEL_BODY, errors={422: LEVEL_422}
)
DELETE_GLOBAL_CONFIG = Operation(
    "Reset the global compatibility level", "config", ok(ref("Config"), "The level before")
)
GET_CONFIG = Operation(
    "Get a subject's compatibility level", "config", ok(ref("Config")), (DEFAULT_TO_GLOBAL,),
    errors={404: NO_LEVEL_404},
)
SET_CONFIG = Operation(
    "Set a subject's compatibility level", "config", ok(ref("ConfigUpdated")), body=LEVEL_BODY, errors={422: LEVEL_422}
)
DELETE_CONFIG = Operation(
    "Reset a subject's compatibility level", "config", ok(ref("Config"), "The level before"),
    errors={404: NO_LEVEL_404},
)

# -- mode -------------------------------------------------------------------------

GET_GLOBAL_MODE = Operation("Get the global mode", "mode", ok(ref("Mode")))
SET_GLOBAL_MODE = Operation(
    "Set the global mode", "mode", ok(ref("Mode")), (FORCE,), MODE_BODY,
    {422: "42204 invalid mode, 42205 IMPORT while subjects exist, " + SHAPE_422},
)
GET_MODE = Operation("Get a subject's mode", "mode", ok(ref("Mode")), (DEFAULT_TO_GLOBAL,), errors={404: NO_MODE_404})
SET_MODE = Operation(
    "Set a subject's mode", "mode", ok(ref("Mode")), (FORCE,), MODE_BODY,
    {422: "42204 invalid mode, 42205 IMPORT while the subject has versions, " + SHAPE_422},
)
DELETE_MODE = Operation("Reset a subject's mode", "mode", ok(ref("Mode"), "The mode before"), errors={404: NO_MODE_404})

# -- server -----------------------------------------------------------------------

ROOT = Operation("Root", "server", ok({"type": "object"}))
OPENAPI = Operation("Get this document", "server", ok({"type": "object"}))
METADATA_ID = Operation("Get the cluster id", "server", ok(object_schema({"scope": {"type": "object"}}, ("scope",))))
HEALTH = Operation("Liveness probe", "server", {**ok(ref("Health")), "503": ok(ref("Health"), "Unhealthy")["200"]},
                   public=True)
KARAPACE_HEALTH = Operation("Liveness probe at Karapace's path", "server", HEALTH.ok, public=True)
READY = Operation("Readiness probe", "server", {**ok(ref("Readiness")), "503": ok(ref("Readiness"), "Not ready")["200"]},
                  public=True)
METRICS = Operation("Prometheus metrics", "server", {"200": {
    "description": "The Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}},
    public=True)
