"""Record values to dicts: Confluent wire-format Avro, Protobuf or JSON Schema, or plain JSON.

Poison never raises: every bad value becomes a `DecodeFailure` with a reason the
DLQ headers can carry. Only an unreachable registry raises (`GovernanceError`),
because then no value is at fault and routing them all to the DLQ would be wrong.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from governance.errors import GovernanceError
from governance.formats import format_for
from governance.json_schema.errors import JsonBodyError, JsonSchemaViolation
from governance.protobuf.errors import ProtobufDecodeError
from governance.registry.client import RegistryClient, RegistryClientError, referenced_texts

if TYPE_CHECKING:
    from governance.sentinel.valid_subject import ValidSubject

MAX_JSON_DEPTH = 64
_MAX_REJECTED_IDS = 10_000
_SCHEMA_TYPES = {"avro": "AVRO", "protobuf": "PROTOBUF", "json_schema": "JSON"}
"""The registry's `schemaType` of the schemas each registry-backed value format reads."""
_LABELS = {"avro": "Avro", "protobuf": "Protobuf", "json_schema": "JSON Schema"}
_MIN_LENGTH = {"avro": 5, "protobuf": 6, "json_schema": 5}
"""Magic byte and schema id; Protobuf's message-index list takes at least one byte more."""
_GUID_MAGIC = 1


Writer = tuple[int, dict[str, Any], dict[str, str]]
"""A writer schema as `Decoder.writer` gives it: version, registration, referenced texts by name."""


@dataclass(frozen=True)
class DecodeFailure:
    reason: str
    exception_class: str
    subjects: tuple[str, ...] = ()
    """The subjects the value's schema id is registered under, when it is not the pipeline's."""


class _NotFound(Exception):
    pass


