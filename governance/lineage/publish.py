"""`lineage emit`: the governed estate (schemas/, rules/, lineage/), with what the registry and
Kafka know of it, published to one DataHub target."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.errors import GovernanceError
from governance.kafka.settings import KafkaSettings
from governance.lineage.build import add_partitions, project_estate
from governance.lineage.datahub import DataHubOptions, Mapper
from governance.lineage.emit import Target, open_emitter
from governance.registry.client import RegistryClient


@dataclass(frozen=True)
class EmitRequest:
    project: Path
    target: Target
    registry_url: str | None
    registry_named: bool
    """--registry was given: it is read even when it does not answer (and the error says so)."""
    registry_subjects: bool = False
    datahub: DataHubOptions = DataHubOptions()
    bootstrap_servers: str | None = None
    """-b as given: Kafka that does not answer for the partition counts is then an error."""


def publish(target: Target, mcps: Sequence[Any]) -> None:
    emitter = open_emitter(target)
    try:
        emitter.emit(mcps)
    finally:
        emitter.close()


def emit_project(request: EmitRequest, kafka: Callable[[], KafkaSettings | None],
                 note: Callable[[str], None]) -> list[str]:
    """Publish the project's estate to `request.target` and say what went; `kafka()` is the cluster
    to read partition counts from (None: none), `note` takes the lines for stderr."""
    url = request.registry_url
    asked = url if request.registry_named or request.target.kind == "kafka" else _answering(url)
    if request.registry_subjects and asked is None:
        raise GovernanceError("--include-registry-subjects needs a schema registry that answers",
                              hint="pass --registry URL or set $GOVERNANCE_REGISTRY_URL")
    estate = project_estate(request.project, asked, request.registry_subjects)
    if asked is None:
        note("note: no schema registry reached: the declared levels of schemas/ are published, "
             "without the registry's ids, versions and levels")
    for warning in estate.level_warnings():
        note(f"warning: {warning}")
    settings = kafka()
    if settings is not None and not add_partitions(estate, settings, timeout=5) and request.bootstrap_servers:
        raise GovernanceError(f"cannot reach Kafka at {request.bootstrap_servers} for the topics' partition counts",
                              hint="check --bootstrap-servers, or leave it out")
    mcps = Mapper(estate, request.datahub).mcps()
    publish(request.target, mcps)
    kinds = Counter(mcp.entityType for mcp in mcps)
    return [f"emitted {len(mcps)} aspects to {request.target.describe()}: "
            + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())),
            f"  {sum(1 for r in estate.datasets if r.platform == 'kafka')} topics, "
            f"{sum(1 for r in estate.datasets if r.platform != 'kafka')} other datasets, {len(estate.jobs)} jobs, "
            f"{sum(len(j.assertions) for j in estate.jobs)} assertions"]


def _answering(url: str | None) -> str | None:
    """The registry if it answers; lineage from schemas/ alone otherwise."""
    return url if url is not None and RegistryClient(url, timeout=2).answers() else None
