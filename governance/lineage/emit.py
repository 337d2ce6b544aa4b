"""Where metadata goes: a target parsed once from `--to` (or `$DATAHUB_GMS_URL`), then
an emitter built with acryl-datahub's own classes.

    file:PATH         MCP JSON that `datahub ingest` (a `file` source) replays later
    lite[:PATH]       DataHub Lite, a local store queried with `datahub lite get/ls/search`
                      (default PATH: DataHub's own, ~/.datahub/lite/datahub.db)
    http(s)://GMS     DataHub's REST API (DataHubRestEmitter; token from $DATAHUB_GMS_TOKEN)
    kafka://BOOTSTRAP DataHub's Kafka ingestion topic MetadataChangeProposal_v1, Avro through
                      the schema registry (DatahubKafkaEmitter); `kafka://` alone: the command's Kafka
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from governance.errors import GovernanceError
from governance.kafka.settings import KafkaSettings

GMS_ENV = "DATAHUB_GMS_URL"
TOKEN_ENV = "DATAHUB_GMS_TOKEN"
DEFAULT_FILE = Path("build/lineage.json")


@dataclass(frozen=True)
class Target:
    kind: str
    """`file`, `lite`, `rest` or `kafka`."""
    location: str
    token: str | None = None
    openapi: bool | None = None
    """REST only: the OpenAPI endpoint instead of Rest.li's ingestProposal; None lets DataHub's emitter choose."""
    registry_url: str | None = None
    """Kafka only: the schema registry holding the MetadataChangeProposal Avro schema."""
    kafka: KafkaSettings | None = None
    """Kafka only: the servers (`location`) with the client properties (SASL, TLS) to reach them."""

    def describe(self) -> str:
        return {"file": f"file {self.location}", "lite": f"DataHub Lite at {self.location}",
                "rest": f"DataHub REST at {self.location}", "kafka": f"DataHub's Kafka topic on {self.location}"}[self.kind]


def parse_target(text: str | None, *, token: str | None = None, openapi: bool | None = None,
                 registry_url: str | None = None,
                 kafka: Callable[[str | None], KafkaSettings] | None = None) -> Target:
    """`--to`, else $DATAHUB_GMS_URL, else a file of MCP JSON.

    `kafka(servers)` resolves a `kafka://` target's servers (None when it names none) into
    the settings to reach them; without it, the servers as named and no client properties.
    """
    text = text or os.environ.get(GMS_ENV) or f"file:{DEFAULT_FILE}"
    token = token or os.environ.get(TOKEN_ENV) or None
    if text.startswith("file:"):
        path = text.removeprefix("file:")
        if not path:
            raise GovernanceError("`--to file:` needs a path, e.g. file:build/lineage.json")
        return Target("file", path)
    if text == "lite" or text.startswith("lite:"):
        from datahub.cli.lite_cli import SqliteLiteConfigWrapper

        return Target("lite", text.removeprefix("lite").removeprefix(":") or SqliteLiteConfigWrapper().file)
    if text.startswith(("http://", "https://")):
        return Target("rest", text.rstrip("/"), token=token, openapi=openapi)
    if text.startswith("kafka://"):
        bootstrap = text.removeprefix("kafka://").strip("/") or None
        if bootstrap is None and kafka is None:
            raise GovernanceError("`--to kafka://` needs bootstrap servers, e.g. kafka://broker:9092")
        if not registry_url:
            raise GovernanceError("the Kafka emitter needs a schema registry for DataHub's Avro schemas",
                                  hint="pass --registry URL, set $GOVERNANCE_REGISTRY_URL, or start the local stack")
        settings = kafka(bootstrap) if kafka is not None else KafkaSettings(str(bootstrap), source="--to")
        return Target("kafka", settings.bootstrap_servers, registry_url=registry_url, kafka=settings)
    raise GovernanceError(f"unknown target {text!r}",
                          hint="use file:PATH, lite[:PATH], http(s)://GMS_HOST:8080 or kafka://BOOTSTRAP_SERVERS")


class Emitter(Protocol):
    def emit(self, mcps: Sequence[Any]) -> None: ...

    def close(self) -> None: ...


def open_emitter(target: Target) -> Emitter:
    if target.kind == "file":
        return _FileEmitter(Path(target.location))
    if target.kind == "lite":
        return _LiteEmitter(Path(target.location))
    if target.kind == "rest":
        return _RestEmitter(target)
    return _KafkaEmitter(target)


class _FileEmitter:
    """Collects, then writes the whole file once: a file of MCPs is one JSON array."""

    def __init__(self, path: Path) -> None:
        self.path, self._mcps = path, []  # type: ignore[var-annotated]

    def emit(self, mcps: Sequence[Any]) -> None:
        self._mcps.extend(mcps)

    def close(self) -> None:
        from datahub.ingestion.sink.file import write_metadata_file

        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_metadata_file(self.path, self._mcps)


class _LiteEmitter:
    def __init__(self, path: Path) -> None:
        from datahub.lite.lite_util import get_datahub_lite

        path.parent.mkdir(parents=True, exist_ok=True)
        self.lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(path)}})

    def emit(self, mcps: Sequence[Any]) -> None:
        for mcp in mcps:
            self.lite.write(mcp)

    def close(self) -> None:
        self.lite.close()


class _RestEmitter:
    def __init__(self, target: Target) -> None:
        from datahub.emitter.rest_emitter import DataHubRestEmitter

        kwargs: dict[str, Any] = {"token": target.token}
        if target.openapi is not None:
            kwargs["openapi_ingestion"] = target.openapi
        self.emitter = DataHubRestEmitter(target.location, **kwargs)
        self.target = target

    def emit(self, mcps: Sequence[Any]) -> None:
        try:
            self.emitter.emit_mcps(list(mcps))
        except Exception as e:  # requests' and DataHub's own errors: the server's answer or its absence
            raise GovernanceError(f"DataHub at {self.target.location} did not take the metadata: {_short(e)}",
                                  hint=f"check the URL and ${TOKEN_ENV}") from None

    def close(self) -> None:
        self.emitter.close()


class _KafkaEmitter:
    def __init__(self, target: Target) -> None:
        from datahub.emitter.kafka_emitter import DatahubKafkaEmitter, KafkaEmitterConfig

        from governance.kafka.connect import first_contact
        from governance.kafka.logs import silent_logger

        assert target.kafka is not None
        # A producer with a wrong password or an untrusted CA would wait out message.timeout.ms (5 min) in flush.
        first_contact(target.kafka, logger=silent_logger())
        config = KafkaEmitterConfig.model_validate({"connection": {
            "bootstrap": target.location, "schema_registry_url": target.registry_url,
            "producer_config": {k: v for k, v in target.kafka.extra.items() if k != "bootstrap.servers"}}})
        self.emitter = DatahubKafkaEmitter(config)
        self.target = target
        self.errors: list[str] = []

    def emit(self, mcps: Sequence[Any]) -> None:
        def done(err: Exception | None, message: str) -> None:
            if err is not None:
                self.errors.append(f"{message}: {err}")

        for mcp in mcps:
            self.emitter.emit(mcp, callback=done)
        self.emitter.flush()
        if self.errors:
            raise GovernanceError(f"DataHub's Kafka topic on {self.target.location} did not take "
                                  f"{len(self.errors)} record(s): {self.errors[0]}")

    def close(self) -> None:
        self.emitter.flush()


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:300] or type(error).__name__
