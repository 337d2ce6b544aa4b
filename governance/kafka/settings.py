"""Where to find Kafka: flag, then environment, then the running local stack."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance.errors import GovernanceError
from governance.kafka.properties import load_client_properties

BOOTSTRAP_ENV = "GOVERNANCE_BOOTSTRAP_SERVERS"
CONFIG_ENV = "GOVERNANCE_KAFKA_CONFIG"


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str
    extra: Mapping[str, str] = field(default_factory=dict)
    source: str = "flag"
    config_file: Path | None = None
    """Where `extra` came from, for error hints."""

    def client_config(self, **overrides: Any) -> dict[str, Any]:
        """A librdkafka config: the extra properties, our bootstrap servers, then `overrides`.

        Keyword names use `_` for `.`: `client_config(enable_idempotence=True)`.
        """
        config: dict[str, Any] = {**self.extra, "bootstrap.servers": self.bootstrap_servers}
        config.update({key.replace("_", "."): value for key, value in overrides.items()})
        return config


def resolve_kafka_settings(
    bootstrap_servers: str | None = None,
    config_file: Path | None = None,
    fallback: Callable[[], KafkaSettings | None] | None = None,
) -> KafkaSettings:
    """The flag, then the environment, then `bootstrap.servers` in the config file, then
    `fallback()`, which the command line passes in (the running local stack, with its own
    client properties when it is secured; the config file's still win); this package
    knows nothing of the stack."""
    extra = load_client_properties(config_file) if config_file else {}
    if bootstrap_servers:
        return KafkaSettings(bootstrap_servers, extra, "--bootstrap-servers", config_file)
    if from_env := os.environ.get(BOOTSTRAP_ENV):
        return KafkaSettings(from_env, extra, BOOTSTRAP_ENV, config_file)
    if "bootstrap.servers" in extra:
        return KafkaSettings(extra.pop("bootstrap.servers"), extra, str(config_file), config_file)
    found = fallback() if fallback is not None else None
    if found is not None:
        return KafkaSettings(found.bootstrap_servers, {**found.extra, **extra}, found.source,
                             config_file or found.config_file)
    raise GovernanceError(
        "No Kafka cluster to talk to.",
        hint=f"pass --bootstrap-servers HOST:PORT, set {BOOTSTRAP_ENV}, "
        "or start the local one with `governance stack up`",
    )
