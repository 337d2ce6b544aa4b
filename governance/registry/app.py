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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from governance.registry import errors
from governance.registry.openapi import openapi_document
from governance.registry.auth import BasicAuth, required_role
from governance.registry.election import PrimaryElection
from governance.registry.forwarding import FORWARDED_HEADER, forward
from governance.registry.records import SchemaValue
from governance.registry.requests import SchemaRequest, parse_bool, parse_json_body, parse_version
from governance.registry.service import RegistryService

logger = logging.getLogger(__name__)
CONTENT_TYPE = b"application/vnd.schemaregistry.v1+json"
MAX_BODY = 16 * 1024 * 1024


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


Response = tuple[int, Any]
Handler = Callable[[Request], Response]


def schema_json(record: SchemaValue, *, with_subject: bool = True) -> dict[str, Any]:
    if not with_subject:
        return record.schema_fields()
    return {"subject": record.subject, "version": record.version, "id": record.id, **record.schema_fields()}


def _int_param(text: str, what: str) -> int:
    """Plain ASCII digits only: `int()` alone would take ` 12`, `+3` and `1_0`."""
    if text.isascii() and text.isdigit():
        return int(text)
    if what == "id":
        raise errors.schema_not_found(f"Schema {text} not found")
    raise errors.invalid_version(text)