class Decoder:
    def __init__(self, value_format: Literal["avro", "protobuf", "json_schema", "json"], registry_url: str | None = None,
                 subject: str | None = None, timeout: float = 10.0, max_json_depth: int = MAX_JSON_DEPTH,
                 valid_subject: str | None = None) -> None:
        """`valid_subject`: where each accepted writer schema is registered too (see `valid_subject.py`)."""
        if value_format not in ("avro", "protobuf", "json_schema", "json"):
            raise ValueError(f"unknown value format {value_format!r}")
        if value_format != "json" and (registry_url is None or subject is None):
            raise GovernanceError(f"{_LABELS[value_format]} pipelines need a schema registry URL and a subject")
        self.value_format = value_format
        self._registry = RegistryClient(registry_url or "", timeout, unreachable_hint=(
            "start it (`governance registry serve`) or pass --registry URL"))
        self.subject = subject
        self.max_json_depth = max_json_depth
        self._readers: dict[int, Callable[[BinaryIO], Any]] = {}  # id -> its format's reader of a value body
        self._id_problems: dict[int, DecodeFailure] = {}  # id -> why it is not acceptable
        self._writers: dict[int, Writer] = {}  # id -> its version under our subject, registration, referenced texts
        self._valid_subject: ValidSubject | None = None
        if valid_subject is not None and value_format != "json":
            from governance.sentinel.valid_subject import ValidSubject

            self._valid_subject = ValidSubject(self._registry, valid_subject)

    def decode(self, value: bytes | None) -> dict[str, Any] | DecodeFailure:
        if value is None:
            return DecodeFailure("null value (tombstone): there is no record to validate", "NullValue")
        if len(value) == 0:
            return DecodeFailure("empty value: zero bytes", "EmptyValue")
        if self.value_format == "json":
            return self._json(value)
        if self.value_format == "protobuf":
            return self._protobuf(value)
        if self.value_format == "json_schema":
            return self._json_schema(value)
        return self._avro(value)

    def decode_batch(self, values: list[bytes | None]) -> list[dict[str, Any] | DecodeFailure]:
        """`decode` of each value, faster for Avro: the bodies of values with the same
        schema id are read from one buffer, each checked to end exactly at its own
        boundary; any value that does not is decoded alone for its exact reason."""
        if self.value_format != "avro":
            return [self.decode(v) for v in values]
        out: list[dict[str, Any] | DecodeFailure | None] = [None] * len(values)
        groups: dict[int, list[int]] = {}
        for i, value in enumerate(values):
            if value is None or len(value) < 5 or value[0] != 0:
                out[i] = self.decode(value)
            else:
                groups.setdefault(int.from_bytes(value[1:5], "big"), []).append(i)
        for schema_id, indices in groups.items():
            read = self._reader(schema_id)
            if isinstance(read, DecodeFailure):
                for i in indices:
                    out[i] = read
                continue
            buf = io.BytesIO(b"".join([values[i][5:] for i in indices]))  # type: ignore[index]
            end = 0
            for i in indices:
                end += len(values[i]) - 5  # type: ignore[arg-type]
                try:
                    record = read(buf)
                    ok = buf.tell() == end and type(record) is dict
                except Exception:
                    ok = False
                if ok:
                    out[i] = record
                else:
                    out[i] = self.decode(values[i])
                    buf.seek(end)
        return out  # type: ignore[return-value]

    def writer(self, schema_id: int) -> Writer | None:
        """The version under the pipeline's subject, the registry's `/schemas/ids/{id}` answer (with its
        `ruleSet`) and the texts of its references, of a schema id this decoder accepted; None for one it has not."""
        return self._writers.get(schema_id)

    # ------------------------------------------------------------ JSON

    def _json(self, value: bytes) -> dict[str, Any] | DecodeFailure:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError as e:
            return DecodeFailure(f"not UTF-8 JSON: {e.reason} at byte {e.start}", "UnicodeDecodeError")
        if _bracket_depth_exceeds(text, self.max_json_depth):
            return DecodeFailure(f"JSON nested deeper than {self.max_json_depth} levels", "JsonTooDeep")
        try:
            obj = json.loads(text)
        except ValueError as e:
            return DecodeFailure(f"not JSON: {e}", type(e).__name__)
        except RecursionError:
            return DecodeFailure(f"JSON nested deeper than {self.max_json_depth} levels", "JsonTooDeep")
        if not isinstance(obj, dict):
            return DecodeFailure(f"JSON value is {type(obj).__name__}, not an object", "JsonNotObject")
        return obj

    # ------------------------------------------------------------ JSON Schema

    def _json_schema(self, value: bytes) -> dict[str, Any] | DecodeFailure:
        """Confluent's JSON Schema wire format: magic byte, schema id, UTF-8 JSON that the schema must accept."""
        framed = self._framed_reader(value)
        if isinstance(framed, DecodeFailure):
            return framed
        schema_id, read = framed
        body = value[5:]
        if (body.count(b"[") + body.count(b"{") > self.max_json_depth
                and _bracket_depth_exceeds(body.decode("utf-8", "replace"), self.max_json_depth)):
            return DecodeFailure(f"JSON nested deeper than {self.max_json_depth} levels", "JsonTooDeep")
        try:
            record = read(io.BytesIO(body))
        except JsonSchemaViolation as e:
            return DecodeFailure(f"schema id {schema_id} refuses the value at {e.path}: {e.reason}", "JsonSchemaViolation")
        except JsonBodyError as e:
            return DecodeFailure(f"{e.reason} (schema id {schema_id})",
                                 "UnicodeDecodeError" if e.kind == "utf8" else "JSONDecodeError")
        except Exception as e:  # json and jsonschema-rs raise more: a 4,301-digit integer, a lone surrogate in a key
            return DecodeFailure(f"JSON this reader cannot take (schema id {schema_id}): {type(e).__name__}: {e}",
                                 type(e).__name__)
        if not isinstance(record, dict):
            return DecodeFailure(f"JSON value is {type(record).__name__}, not an object (schema id {schema_id})",
                                 "JsonNotObject")
        return record

    # ------------------------------------------------------------ Avro

    def _avro(self, value: bytes) -> dict[str, Any] | DecodeFailure:
        framed = self._framed_reader(value)
        if isinstance(framed, DecodeFailure):
            return framed
        schema_id, read = framed
        buf = io.BytesIO(value)
        buf.seek(5)
        try:
            record = read(buf)
        except (EOFError, StopIteration) as e:
            return DecodeFailure(f"truncated Avro: value ends before the record (schema id {schema_id})", type(e).__name__)
        except Exception as e:  # corrupt bytes: a decoding library raises many kinds
            return DecodeFailure(f"corrupt Avro for schema id {schema_id}: {type(e).__name__}: {e}", type(e).__name__)
        rest = len(value) - buf.tell()
        if rest:
            return DecodeFailure(f"{rest} bytes of trailing garbage after the Avro record (schema id {schema_id})", "TrailingBytes")
        if not isinstance(record, dict):
            return DecodeFailure(f"schema id {schema_id} is not a record schema", "SerializationError")
        return record

    # ------------------------------------------------------------ Protobuf

    def _protobuf(self, value: bytes) -> dict[str, Any] | DecodeFailure:
        framed = self._framed_reader(value)
        if isinstance(framed, DecodeFailure):
            return framed
        schema_id, read = framed
        try:
            return read(io.BytesIO(value[5:]))  # type: ignore[no-any-return]
        except ProtobufDecodeError as e:
            return DecodeFailure(f"{e} (schema id {schema_id})", "ProtobufDecodeError")
        except Exception as e:  # noqa: BLE001 - a converter meeting a value it cannot turn (a Timestamp out of range)
            return DecodeFailure(f"unreadable Protobuf for schema id {schema_id}: {type(e).__name__}: {e}", type(e).__name__)

    # ------------------------------------------------------------ the wire formats

    def _framing(self, value: bytes) -> DecodeFailure | None:
        """Why `value` is not in Confluent's wire format (magic byte 0, schema id, body); None if it is."""
        need = _MIN_LENGTH[self.value_format]
        if len(value) < need:
            return DecodeFailure(f"too short for Confluent wire format: {len(value)} bytes, need at least {need}",
                                 "SerializationError")
        if value[0] != 0:
            guid = (" (1 starts a 16-byte schema GUID, written by newer Confluent serializers: configure the producer "
                    "to write schema ids)") if value[0] == _GUID_MAGIC and len(value) > 17 else ""
            return DecodeFailure(f"not Confluent wire format: magic byte is {value[0]}, expected 0{guid}",
                                 "SerializationError")
        return None

    def _framed_reader(self, value: bytes) -> tuple[int, Callable[[BinaryIO], Any]] | DecodeFailure:
        """A wire-format value's schema id and that id's reader; why the value cannot be read, if it cannot."""
        framing = self._framing(value)
        if framing is not None:
            return framing
        (schema_id,) = struct.unpack_from(">I", value, 1)
        read = self._reader(schema_id)
        if isinstance(read, DecodeFailure):
            return read
        return schema_id, read

    def _reader(self, schema_id: int) -> Callable[[BinaryIO], Any] | DecodeFailure:
        """The reader of values written with an id registered under our subject, cached both ways."""
        if schema_id in self._readers:
            return self._readers[schema_id]
        if schema_id in self._id_problems:
            return self._id_problems[schema_id]
        try:
            body = self._get(f"/schemas/ids/{schema_id}")
            versions = self._get(f"/schemas/ids/{schema_id}/versions")
        except _NotFound:
            return self._reject(schema_id, f"unknown schema id {schema_id}: the registry has no such schema")
        subjects = sorted({v.get("subject") for v in versions if isinstance(v, dict)})
        if self.subject not in subjects:
            return self._reject(schema_id, f"schema id {schema_id} is registered under {', '.join(subjects) or 'no subject'}, "
                                           f"not under {self.subject}", tuple(subjects))
        schema_type = body.get("schemaType") or "AVRO"
        wanted = _SCHEMA_TYPES[self.value_format]
        if schema_type != wanted:
            return self._reject(schema_id, f"schema id {schema_id} is {schema_type}, but the pipeline reads "
                                           f"{_LABELS[self.value_format]} (`value_format: {self.value_format}`)")
        try:
            references = referenced_texts(self._get, body.get("references") or [])
        except _NotFound:
            return self._reject(schema_id, f"schema id {schema_id} references a schema the registry does not have")
        try:
            read = format_for(schema_type).decoder(body["schema"], references)
        except Exception as e:  # whatever the format's decoding library raises for a schema it cannot use
            return self._reject(schema_id, f"schema id {schema_id} cannot be parsed: {e}")
        if self._valid_subject is not None:  # before any record with this id reaches the valid topic
            self._valid_subject.admit(schema_id, body)
        version = max((v.get("version", 0) for v in versions if isinstance(v, dict) and v.get("subject") == self.subject),
                      default=0)
        self._writers[schema_id] = (version, body, references)
        self._readers[schema_id] = read
        return read

    def _reject(self, schema_id: int, reason: str, subjects: tuple[str, ...] = ()) -> DecodeFailure:
        # Cached: registered ids are immutable; a later registration under our subject
        # of an already-rejected id needs a restart to be seen (rare and harmless).
        if len(self._id_problems) >= _MAX_REJECTED_IDS:  # random poison must not grow memory without bound
            self._id_problems.clear()
        failure = self._id_problems[schema_id] = DecodeFailure(reason, "SchemaNotCompliant", subjects)
        return failure

    def _get(self, path: str) -> Any:
        try:
            return self._registry.call("GET", path)
        except RegistryClientError as e:
            if e.status == 404:
                raise _NotFound from None
            raise GovernanceError(f"schema registry {self._registry.url} answered {e.status} to GET {path}",
                                  hint="check the registry is healthy") from None


def _bracket_depth_exceeds(text: str, limit: int) -> bool:
    """Cheap pre-check before json.loads: only values with many brackets get scanned."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False
