"""The state file a running stack leaves in its data directory."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from governance.stack.security import PLAINTEXT, client_properties_path

STATE_FILE = "stack.json"


@dataclass
class BrokerState:
    id: int
    port: int
    controller_port: int
    pid: int | None
    config: str
    log: str


@dataclass
class RegistryProcessState:
    port: int
    pid: int | None
    log: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class ConsoleProcessState:
    port: int
    pid: int | None
    log: str
    project: str
    """The folder with schemas/, rules/ and lineage/ that the console shows (where `stack up` ran)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class StackState:
    data_dir: str
    kafka_version: str
    cluster_id: str
    brokers: list[BrokerState] = field(default_factory=list)
    registry: RegistryProcessState | None = None
    console: ConsoleProcessState | None = None
    security: str = PLAINTEXT
    """`plaintext` or `sasl_ssl` (a stack.json from before security existed has none: plaintext)."""

    @property
    def client_properties(self) -> str | None:
        """The librdkafka properties a client of a secured stack needs; None for plaintext."""
        return None if self.security == PLAINTEXT else str(client_properties_path(Path(self.data_dir)))

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{broker.port}" for broker in self.brokers)

    @property
    def log_dir(self) -> str:
        return str(Path(self.data_dir) / "logs")

    def broker(self, broker_id: int) -> BrokerState:
        for broker in self.brokers:
            if broker.id == broker_id:
                return broker
        raise KeyError(f"no broker {broker_id} in this stack")

    def save(self) -> None:
        path = Path(self.data_dir) / STATE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.replace(tmp, path)

    @classmethod
    def load(cls, data_dir: Path) -> StackState | None:
        path = data_dir / STATE_FILE
        if not path.is_file():
            return None
        raw = json.loads(path.read_text())
        brokers = [BrokerState(**broker) for broker in raw.pop("brokers")]
        registry = raw.pop("registry", None)
        console = raw.pop("console", None)
        return cls(brokers=brokers, registry=RegistryProcessState(**registry) if registry else None,
                   console=ConsoleProcessState(**console) if console else None, **raw)
