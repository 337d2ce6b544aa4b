"""The first request to a cluster: its metadata, or at once the reason there will be none.

With a wrong password, an untrusted certificate or a plaintext client at a TLS port,
librdkafka retries until the request times out and tells why only to `error_cb` and
its log. `first_contact` listens to both and ends the wait with a GovernanceError that
names the setting to fix. A command (`refused_grace`) also stops waiting once every
bootstrap address has refused a TCP connection (or named no known host) for that long,
instead of waiting out the timeout for a cluster that is not there; a server that waits
for its cluster to come up leaves it out.
"""

from __future__ import annotations

import errno
import re
import socket
import time
from typing import Any

from governance.errors import GovernanceError, Unreachable
from governance.kafka.settings import KafkaSettings

_TIMEOUT_HINT = "check the address and, for a secured cluster, the properties in --kafka-config"
_CLOSED_EARLY = re.compile(r"Disconnected.*in state APIVERSION_QUERY")


REFUSED_GRACE_S = 3.0
"""How long a command waits for bootstrap addresses that refuse connections (a broker restarting takes a moment)."""


def first_contact(settings: KafkaSettings, timeout: float = 10.0, *, logger: Any = None,
                  hint: str = _TIMEOUT_HINT, refused_grace: float | None = None) -> tuple[Any, Any]:
    """An AdminClient and the cluster's metadata; `hint` is for a cluster that does not answer at all.
    `refused_grace`: give up that soon when no bootstrap address accepts a connection."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    watch = _Watch(settings, logger)
    try:
        admin = AdminClient({**settings.client_config(logger=watch), "error_cb": watch.error})
    except KafkaException as exc:  # a property librdkafka refuses, such as an ssl.ca.location it cannot read
        reason = exc.args[0].str().removeprefix("Failed to create admin client: ")
        raise GovernanceError(f"The Kafka client settings are not valid: {reason}.",
                              hint=f"check the properties in {_where(settings)}") from None
    start = time.monotonic()
    deadline = start + timeout
    refused_since: float | None = None
    while True:
        # Short waits that grow, so that a failure is noticed within a second yet a slow
        # cluster still gets as long as it needs for one answer.
        wait = max(0.0, min(deadline - time.monotonic(), max(0.5, time.monotonic() - start)))
        if refused_since is not None:
            wait = min(wait, 0.5)
        try:
            metadata = admin.list_topics(timeout=wait)
            watch.connected = True
            return admin, metadata
        except KafkaException as exc:
            reason = exc.args[0].str() if exc.args else str(exc)
        admin.poll(0)
        if watch.problem is not None:
            raise watch.problem
        if refused_grace is not None:
            unreachable = _unreachable(settings.bootstrap_servers)
            now = time.monotonic()
            refused_since = None if unreachable is None else (refused_since or now)
            if unreachable is not None and refused_since is not None and now - refused_since >= refused_grace:
                raise Unreachable(f"Kafka at {settings.bootstrap_servers} (from {settings.source}) did not "
                                      f"answer: {unreachable}.",
                                      hint=f"start the brokers (`governance stack up` starts a local one), or {hint}")
        if time.monotonic() >= deadline:
            raise Unreachable(f"Kafka at {settings.bootstrap_servers} (from {settings.source}) did not answer "
                                  f"within {timeout:.0f}s: {reason}", hint=hint)


class _Watch:
    """librdkafka's `error_cb` and `logger` in one: keeps the first failure that waiting will not cure.
    Until the first answer, librdkafka's own lines are not passed on: the error raised then says it all."""

    def __init__(self, settings: KafkaSettings, logger: Any) -> None:
        self.settings = settings
        self.logger = logger
        self.connected = False
        self.problem: GovernanceError | None = None
        self._closed_early = 0

    def error(self, error: Any) -> None:
        from confluent_kafka import KafkaError

        if self.problem is None and error.code() in (KafkaError._AUTHENTICATION, KafkaError._SSL):
            self.problem = _diagnose(self.settings, error.code() == KafkaError._SSL, error.str())

    def log(self, level: int, message: str, *args: Any) -> None:
        if self.connected and self.logger is not None:
            self.logger.log(level, message, *args)
        # A TLS listener closes a connection whose first request arrives in plaintext.
        if self.problem is None and _CLOSED_EARLY.search(message % args if args else message):
            self._closed_early += 1
            if self._closed_early >= 2:
                self.problem = _closed_early(self.settings)


