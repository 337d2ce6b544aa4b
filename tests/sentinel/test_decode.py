"""The poison corpus: every bad value becomes a DecodeFailure with a reason, never an exception."""

from __future__ import annotations

import json
import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from governance.errors import GovernanceError
from governance.sentinel.decode import Decoder, DecodeFailure

USER = {"type": "record", "name": "User", "namespace": "com.example.sentinel", "fields": [
    {"name": "id", "type": "string"},
    {"name": "age", "type": "int"},
    {"name": "address", "type": {"type": "record", "name": "Address", "fields": [{"name": "zip", "type": "string"}]}},
]}
OTHER = {"type": "record", "name": "Other", "namespace": "com.example.sentinel", "fields": [{"name": "n", "type": "long"}]}
RECORD = {"id": "u-1", "age": 42, "address": {"zip": "10115"}}


@pytest.fixture
def setup(registry_url: str, unique_name: str) -> tuple[Decoder, bytes, bytes, int]:
    """A decoder for `<unique>-value`, a good value, a value of another subject and its id."""
    client = SchemaRegistryClient({"url": registry_url})
    subject, other_subject = f"{unique_name}-value", f"{unique_name}-other-value"
    client.register_schema(subject, Schema(json.dumps(USER), "AVRO"))
    other_id = client.register_schema(other_subject, Schema(json.dumps(OTHER), "AVRO"))
    conf = {"auto.register.schemas": False, "use.latest.version": True}
    good = AvroSerializer(client, json.dumps(USER), conf=conf)(
        RECORD, SerializationContext(unique_name, MessageField.VALUE))
    foreign = AvroSerializer(client, json.dumps(OTHER), conf=conf)(
        {"n": 7}, SerializationContext(f"{unique_name}-other", MessageField.VALUE))
    return Decoder("avro", registry_url, subject), good, foreign, other_id


class CountingProxy:
    """A pass-through HTTP proxy in front of the real registry that counts the requests it forwards."""

    def __init__(self, target: str) -> None:
        import threading
        import urllib.request
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self
        self.requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                proxy.requests.append(self.path)
                with urllib.request.urlopen(target + self.path, timeout=10) as answer:
                    body = answer.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_wire_format_avro_decodes_and_asks_the_registry_about_an_id_once(
    setup: tuple[Decoder, bytes, bytes, int], registry_url: str
) -> None:
    _, good, _, _ = setup
    assert good[0] == 0
    proxy = CountingProxy(registry_url)
    try:
        decoder = Decoder("avro", proxy.url, setup[0].subject)
        for _ in range(3):
            assert decoder.decode(good) == RECORD
        assert decoder.decode_batch([good] * 5) == [RECORD] * 5
        schema_id = struct.unpack(">I", good[1:5])[0]
        asked = list(proxy.requests)
        assert asked and all(str(schema_id) in path for path in asked)
        assert len(asked) == len(set(asked)), f"the same question twice: {asked}"
    finally:
        proxy.close()


def test_an_avro_schema_with_references_of_references_decodes(registry_url: str, unique_name: str) -> None:
    import io

    import fastavro

    from registry_helpers import http

    ns = "t" + unique_name.rsplit("-", 1)[-1]
    zip_code = {"type": "record", "name": f"{ns}.Zip", "fields": [{"name": "code", "type": "string"}]}
    address = {"type": "record", "name": f"{ns}.Address", "fields": [{"name": "zip", "type": f"{ns}.Zip"}]}
    user = {"type": "record", "name": f"{ns}.User", "fields": [{"name": "address", "type": f"{ns}.Address"}]}
    http("POST", f"{registry_url}/subjects/{unique_name}-zip/versions", {"schema": json.dumps(zip_code)})
    http("POST", f"{registry_url}/subjects/{unique_name}-address/versions", {"schema": json.dumps(address), "references": [
        {"name": f"{ns}.Zip", "subject": f"{unique_name}-zip", "version": 1}]})
    status, answer = http("POST", f"{registry_url}/subjects/{unique_name}-value/versions", {"schema": json.dumps(user), "references": [
        {"name": f"{ns}.Address", "subject": f"{unique_name}-address", "version": 1}]})
    assert status == 200, answer
    named: dict = {}
    for schema in (zip_code, address):
        fastavro.parse_schema(schema, named_schemas=named)
    body = io.BytesIO()
    record = {"address": {"zip": {"code": "10115"}}}
    fastavro.schemaless_writer(body, fastavro.parse_schema(user, named_schemas=named), record)
    value = b"\x00" + struct.pack(">I", answer["id"]) + body.getvalue()
    assert Decoder("avro", registry_url, f"{unique_name}-value").decode(value) == record


def poison_avro(good: bytes, foreign: bytes) -> dict[str, tuple[bytes | None, str]]:
    schema_id = struct.unpack(">I", good[1:5])[0]
    return {
        "wrong magic byte": (b"\x01" + good[1:], "magic byte is 1, expected 0"),
        "json instead of avro": (b'{"id": "u-1"}', "magic byte is 123"),
        "unknown id": (b"\x00" + struct.pack(">I", 999_999) + good[5:], "unknown schema id 999999"),
        "id of another subject": (foreign, "not under"),
        "truncated avro": (good[:-3], "truncated Avro"),
        "header only": (good[:5], "truncated Avro"),
        "trailing garbage": (good + b"\x00\x01", "2 bytes of trailing garbage"),
        "corrupt length": (good[:5] + b"\x7f" + good[6:], f"schema id {schema_id}"),
        "random bytes": (b"\x00" + good[1:5] + os.urandom(3) + b"\xff" * 20, f"schema id {schema_id}"),
        "too short": (b"\x00\x00", "too short"),
        "empty value": (b"", "empty value"),
        "null value": (None, "null value"),
    }