class RegistryApp:
    """ASGI application. `forward` (set on followers) sends writes to the primary."""

    def __init__(
        self,
        registry: RegistryService,
        *,
        auth: BasicAuth | None = None,
        primary: PrimaryElection | None = None,
    ) -> None:
        self.registry = registry
        self.auth = auth
        self.primary = primary
        self._id_cache: dict[int, bytes] = {}
        self._id_cache_generation = -1
        r = registry
        # (method, path template, handler, is_write)
        self.routes: list[tuple[str, tuple[str, ...], Handler, bool]] = [
            ("GET", (), lambda q: (200, {}), False),
            ("GET", ("subjects",), lambda q: (200, r.subjects(deleted=q.flag("deleted"), prefix=q.query.get("subjectPrefix", ""))), False),
            ("GET", ("subjects", "*", "versions"), lambda q: (200, r.versions(q.params[0], deleted=q.flag("deleted"))), False),
            ("POST", ("subjects", "*", "versions"), self._register, True),
            ("GET", ("subjects", "*", "versions", "*"), lambda q: (200, schema_json(r.version(q.params[0], parse_version(q.params[1]), deleted=q.flag("deleted")))), False),
            ("GET", ("subjects", "*", "versions", "*", "schema"), lambda q: (200, json.loads(r.version(q.params[0], parse_version(q.params[1]), deleted=q.flag("deleted")).schema)), False),
            ("GET", ("subjects", "*", "versions", "*", "referencedby"), lambda q: (200, r.referenced_by(q.params[0], parse_version(q.params[1]))), False),
            ("DELETE", ("subjects", "*", "versions", "*"), lambda q: (200, r.delete_version(q.params[0], parse_version(q.params[1]), permanent=q.flag("permanent"))), True),
            ("POST", ("subjects", "*"), self._lookup, False),
            ("DELETE", ("subjects", "*"), lambda q: (200, r.delete_subject(q.params[0], permanent=q.flag("permanent"))), True),
            ("GET", ("schemas",), self._list_schemas, False),
            ("GET", ("schemas", "types"), lambda q: (200, ["AVRO"]), False),
            ("GET", ("schemas", "ids", "*"), lambda q: (200, schema_json(r.schema_by_id(_int_param(q.params[0], "id")), with_subject=False)), False),
            ("GET", ("schemas", "ids", "*", "schema"), lambda q: (200, json.loads(r.schema_by_id(_int_param(q.params[0], "id")).schema)), False),
            ("GET", ("schemas", "ids", "*", "subjects"), lambda q: (200, r.subjects_of_id(_int_param(q.params[0], "id"), deleted=q.flag("deleted"))), False),
            ("GET", ("schemas", "ids", "*", "versions"), lambda q: (200, [{"subject": s, "version": v} for s, v in r.versions_of_id(_int_param(q.params[0], "id"), deleted=q.flag("deleted"))]), False),
            ("POST", ("compatibility", "subjects", "*", "versions", "*"), self._check_one, False),
            ("POST", ("compatibility", "subjects", "*", "versions"), self._check_all, False),
            ("GET", ("config",), lambda q: (200, {"compatibilityLevel": r.get_config(None)}), False),
            ("PUT", ("config",), lambda q: (200, {"compatibility": r.set_config(None, _level_of(q.json()))}), True),
            ("DELETE", ("config",), lambda q: (200, {"compatibilityLevel": r.delete_config(None)}), True),
            ("GET", ("config", "*"), lambda q: (200, {"compatibilityLevel": r.get_config(q.params[0], default_to_global=q.flag("defaultToGlobal"))}), False),
            ("PUT", ("config", "*"), lambda q: (200, {"compatibility": r.set_config(q.params[0], _level_of(q.json()))}), True),
            ("DELETE", ("config", "*"), lambda q: (200, {"compatibilityLevel": r.delete_config(q.params[0])}), True),
            ("GET", ("mode",), lambda q: (200, {"mode": r.get_mode(None)}), False),
            ("PUT", ("mode",), lambda q: (200, {"mode": r.set_mode(None, _mode_of(q.json()), force=q.flag("force"))}), True),
            ("GET", ("mode", "*"), lambda q: (200, {"mode": r.get_mode(q.params[0], default_to_global=q.flag("defaultToGlobal"))}), False),
            ("PUT", ("mode", "*"), lambda q: (200, {"mode": r.set_mode(q.params[0], _mode_of(q.json()), force=q.flag("force"))}), True),
            ("DELETE", ("mode", "*"), lambda q: (200, {"mode": r.delete_mode(q.params[0])}), True),
            ("GET", ("openapi.json",), lambda q: (200, openapi_document()), False),
            ("GET", ("v1", "metadata", "id"), lambda q: (200, {"scope": {"path": [], "clusters": {"schema-registry-cluster": "governance"}}}), False),
        ]  # fmt: skip

    # -- handlers that need more than one line ---------------------------------------

    def _register(self, q: Request) -> Response:
        schema_id = self.registry.register(q.params[0], SchemaRequest.parse(q.json()), normalize=q.flag("normalize"))
        return 200, {"id": schema_id}

    def _lookup(self, q: Request) -> Response:
        record = self.registry.lookup(
            q.params[0], SchemaRequest.parse(q.json()), normalize=q.flag("normalize"), deleted=q.flag("deleted")
        )
        return 200, schema_json(record)

    def _check_one(self, q: Request) -> Response:
        result = self.registry.check(
            q.params[0], parse_version(q.params[1]), SchemaRequest.parse(q.json()), normalize=q.flag("normalize")
        )
        return 200, _compatibility_json(result, q.flag("verbose"))

    def _check_all(self, q: Request) -> Response:
        result = self.registry.check(
            q.params[0], None, SchemaRequest.parse(q.json()), normalize=q.flag("normalize"), all_versions=True
        )
        return 200, _compatibility_json(result, q.flag("verbose"))

    def _list_schemas(self, q: Request) -> Response:
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
        method = scope["method"]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        segments = [unquote(part) for part in raw_path.decode("latin-1").strip("/").split("/") if part]
        status, payload = await self._dispatch(method, segments, scope, receive)
        body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        headers = [(b"content-type", CONTENT_TYPE), (b"content-length", str(len(body)).encode())]
        if status == 401:
            headers.append((b"www-authenticate", b'Basic realm="schema-registry"'))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _dispatch(self, method: str, segments: list[str], scope: dict, receive: Callable) -> tuple[int, Any]:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        try:
            if method == "GET" and len(segments) == 3 and segments[0] == "schemas" and segments[1] == "ids":
                if self.auth is None and not scope.get("query_string"):
                    return 200, self._schema_by_id_fast(segments[2])
            route, params, allowed = self._match(method, segments)
            if route is None:
                if allowed:
                    return 405, {"error_code": 405, "message": f"Method {method} not allowed here; use {', '.join(allowed)}"}
                return 404, {"error_code": 404, "message": "HTTP 404 Not Found"}
            _, _, handler, is_write = route
            body = await _read_body(receive) if method in ("POST", "PUT") else b""
            headers = dict(scope.get("headers") or [])
            query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
            request = Request(method, params, query, body, headers)
            if self.auth is not None:
                # PBKDF2 takes a while for credentials not seen before: keep it off the event loop.
                await asyncio.to_thread(
                    self.auth.authorize, headers.get(b"authorization"), required_role(method, segments, is_write)
                )
            if is_write and self.primary is not None and not self.primary.is_primary:
                if headers.get(FORWARDED_HEADER.encode()):
                    raise errors.unknown_leader()
                target = raw_path.decode("latin-1")
                if scope.get("query_string"):
                    target += "?" + scope["query_string"].decode("latin-1")
                status, answer = await forward(
                    self.primary.primary_url, method, target, body, headers.get(b"authorization")
                )
                if status < 300:  # so that this instance, too, answers with the write from now on
                    await asyncio.to_thread(self.primary.log.catch_up)
                return status, answer
            if is_write or method == "POST":
                return await asyncio.to_thread(handler, request)
            return handler(request)
        except errors.ServiceError as exc:
            return exc.status, {"error_code": exc.code, "message": exc.message}
        except Exception as exc:  # a bug of ours: say so in Confluent's shape, keep serving
            logger.exception("unexpected error in %s /%s", method, "/".join(segments))
            return 500, {"error_code": 50001, "message": f"Internal error: {type(exc).__name__}: {exc}"}

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
            template = route[1]
            if len(template) != len(segments):
                continue
            params = []
            for pattern, segment in zip(template, segments):
                if pattern == "*":
                    params.append(segment)
                elif pattern != segment:
                    break
            else:
                if route[0] == method:
                    return route, params, allowed
                allowed.append(route[0])
        return None, [], allowed

    async def _lifespan(self, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


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


def _level_of(body: Any) -> object:
    if not isinstance(body, dict):
        raise errors.bad_request("Send {\"compatibility\": \"LEVEL\"}")
    return body.get("compatibility", body.get("compatibilityLevel"))


def _mode_of(body: Any) -> object:
    if not isinstance(body, dict):
        raise errors.bad_request("Send {\"mode\": \"READWRITE|READONLY|IMPORT\"}")
    return body.get("mode")


def _compatibility_json(result, verbose: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"is_compatible": result.is_compatible}
    if verbose:
        body["messages"] = result.messages
    return body
