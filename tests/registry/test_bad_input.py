"""Bad requests get Confluent's status and error code and a message naming the problem; never a 500."""

from __future__ import annotations

import json

import pytest
from registry_helpers import http

GOOD = json.dumps({"type": "record", "name": "Bad", "fields": [{"name": "a", "type": "int"}]})


@pytest.fixture
def subject(unique_name: str) -> str:
    return unique_name


def test_malformed_request_body(registry_url: str, subject: str) -> None:
    status, body = http("POST", f"{registry_url}/subjects/{subject}/versions", raw=b'{"schema": ')
    assert (status, body["error_code"]) == (400, 400)
    assert "not valid JSON" in body["message"]


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ('{"type": "record", "name": "R", "fields": [', "line"),
        (json.dumps({"type": "record", "name": "1bad", "fields": []}), "1bad"),
        (json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}, {"name": "a", "type": "long"}]}), "a"),
        (json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int", "default": "x"}]}), "default"),
        (json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "com.nowhere.Thing"}]}), "com.nowhere.Thing"),
    ],
    ids=["malformed-json", "bad-name", "duplicate-field", "bad-default", "unknown-type"],
)
def test_invalid_avro_is_422_42201_with_the_reason(registry_url: str, subject: str, schema: str, words: str) -> None:
    status, body = http("POST", f"{registry_url}/subjects/{subject}/versions", {"schema": schema})
    assert (status, body["error_code"]) == (422, 42201)
    assert words in body["message"]


def test_schema_field_missing(registry_url: str, subject: str) -> None:
    status, body = http("POST", f"{registry_url}/subjects/{subject}/versions", {"schemaa": GOOD})
    assert (status, body["error_code"]) == (422, 42201)


def test_unsupported_schema_type(registry_url: str, subject: str) -> None:
    status, body = http("POST", f"{registry_url}/subjects/{subject}/versions", {"schema": "{}", "schemaType": "XML"})
    assert (status, body["error_code"]) == (422, 42201)
    assert "XML" in body["message"] and "AVRO, PROTOBUF, JSON" in body["message"]


def test_unknown_subject_version_and_id(registry_url: str, subject: str) -> None:
    assert http("GET", f"{registry_url}/subjects/{subject}/versions")[1]["error_code"] == 40401
    http("POST", f"{registry_url}/subjects/{subject}/versions", {"schema": GOOD})
    assert http("GET", f"{registry_url}/subjects/{subject}/versions/99")[1]["error_code"] == 40402
    assert http("GET", f"{registry_url}/schemas/ids/987654321")[1]["error_code"] == 40403
    assert http("GET", f"{registry_url}/schemas/ids/abc")[0] == 404
    status, body = http("POST", f"{registry_url}/subjects/{subject}", {"schema": GOOD.replace('"int"', '"long"')})
    assert (status, body["error_code"]) == (404, 40403)


@pytest.mark.parametrize("version", ["0", "abc", "-2", "2147483648", "+1", "1_0", "%201", "%D9%A1"])
def test_invalid_version_is_42202(registry_url: str, subject: str, version: str) -> None:
    http("POST", f"{registry_url}/subjects/{subject}/versions", {"schema": GOOD})
    status, body = http("GET", f"{registry_url}/subjects/{subject}/versions/{version}")
    assert (status, body["error_code"]) == (422, 42202)


def test_invalid_level_and_mode(registry_url: str, subject: str) -> None:
    status, body = http("PUT", f"{registry_url}/config/{subject}", {"compatibility": "SIDEWAYS"})
    assert (status, body["error_code"]) == (422, 42203) and "SIDEWAYS" in body["message"]
    status, body = http("PUT", f"{registry_url}/mode/{subject}", {"mode": "READMOSTLY"})
    assert (status, body["error_code"]) == (422, 42204) and "READMOSTLY" in body["message"]


def test_unknown_path_and_method(registry_url: str) -> None:
    assert http("GET", f"{registry_url}/nothing/here")[0] == 404
    assert http("PATCH", f"{registry_url}/subjects")[0] == 405


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"schema": "\\"int\\"", "metadata": {"x": NaN}}', "NaN"),
        (b'{"schema": "\\"int\\"", "metadata": {"x": -Infinity}}', "Infinity"),
        (b'{"schema": "\\"int\\"", "metadata": {"x": 1e400}}', "1e400"),
    ],
    ids=["deep-nesting", "nan", "infinity", "float-overflow"],
)
def test_body_that_is_not_strict_json_is_400(registry_url: str, subject: str, raw: bytes, words: str) -> None:
    status, body = http("POST", f"{registry_url}/subjects/{subject}/versions", raw=raw)
    assert (status, body["error_code"]) == (400, 400)
    assert words in body["message"]


@pytest.mark.parametrize("where", ["metadata", "ruleSet", "reference-name"])
def test_lone_surrogate_in_the_body_is_400(registry_url: str, subject: str, where: str) -> None:
    request = {
        "metadata": {"schema": GOOD, "metadata": {"properties": {"owner": "x\udc00"}}},
        "ruleSet": {"schema": GOOD, "ruleSet": {"domainRules": [{"name": "\ud800"}]}},
        "reference-name": {"schema": GOOD, "references": [{"name": "\udfff", "subject": subject, "version": 1}]},
    }[where]
    status, body = http("POST", f"{registry_url}/subjects/{subject}/versions", request)
    assert (status, body["error_code"]) == (400, 400)
    assert "surrogate" in body["message"]


def test_lone_surrogate_escaped_inside_the_schema_text_is_42201(registry_url: str, subject: str) -> None:
    schema = '{"type": "record", "name": "R", "doc": "lone \\udc00 surrogate", "fields": []}'
    for url in (f"{registry_url}/subjects/{subject}/versions", f"{registry_url}/compatibility/subjects/{subject}/versions"):
        status, body = http("POST", url, {"schema": schema})
        assert (status, body["error_code"]) == (422, 42201)
        assert "\\udc00" in body["message"]
