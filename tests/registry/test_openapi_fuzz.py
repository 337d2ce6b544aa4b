"""/openapi.json describes every route, and schemathesis fuzzing a live registry from it
finds no request, however odd, that gets a 5xx or an answer the document does not allow
(status, content type and body)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from registry_helpers import RegistryProcess, http
from schemathesis.core.result import Ok

from governance.kafka import KafkaSettings
from governance.registry import operations
from governance.registry.app import RegistryApp, Route
from governance.registry.openapi import openapi_document
from governance.registry.service import RegistryService
from governance.registry.state import RegistryState

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
NAMES = ["A", "B", "C", "D", "E", "com.example.A", "x.B", "y.C", "1bad"]
FIELD_NAMES = ["a", "b", "c", "d", "id", "1x"]
SYMBOLS = ["A", "B", "C", "1"]
# Docs with lone surrogates (category Cs), which a schema's text can carry as \udc00 escapes.
DOCS = st.sampled_from(["lone \udc00 surrogate", "non-ASCII é 😀"]) | st.text(
    st.characters(categories=["L", "N", "P", "Z", "Cs"]), max_size=3
)


def _named(kind: str, **required: st.SearchStrategy) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {"type": st.just(kind), "name": st.sampled_from(NAMES), **required},
        optional={
            "namespace": st.sampled_from(["com.example", "com.other", "", "9x"]),
            "aliases": st.lists(st.sampled_from(NAMES), max_size=2),
            "doc": DOCS,
        },
    )


def _record(field_types: st.SearchStrategy) -> st.SearchStrategy[dict]:
    field = st.fixed_dictionaries(
        {"name": st.sampled_from(FIELD_NAMES), "type": field_types},
        optional={"default": JSON_VALUES, "aliases": st.lists(st.sampled_from(FIELD_NAMES), max_size=2), "doc": DOCS},
    )
    return _named("record", fields=st.lists(field, max_size=4))


def _composite(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        _record(inner),
        st.fixed_dictionaries({"type": st.just("array"), "items": inner}),
        st.fixed_dictionaries({"type": st.just("map"), "values": inner}),
        st.lists(inner, max_size=3),
    )


AVRO_TYPES = st.recursive(
    st.one_of(
        st.sampled_from(PRIMITIVES + NAMES),
        st.fixed_dictionaries(
            {"type": st.sampled_from(PRIMITIVES)},
            optional={
                "logicalType": st.sampled_from(["date", "timestamp-millis", "decimal", "uuid"]),
                "precision": st.integers(-1, 40),
                "scale": st.integers(-1, 40),
            },
        ),
        _named("enum", symbols=st.lists(st.sampled_from(SYMBOLS), max_size=4)).flatmap(
            lambda enum: st.just(enum) | st.sampled_from(SYMBOLS + ["Z"]).map(lambda d: {**enum, "default": d})
        ),
        _named("fixed", size=st.integers(-1, 20)),
    ),
    _composite,
    max_leaves=8,
)
# Mostly Avro-shaped schemas, valid or nearly so, so that registration, lookup and the
# compatibility engine are reached; then any JSON, then any text.
AVRO_SCHEMA_TEXTS = st.one_of(
    _record(AVRO_TYPES).map(json.dumps),
    AVRO_TYPES.map(json.dumps),
    JSON_VALUES.map(json.dumps),
    st.text(max_size=20),
)
schemathesis.openapi.format("avro-schema", AVRO_SCHEMA_TEXTS)
# Path values and references drawn often from a few known ones, so that requests meet earlier writes.
POOLS: dict[str, list[Any]] = {
    "subject": ["fuzz-a", "fuzz-b", "fuzz/c", "fuzz d"],
    "version": ["1", "2", "3", "latest", "-1"],
    "id": [1, 2, 3, 4, 5],
}

# Built from the document in-process: schemathesis' fixture-based loader does not work
# with pytest 9.2 (it sets `Node._nodeid`, which pytest no longer has). The served
# document is shown to be this one by test_served_document_is_valid_openapi.
ROUTES = RegistryApp(RegistryService(RegistryState(), lambda writes: None)).routes
DOCUMENT = openapi_document(ROUTES)
api = schemathesis.openapi.from_dict(DOCUMENT)


@api.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy:
    if not path_parameters:
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {
            name: st.just(value) | st.sampled_from(POOLS[name]) if name in POOLS else st.just(value)
            for name, value in path_parameters.items()
        }
    )


@api.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy:
    if not (isinstance(body, dict) and isinstance(body.get("references"), list)):
        return st.just(body)
    known = st.fixed_dictionaries(
        {
            "name": st.sampled_from(NAMES),
            "subject": st.sampled_from(POOLS["subject"]),
            "version": st.sampled_from([1, 2, -1]),
        }
    )
    return st.just(body) | st.lists(known, max_size=2).map(lambda references: {**body, "references": references})


@pytest.fixture(scope="module")
def fuzzed_registry(kafka: KafkaSettings) -> Iterator[str]:
    """A registry of its own, so that fuzzed global config and mode reach no other test."""
    registry = RegistryProcess(kafka.bootstrap_servers, topic=f"_schemas-fuzz-{uuid.uuid4().hex[:8]}")
    try:
        yield registry.url
    finally:
        registry.stop()


@pytest.fixture
def fresh_globals(fuzzed_registry: str) -> None:
    """Each operation is fuzzed from the default global mode and level, whatever came before."""
    assert http("PUT", f"{fuzzed_registry}/mode", {"mode": "READWRITE"})[0] == 200
    assert http("DELETE", f"{fuzzed_registry}/config")[0] == 200


def test_every_route_is_documented_once_and_nothing_else() -> None:
    operations_by_route = {
        (method.upper(), path): operation
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }
    assert set(operations_by_route) == {(route.method, "/" + route.path) for route in ROUTES}
    ids = [operation["operationId"] for operation in operations_by_route.values()]
    assert len(set(ids)) == len(ids) == len(ROUTES)
    for path, item in DOCUMENT["paths"].items():
        assert [p["name"] for p in item.get("parameters", [])] == re.findall(r"\{(\w+)\}", path)


def test_a_route_needs_its_operation_and_known_path_parameters() -> None:
    with pytest.raises(TypeError):
        Route("GET", "things", lambda q: (200, []))  # type: ignore[call-arg]
    with pytest.raises(KeyError, match="thing"):
        openapi_document([Route("GET", "things/{thing}", lambda q: (200, {}), operations.ROOT)])


def test_served_document_is_valid_openapi(registry_url: str) -> None:
    status, served = http("GET", f"{registry_url}/openapi.json")
    assert (status, served) == (200, DOCUMENT)
    loaded = schemathesis.openapi.from_url(f"{registry_url}/openapi.json")
    loaded.validate()
    operations = list(loaded.get_all_operations())
    assert operations and all(isinstance(result, Ok) for result in operations), operations


@api.parametrize()
@settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_only_documented_answers(
    case: schemathesis.Case, fuzzed_registry: str, fresh_globals: None
) -> None:
    case.call_and_validate(base_url=fuzzed_registry, checks=CHECKS)