def _unreachable(bootstrap_servers: str, timeout: float = 1.0) -> str | None:
    """Why no bootstrap address takes a TCP connection (`nothing listens at h:p (connection refused)`),
    or None when one does, or might: a connection that times out may only be slow."""
    reasons = []
    for address in bootstrap_servers.split(","):
        host, port = _host_port(address)
        if host is None:
            return None
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            return None
        except socket.gaierror:
            reasons.append(f"{host} is not a host name this machine knows")
        except ConnectionRefusedError:
            reasons.append(f"nothing listens at {host}:{port} (connection refused)")
        except OSError as e:
            if e.errno not in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                return None
            reasons.append(f"{host}:{port} cannot be reached ({e.strerror})")
    return "; ".join(reasons) or None


def _host_port(address: str) -> tuple[str | None, int]:
    """`host:port`, `[v6]:port` or `host` (port 9092), after an optional `SCHEME://`."""
    address = address.strip().rpartition("://")[2]
    match = re.fullmatch(r"\[(?P<v6>[^\]]+)\](?::(?P<p6>\d+))?|(?P<host>[^:\[\]]+)(?::(?P<port>\d+))?", address)
    if match is None:
        return None, 0
    return match["v6"] or match["host"], int(match["p6"] or match["port"] or 9092)


def _diagnose(settings: KafkaSettings, tls: bool, text: str) -> GovernanceError:
    """What a TLS (`tls`) or SASL failure reported by librdkafka means, and which property fixes it."""
    reason = _reason(text)
    where = f"Kafka at {settings.bootstrap_servers} (from {settings.source})"
    if tls and "certificate verify failed" in reason:
        ca = settings.extra.get("ssl.ca.location")
        trusted = f"the CA in ssl.ca.location ({ca})" if ca else "the system's CAs (no ssl.ca.location is set)"
        return GovernanceError(
            f"{where} presented a TLS certificate that {trusted} did not sign.",
            hint=f"set ssl.ca.location in {_where(settings)} to the CA that signed the broker's certificate "
                 "(a local stack's is tls/ca.pem in its data directory, as its client.properties says)")
    if tls:
        return GovernanceError(f"{where} refused the TLS handshake: {reason}.",
                               hint=f"check security.protocol and the ssl.* properties in {_where(settings)}")
    user = settings.extra.get("sasl.username")
    return GovernanceError(
        f"{where} refused the login{f' of user {user!r}' if user else ''}: {reason}.",
        hint=f"check sasl.username, sasl.password and sasl.mechanism in {_where(settings)}")


def _closed_early(settings: KafkaSettings) -> GovernanceError:
    protocol = settings.extra.get("security.protocol", "PLAINTEXT")
    return GovernanceError(
        f"Kafka at {settings.bootstrap_servers} (from {settings.source}) closes the connection as soon as this "
        f"client speaks: it most likely expects TLS, and the client uses security.protocol={protocol}.",
        hint=f"set security.protocol (SSL or SASL_SSL) and its properties in {_where(settings)}; a secured "
             "local stack wrote them to client.properties in its data directory")


def _reason(text: str) -> str:
    """librdkafka's message without the broker prefix and the `(after Nms in state S)` suffix."""
    text = re.sub(r"^\S+://\S+/\S+: ", "", text)
    text = re.sub(r"\s*\(after \d+ms in state \w+\)$", "", text)
    return text.removeprefix("SASL authentication error: ").rstrip(".")


def _where(settings: KafkaSettings) -> str:
    return str(settings.config_file) if settings.config_file else "--kafka-config"

