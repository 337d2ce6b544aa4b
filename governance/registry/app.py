"""The registry's HTTP API: Confluent's REST paths as a plain ASGI application.

Routing is a table of (method, path segments) because the hot path, `GET
/schemas/ids/{id}`, must answer thousands of times a second from one Python
process; subject names are matched on the raw, still-encoded path so that a
subject containing `/` (sent as `%2F`) stays one segment.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from governance.formats import SCHEMA_TYPES
from governance.registry import errors, probes
from governance.registry import operations as ops
from governance.registry.openapi import Operation, openapi_document
from governance.registry.auth import BasicAuth, required_role
from governance.registry.election import PrimaryElection
from governance.registry.forwarding import FORWARDED_HEADER, PrimaryUnreachable, forward
from governance.registry.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from governance.registry.metrics import UNMATCHED, RegistryMetrics, RouteStats, ServiceGauges
from governance.registry.records import SchemaValue
from governance.registry.requests import parse_bool, parse_json_body, parse_schema_request, parse_version
from governance.registry.service import RegistryService
from governance.registry.store import KafkaSchemaLog

logger = logging.getLogger(__name__)
CONTENT_TYPE = b"application/vnd.schemaregistry.v1+json"
MAX_BODY = 16 * 1024 * 1024
PRIMARY_WAIT_S = 20.0
"""How long a write waits for an election (a broker loss, a primary that stopped) before 50004."""


@dataclass
class Request:
    method: str
    params: list[str]
    query: dict[str, str]
    body: bytes
    headers: dict[bytes, bytes]

    def json(self) -> Any:
        return parse_json_body(self.body)

    def flag(self, name: str, default: bool = False) -> bool:
        return parse_bool(self.query.get(name), default)


@dataclass(frozen=True)
class Text:
    """An answer that is not JSON, such as /metrics."""

    body: bytes
    content_type: bytes


Response = tuple[int, Any]
Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """`path` is Confluent's, with `{name}` for each path parameter (handed over, in order, as
    `Request.params`); `doc` is what /openapi.json says of the route beyond method and path."""

    method: str
    path: str
    handler: Handler
    doc: Operation
    write: bool = False
    """Writes need role `write` (or `admin`) and go to the primary."""
    offload: bool = False
    """Run on a worker thread: the handler may wait on Kafka."""
    segments: tuple[str, ...] = field(init=False)
    template: str = field(init=False)
    """The path as the metrics' `route` label shows it, e.g. "/schemas/ids/{id}"."""

    def __post_init__(self) -> None:
        segments = ("*" if part.startswith("{") else part for part in self.path.split("/")) if self.path else ()
        object.__setattr__(self, "segments", tuple(segments))
        object.__setattr__(self, "template", "/" + self.path)


def schema_json(record: SchemaValue, *, with_subject: bool = True) -> dict[str, Any]:
    if not with_subject:
        return record.schema_fields()
    return {"subject": record.subject, "version": record.version, "id": record.id, **record.schema_fields()}


def schema_only(record: SchemaValue) -> Any:
    """The schema itself, as Confluent answers `.../schema`: a JSON document (Avro) as JSON, a `.proto`
    text or base64 descriptor as the bare text."""
    if record.schema_type == "PROTOBUF":
        return record.schema.encode()
    return json.loads(record.schema)


def _int_param(text: str, what: str) -> int:
    """Plain ASCII digits only: `int()` alone would take ` 12`, `+3` and `1_0`."""
    if text.isascii() and text.isdigit():
        return int(text)
    if what == "id":
        raise errors.schema_not_found(f"Schema {text} not found")
    raise errors.invalid_version(text)