def test_poison_avro_gives_reasons(setup: tuple[Decoder, bytes, bytes, int]) -> None:
    decoder, good, foreign, other_id = setup
    for name, (value, reason) in poison_avro(good, foreign).items():
        out = decoder.decode(value)
        assert isinstance(out, DecodeFailure), name
        assert reason in out.reason, (name, out.reason)
        assert out.exception_class, name
    # the verdict on a foreign id is cached, and still says why
    assert str(other_id) in decoder.decode(foreign).reason  # type: ignore[union-attr]
    assert decoder.decode(good) == RECORD


def test_random_values_never_raise(setup: tuple[Decoder, bytes, bytes, int]) -> None:
    decoder, good, _, _ = setup
    for n in range(300):
        value = os.urandom(n % 40) if n % 2 else good[:5] + os.urandom(n % 40)
        out = decoder.decode(value)
        assert isinstance(out, (dict, DecodeFailure))


@pytest.mark.parametrize(("value", "reason"), [
    (b"\xff\xfe{}", "not UTF-8 JSON"),
    (b'{"a": "\xe9"}', "not UTF-8 JSON"),
    (b"{not json", "not JSON"),
    (b'{"a": 1} trailing', "not JSON"),
    (b"[1, 2]", "JSON value is list, not an object"),
    (b'"text"', "JSON value is str, not an object"),
    (b"null", "JSON value is NoneType, not an object"),
    (b'{"a":' * 100 + b"1" + b"}" * 100, "nested deeper than 64"),
    (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64"),
    (b"", "empty value"),
    (None, "null value"),
])
def test_poison_json_gives_reasons(value: bytes | None, reason: str) -> None:
    out = Decoder("json").decode(value)
    assert isinstance(out, DecodeFailure) and reason in out.reason, out


def test_json_objects_decode_and_brackets_in_strings_do_not_count() -> None:
    decoder = Decoder("json")
    deep_string = {"s": "[" * 500, "nested": {"a": {"b": [1, {"c": 2}]}}}
    assert decoder.decode(json.dumps(deep_string).encode()) == deep_string


def test_an_unreachable_registry_is_an_environment_error_not_poison() -> None:
    decoder = Decoder("avro", "http://127.0.0.1:9", "s-value", timeout=2)
    with pytest.raises(GovernanceError, match="cannot reach the schema registry"):
        decoder.decode(b"\x00\x00\x00\x00\x01\x02")


def test_a_batch_decodes_exactly_as_each_value_alone(setup: tuple[Decoder, bytes, bytes, int]) -> None:
    """Batch decoding reads bodies from one buffer; a bad value among good ones must
    neither change its own reason nor disturb its neighbours."""
    decoder, good, foreign, _ = setup
    values = [good, good[:-1], good, good + b"\x00", None, b"", b"\x01" + good[1:], foreign, good,
              good[:5] + b"\xff" * 12, good[:6], good]
    expected = [decoder.decode(v) for v in values]
    assert decoder.decode_batch(values) == expected
    assert [isinstance(r, dict) for r in expected] == [True, False, True, False, False, False, False, False, True,
                                                       False, False, True]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_batch_decoding_equals_one_by_one_on_mutated_values(setup: tuple[Decoder, bytes, bytes, int], data: st.DataObject) -> None:
    decoder, good, _, _ = setup
    mutated = st.one_of(
        st.just(good),
        st.integers(5, len(good)).map(lambda n: good[:n]),
        st.binary(max_size=8).map(lambda tail: good + tail),
        st.binary(max_size=40).map(lambda body: good[:5] + body),
        st.tuples(st.integers(5, len(good) - 1), st.integers(0, 255)).map(
            lambda pos_byte: good[:pos_byte[0]] + bytes([pos_byte[1]]) + good[pos_byte[0] + 1:]),
    )
    values = data.draw(st.lists(mutated, max_size=12))
    assert decoder.decode_batch(values) == [decoder.decode(v) for v in values]


def test_an_avro_writer_schema_with_references_of_references_is_read(registry_url: str, unique_name: str) -> None:
    from confluent_kafka.schema_registry import SchemaReference

    client = SchemaRegistryClient({"url": registry_url})
    zone = {"type": "record", "name": "Zone", "namespace": "com.example.sentinel", "fields": [{"name": "code", "type": "string"}]}
    address = {"type": "record", "name": "Address", "namespace": "com.example.sentinel",
               "fields": [{"name": "zip", "type": "string"}, {"name": "zone", "type": "com.example.sentinel.Zone"}]}
    user = {"type": "record", "name": "User", "namespace": "com.example.sentinel",
            "fields": [{"name": "id", "type": "string"}, {"name": "address", "type": "com.example.sentinel.Address"}]}
    client.register_schema(f"{unique_name}-zone", Schema(json.dumps(zone), "AVRO"))
    client.register_schema(f"{unique_name}-address", Schema(json.dumps(address), "AVRO", [
        SchemaReference("com.example.sentinel.Zone", f"{unique_name}-zone", 1)]))
    schema = Schema(json.dumps(user), "AVRO", [SchemaReference("com.example.sentinel.Address", f"{unique_name}-address", 1)])
    client.register_schema(f"{unique_name}-value", schema)
    record = {"id": "u-1", "address": {"zip": "10115", "zone": {"code": "B"}}}
    value = AvroSerializer(client, schema, conf={"auto.register.schemas": False, "use.latest.version": True})(
        record, SerializationContext(unique_name, MessageField.VALUE))
    assert Decoder("avro", registry_url, f"{unique_name}-value").decode(value) == record
