"""`governance registry serve`: the registry's state from Kafka, its API over HTTP."""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from governance.kafka.settings import KafkaSettings
from governance.registry.app import RegistryApp
from governance.registry.auth import BasicAuth, load_users
from governance.registry.election import PrimaryElection
from governance.registry.service import RegistryService
from governance.registry.state import RegistryState
from governance.registry.store import SCHEMAS_TOPIC, KafkaSchemaLog


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8081
    topic: str = SCHEMAS_TOPIC
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    users_file: Path | None = None
    advertised_url: str | None = None


def open_registry(settings: KafkaSettings, topic: str = SCHEMAS_TOPIC) -> tuple[RegistryService, KafkaSchemaLog]:
    """Replay `topic` into a fresh state and return the registry on it (caller closes the log)."""
    state = RegistryState()
    log = KafkaSchemaLog(settings, state, topic)
    log.start()
    return RegistryService(state, log.write), log


def serve(settings: KafkaSettings, options: ServeOptions) -> None:
    import uvicorn

    auth = BasicAuth(load_users(options.users_file)) if options.users_file else None
    registry, log = open_registry(settings, options.topic)
    scheme = "https" if options.ssl_certfile else "http"
    advertised = options.advertised_url or f"{scheme}://{_reachable(options.host)}:{options.port}"
    election = PrimaryElection(settings, log, advertised)
    try:
        election.start()
        if not election.wait_settled(30):
            print("warning: no primary elected within 30s; writes answer 50004 until one is", file=sys.stderr)
        role = "primary" if election.is_primary else f"follower of {election.primary_url}"
        subjects = len(list(registry.state.subject_names()))
        print(
            f"Schema registry on {scheme}://{options.host}:{options.port}, "
            f"{subjects} subject(s) from {options.topic} at {settings.bootstrap_servers}, {role}",
            file=sys.stderr,
            flush=True,
        )
        config = uvicorn.Config(
            RegistryApp(registry, auth=auth, primary=election),
            host=options.host,
            port=options.port,
            log_level="warning",
            access_log=False,
            ssl_certfile=str(options.ssl_certfile) if options.ssl_certfile else None,
            ssl_keyfile=str(options.ssl_keyfile) if options.ssl_keyfile else None,
            timeout_graceful_shutdown=10,
        )
        # uvicorn shuts down gracefully on SIGTERM, then raises it again with the default
        # handler, which would end the process before the `finally` below: exit through it.
        signal.signal(signal.SIGTERM, _exit_cleanly)
        uvicorn.Server(config).run()
    finally:
        election.close()
        log.close()


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _reachable(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