class RegistryApp:
    """ASGI application. With `primary`, followers forward writes to the primary; `log` (by default the
    election's) is the `_schemas` reader the probes and metrics watch."""

    def __init__(
        self,
        registry: RegistryService,
        *,
        auth: BasicAuth | None = None,
        primary: PrimaryElection | None = None,
        log: KafkaSchemaLog | None = None,
    ) -> None:
        self.registry = registry
        self.auth = auth
        self.primary = primary
        self.log = log or (primary.log if primary is not None else None)
        self.reader = probes.ReaderWatch(self.log)
        self.metrics = RegistryMetrics(ServiceGauges(
            schemas=lambda: len(registry.state.content_of_id),
            subjects=lambda: len(registry.subjects()),
            is_primary=lambda: primary is None or primary.is_primary,
            primary_known=lambda: primary is None or primary.primary_known,
            reader_lag=lambda: self.reader.status(grace=0).lag,
        ))
        registry.on_check = self.metrics.compatibility_checked
        self._id_cache: dict[int, bytes] = {}
        self._id_cache_generation = -1
        R = Route
        self.routes: list[Route] = [
            R("GET", "", self.root, ops.ROOT),
            R("GET", "subjects", self.list_subjects, ops.LIST_SUBJECTS),
            R("GET", "subjects/{subject}/versions", self.list_versions, ops.LIST_VERSIONS),
            R("POST", "subjects/{subject}/versions", self.register, ops.REGISTER, write=True),
            R("GET", "subjects/{subject}/versions/{version}", self.get_version, ops.GET_VERSION),
            R("GET", "subjects/{subject}/versions/{version}/schema", self.get_version_schema, ops.GET_VERSION_SCHEMA),
            R("GET", "subjects/{subject}/versions/{version}/referencedby", self.referenced_by, ops.REFERENCED_BY),
            R("DELETE", "subjects/{subject}/versions/{version}", self.delete_version, ops.DELETE_VERSION, write=True),
            R("POST", "subjects/{subject}", self.lookup, ops.LOOKUP),
            R("DELETE", "subjects/{subject}", self.delete_subject, ops.DELETE_SUBJECT, write=True),
            R("GET", "schemas", self.list_schemas, ops.LIST_SCHEMAS),
            R("GET", "schemas/types", self.schema_types, ops.SCHEMA_TYPES),
            R("GET", "schemas/ids/{id}", self.schema_by_id, ops.SCHEMA_BY_ID),
            R("GET", "schemas/ids/{id}/schema", self.schema_text_by_id, ops.SCHEMA_TEXT_BY_ID),
            R("GET", "schemas/ids/{id}/subjects", self.subjects_of_id, ops.SUBJECTS_OF_ID),
            R("GET", "schemas/ids/{id}/versions", self.versions_of_id, ops.VERSIONS_OF_ID),
            R("POST", "compatibility/subjects/{subject}/versions/{version}", self.check_one, ops.CHECK_ONE),
            R("POST", "compatibility/subjects/{subject}/versions", self.check_all, ops.CHECK_ALL),
            R("GET", "config", self.get_global_config, ops.GET_GLOBAL_CONFIG),
            R("PUT", "config", self.set_global_config, ops.SET_GLOBAL_CONFIG, write=True),
            R("DELETE", "config", self.delete_global_config, ops.DELETE_GLOBAL_CONFIG, write=True),
            R("GET", "config/{subject}", self.get_config, ops.GET_CONFIG),
            R("PUT", "config/{subject}", self.set_config, ops.SET_CONFIG, write=True),
            R("DELETE", "config/{subject}", self.delete_config, ops.DELETE_CONFIG, write=True),
            R("GET", "mode", self.get_global_mode, ops.GET_GLOBAL_MODE),
            R("PUT", "mode", self.set_global_mode, ops.SET_GLOBAL_MODE, write=True),
            R("GET", "mode/{subject}", self.get_mode, ops.GET_MODE),
            R("PUT", "mode/{subject}", self.set_mode, ops.SET_MODE, write=True),
            R("DELETE", "mode/{subject}", self.delete_mode, ops.DELETE_MODE, write=True),
            R("GET", "openapi.json", self.openapi, ops.OPENAPI),
            R("GET", "v1/metadata/id", self.metadata_id, ops.METADATA_ID),
            R("GET", "health", self.health, ops.HEALTH),
            R("GET", "_health", self.health, ops.KARAPACE_HEALTH),
            R("GET", "ready", self.ready, ops.READY, offload=True),
            R("GET", "metrics", self.metrics_text, ops.METRICS, offload=True),
        ]
        self._by_id_route = next(r for r in self.routes if r.path == "schemas/ids/{id}")
        self._by_id_stats = self.metrics.requests.stats(self._by_id_route.template, "GET")

    # -- handlers: one per route, named for what it answers ---------------------------

    def root(self, q: Request) -> Response:
        return 200, {}

    def list_subjects(self, q: Request) -> Response:
        return 200, self.registry.subjects(deleted=q.flag("deleted"), prefix=q.query.get("subjectPrefix", ""))

    def list_versions(self, q: Request) -> Response:
        return 200, self.registry.versions(q.params[0], deleted=q.flag("deleted"))

    def register(self, q: Request) -> Response:
        schema_id = self.registry.register(q.params[0], parse_schema_request(q.json()), normalize=q.flag("normalize"))
        return 200, {"id": schema_id}

    def get_version(self, q: Request) -> Response:
        record = self.registry.version(q.params[0], parse_version(q.params[1]), deleted=q.flag("deleted"))
        return 200, schema_json(self.registry.formatted(record, q.query.get("format")))

    def get_version_schema(self, q: Request) -> Response:
        record = self.registry.version(q.params[0], parse_version(q.params[1]), deleted=q.flag("deleted"))
        return 200, schema_only(self.registry.formatted(record, q.query.get("format")))

    def referenced_by(self, q: Request) -> Response:
        return 200, self.registry.referenced_by(q.params[0], parse_version(q.params[1]))

    def delete_version(self, q: Request) -> Response:
        return 200, self.registry.delete_version(q.params[0], parse_version(q.params[1]), permanent=q.flag("permanent"))

    def lookup(self, q: Request) -> Response:
        record = self.registry.lookup(
            q.params[0], parse_schema_request(q.json()), normalize=q.flag("normalize"), deleted=q.flag("deleted")
        )
        return 200, schema_json(self.registry.formatted(record, q.query.get("format")))

    def delete_subject(self, q: Request) -> Response:
        return 200, self.registry.delete_subject(q.params[0], permanent=q.flag("permanent"))

    def schema_types(self, q: Request) -> Response:
        return 200, list(SCHEMA_TYPES)

    def schema_by_id(self, q: Request) -> Response:
        record = self.registry.schema_by_id(_int_param(q.params[0], "id"))
        return 200, schema_json(self.registry.formatted(record, q.query.get("format")), with_subject=False)

    def schema_text_by_id(self, q: Request) -> Response:
        record = self.registry.schema_by_id(_int_param(q.params[0], "id"))
        return 200, schema_only(self.registry.formatted(record, q.query.get("format")))

    def subjects_of_id(self, q: Request) -> Response:
        return 200, self.registry.subjects_of_id(_int_param(q.params[0], "id"), deleted=q.flag("deleted"))

    def versions_of_id(self, q: Request) -> Response:
        found = self.registry.versions_of_id(_int_param(q.params[0], "id"), deleted=q.flag("deleted"))
        return 200, [{"subject": s, "version": v} for s, v in found]

    def check_one(self, q: Request) -> Response:
        result = self.registry.check(
            q.params[0], parse_version(q.params[1]), parse_schema_request(q.json()), normalize=q.flag("normalize")
        )
        return 200, _compatibility_json(result, q.flag("verbose"))

    def check_all(self, q: Request) -> Response:
        result = self.registry.check(
            q.params[0], None, parse_schema_request(q.json()), normalize=q.flag("normalize"), all_versions=True
        )
        return 200, _compatibility_json(result, q.flag("verbose"))

    def get_global_config(self, q: Request) -> Response:
        return 200, self.registry.get_config(None)

    def set_global_config(self, q: Request) -> Response:
        return 200, self.registry.set_config(None, *_config_of(q.json()))

    def delete_global_config(self, q: Request) -> Response:
        return 200, self.registry.delete_config(None)

    def get_config(self, q: Request) -> Response:
        return 200, self.registry.get_config(q.params[0], default_to_global=q.flag("defaultToGlobal"))

    def set_config(self, q: Request) -> Response:
        return 200, self.registry.set_config(q.params[0], *_config_of(q.json()))

    def delete_config(self, q: Request) -> Response:
        return 200, self.registry.delete_config(q.params[0])

    def get_global_mode(self, q: Request) -> Response:
        return 200, {"mode": self.registry.get_mode(None)}

    def set_global_mode(self, q: Request) -> Response:
        return 200, {"mode": self.registry.set_mode(None, _mode_of(q.json()), force=q.flag("force"))}

    def get_mode(self, q: Request) -> Response:
        return 200, {"mode": self.registry.get_mode(q.params[0], default_to_global=q.flag("defaultToGlobal"))}

    def set_mode(self, q: Request) -> Response:
        return 200, {"mode": self.registry.set_mode(q.params[0], _mode_of(q.json()), force=q.flag("force"))}

    def delete_mode(self, q: Request) -> Response:
        return 200, {"mode": self.registry.delete_mode(q.params[0])}

    def openapi(self, q: Request) -> Response:
        return 200, openapi_document(self.routes)

    def metadata_id(self, q: Request) -> Response:
        return 200, {"scope": {"path": [], "clusters": {"schema-registry-cluster": "governance"}}}

    def health(self, q: Request) -> Response:
        return probes.health(self.log)

    def ready(self, q: Request) -> Response:
        return probes.readiness(self.primary, self.reader.status())

    def metrics_text(self, q: Request) -> Response:
        return 200, Text(self.metrics.render(), METRICS_CONTENT_TYPE)

    def list_schemas(self, q: Request) -> Response:
        prefix = q.query.get("subjectPrefix", "")
        deleted, latest_only = q.flag("deleted"), q.flag("latestOnly")
        found = []
        for subject in self.registry.subjects(deleted=deleted, prefix=prefix):
            versions = self.registry.state.versions(subject, deleted=deleted)
            found.extend(schema_json(v) for v in (versions[-1:] if latest_only else versions))
        return 200, found

    # -- ASGI ------------------------------------------------------------------------

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        method = scope["method"]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        segments = [unquote(part) for part in raw_path.decode("latin-1").strip("/").split("/") if part]
        stats, status, payload = await self._dispatch(method, segments, scope, receive)
        content_type = CONTENT_TYPE
        if isinstance(payload, Text):
            body, content_type = payload.body, payload.content_type
        else:
            body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        if status == 401:
            headers.append((b"www-authenticate", b'Basic realm="schema-registry"'))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        stats.record(status, time.perf_counter() - started)

    async def _dispatch(
        self, method: str, segments: list[str], scope: dict, receive: Callable
    ) -> tuple[RouteStats, int, Any]:
        """The answer, and the metrics of the route that gave it."""
        if (method == "GET" and len(segments) == 3 and segments[0] == "schemas" and segments[1] == "ids"
                and self.auth is None and not scope.get("query_string")):
            try:
                return self._by_id_stats, 200, self._schema_by_id_fast(segments[2])
            except Exception as exc:
                return (self._by_id_stats, *_error_answer(exc, method, segments))
        route, params, allowed = self._match(method, segments)
        if route is None:
            stats = self.metrics.requests.stats(UNMATCHED, method)
            if allowed:
                return stats, 405, {"error_code": 405, "message": f"Method {method} not allowed here; use {', '.join(allowed)}"}
            return stats, 404, {"error_code": 404, "message": "HTTP 404 Not Found"}
        stats = self.metrics.requests.stats(route.template, method)
        return (stats, *await self._handle(route, params, method, segments, scope, receive))

    async def _handle(
        self, route: Route, params: list[str], method: str, segments: list[str], scope: dict, receive: Callable
    ) -> Response:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        try:
            handler, is_write = route.handler, route.write
            body = await _read_body(receive) if method in ("POST", "PUT") else b""
            headers = dict(scope.get("headers") or [])
            query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
            request = Request(method, params, query, body, headers)
            if self.auth is not None and not route.doc.public:
                # PBKDF2 takes a while for credentials not seen before: keep it off the event loop.
                await asyncio.to_thread(
                    self.auth.authorize, headers.get(b"authorization"), required_role(method, segments, is_write)
                )
            if (is_write and self.primary is not None and not self.primary.is_primary
                    and not await asyncio.to_thread(self.primary.wait_for_primary, PRIMARY_WAIT_S)):
                if headers.get(FORWARDED_HEADER.encode()):
                    raise errors.unknown_leader()
                target = raw_path.decode("latin-1")
                if scope.get("query_string"):
                    target += "?" + scope["query_string"].decode("latin-1")
                status, answer = await self._forward(method, target, body, headers.get(b"authorization"))
                if status < 300:  # so that this instance, too, answers with the write from now on
                    await asyncio.to_thread(self.primary.log.catch_up)
                return status, answer
            if is_write or method == "POST" or route.offload:
                return await asyncio.to_thread(handler, request)
            return handler(request)
        except Exception as exc:
            return _error_answer(exc, method, segments)

    async def _forward(self, method: str, target: str, body: bytes, authorization: bytes | None) -> Response:
        """Send a write to the primary, counted by the primary's status ("unreachable": no answer)."""
        try:
            status, answer = await forward(self.primary.primary_url, method, target, body, authorization)
        except PrimaryUnreachable:
            self.metrics.forwarded.labels("unreachable").inc()
            raise
        self.metrics.forwarded.labels(str(status)).inc()
        return status, answer

    def _schema_by_id_fast(self, text: str) -> bytes:
        generation = self.registry.state.generation
        if generation != self._id_cache_generation:
            self._id_cache.clear()
            self._id_cache_generation = generation
        schema_id = _int_param(text, "id")
        cached = self._id_cache.get(schema_id)
        if cached is None:
            record = self.registry.schema_by_id(schema_id)
            cached = json.dumps(schema_json(record, with_subject=False), separators=(",", ":")).encode()
            self._id_cache[schema_id] = cached
        return cached

    def _match(self, method: str, segments: list[str]):
        allowed = []
        for route in self.routes:
            template = route.segments
            if len(template) != len(segments):
                continue
            params = []
            for pattern, segment in zip(template, segments):
                if pattern == "*":
                    params.append(segment)
                elif pattern != segment:
                    break
            else:
                if route.method == method:
                    return route, params, allowed
                allowed.append(route.method)
        return None, [], allowed

    async def _lifespan(self, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _error_answer(exc: Exception, method: str, segments: list[str]) -> Response:
    if isinstance(exc, errors.ServiceError):
        return exc.status, {"error_code": exc.code, "message": exc.message}
    # a bug of ours: say so in Confluent's shape, keep serving
    logger.exception("unexpected error in %s /%s", method, "/".join(segments), exc_info=exc)
    return 500, {"error_code": 50001, "message": f"Internal error: {type(exc).__name__}: {exc}"}


async def _read_body(receive: Callable) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise errors.bad_request(f"The request body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _config_of(body: Any) -> tuple[object, object]:
    """The level (`compatibility`, or `compatibilityLevel`) and JSON Schema's `compatibilityPolicy` a body sets."""
    if not isinstance(body, dict):
        raise errors.bad_request("Send {\"compatibility\": \"LEVEL\"} and/or {\"compatibilityPolicy\": \"STRICT|LENIENT\"}")
    return body.get("compatibility", body.get("compatibilityLevel")), body.get("compatibilityPolicy")


def _mode_of(body: Any) -> object:
    if not isinstance(body, dict):
        raise errors.bad_request("Send {\"mode\": \"READWRITE|READONLY|IMPORT\"}")
    return body.get("mode")


def _compatibility_json(result, verbose: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"is_compatible": result.is_compatible}
    if verbose:
        body["messages"] = result.messages
    return body
