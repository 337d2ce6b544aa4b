"""A local HTTP server that stands in for DataHub's GMS: it answers `/config` and records
every ingestion request (Rest.li `ingestProposal[Batch]` and OpenAPI `/openapi/v3/entity/...`)
so tests and benchmarks can check what DataHub's own REST emitter sent.
It can refuse connections (stopped) and come back on the same port."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def proposals(self) -> list[dict[str, Any]]:
        """(entityUrn, aspectName) dicts of what the request ingests, in either form."""
        if self.path.startswith("/aspects"):
            body = self.json()
            items = body.get("proposals") or [body.get("proposal")]
            return [{"entityUrn": p["entityUrn"], "aspectName": p["aspectName"],
                     "aspect": json.loads(p["aspect"]["value"])} for p in items]
        out = []
        for entity in self.json():
            for name, value in entity.items():
                if name != "urn" and isinstance(value, dict) and "value" in value:
                    out.append({"entityUrn": entity["urn"], "aspectName": name, "aspect": value["value"]})
        return out


class GmsCapture:
    def __init__(self, port: int = 0) -> None:
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                capture._record(self, b"")
                self._answer({"noCode": "true", "versions": {"acryldata/datahub": {"version": "v1.2.0"}}})

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                capture._record(self, body)
                self._answer([] if self.path.startswith("/openapi") else {})

            def _answer(self, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _record(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        with self._lock:
            self.requests.append(Request(handler.command, handler.path, dict(handler.headers), body))

    def ingested(self) -> list[dict[str, Any]]:
        with self._lock:
            requests = [r for r in self.requests if r.method == "POST"]
        return [p for r in requests for p in r.proposals()]
