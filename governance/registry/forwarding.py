"""Followers send writes to the primary and relay its answer unchanged."""

from __future__ import annotations

import asyncio
import http.client
import ssl
import urllib.parse

from governance.registry import errors

FORWARDED_HEADER = "x-governance-forwarded"


def _send(url: str, method: str, target: str, body: bytes, authorization: bytes | None) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=30, context=ssl._create_unverified_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Content-Type": "application/vnd.schemaregistry.v1+json", FORWARDED_HEADER: "1"}
    if authorization:
        headers["Authorization"] = authorization.decode("latin-1")
    try:
        connection.request(method, target, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class PrimaryUnreachable(errors.ServiceError):
    """The primary did not answer (50003)."""


async def forward(
    primary_url: str | None, method: str, target: str, body: bytes, authorization: bytes | None
) -> tuple[int, bytes]:
    """`target` is the raw path with its query string, e.g. `/subjects/s/versions?normalize=true`."""
    if primary_url is None:
        raise errors.unknown_leader()
    try:
        return await asyncio.to_thread(_send, primary_url, method, target, body, authorization)
    except OSError as exc:
        error = errors.forwarding_error(f"{primary_url} did not answer ({exc}); a new primary may be taking over, retry shortly")
        raise PrimaryUnreachable(error.status, error.code, error.message) from None
