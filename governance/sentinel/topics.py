"""The topics and the KPI schema a pipeline needs, checked or made before it starts."""

from __future__ import annotations

from governance.errors import GovernanceError
from governance.kafka import KafkaSettings
from governance.kafka.connect import REFUSED_GRACE_S, first_contact
from governance.kafka.logs import client_logger
from governance.kafka.topics import TopicSpec, create_topics
from governance.sentinel.pipeline import Pipeline


def prepare(settings: KafkaSettings, pipeline: Pipeline, timeout: float = 30.0) -> list[str]:
    """Fail clearly if a source topic is missing; create missing output topics
    (valid: as many partitions as the first source; DLQ and KPI: one). Returns what was created."""
    admin, metadata = first_contact(settings, timeout, logger=client_logger(), refused_grace=REFUSED_GRACE_S,
                                    hint="check --bootstrap-servers / $GOVERNANCE_BOOTSTRAP_SERVERS")
    existing = metadata.topics
    missing = [t for t in pipeline.sources if t not in existing]
    if missing:
        raise GovernanceError(
            f"{pipeline.path}: source topic {', '.join(missing)} does not exist on {settings.bootstrap_servers}",
            hint="create it, or fix `source` in the pipeline file")
    partitions = len(existing[pipeline.sources[0]].partitions)
    wanted = [(pipeline.valid_topic, partitions, {}), (pipeline.dlq_topic, 1, {}),
              # The last KPI record per key is the truth (see kpi.py): compaction keeps exactly that.
              (pipeline.kpi_topic, 1, {"cleanup.policy": "compact"})]
    return create_topics(admin, [TopicSpec(name, n, config=c) for name, n, c in wanted if name not in existing], timeout,
                         hint="create it yourself, or give the sentinel's principal CreateTopics")


_REGISTRY_HINT = "check --registry / $GOVERNANCE_REGISTRY_URL, or start the local stack with `governance stack up`"


def register_kpi_schema(registry_url: str, pipeline: Pipeline) -> int:
    from governance.registry.client import RegistryClient, RegistryClientError, subject_path
    from governance.sentinel.kpi import kpi_schema_text

    subject = f"{pipeline.kpi_topic}-value"
    try:
        answer = RegistryClient(registry_url, unreachable_hint=_REGISTRY_HINT).call("POST", f"/subjects/{subject_path(subject)}/versions",
                                             {"schema": kpi_schema_text()})
    except RegistryClientError as e:
        raise GovernanceError(f"cannot register the KPI schema under {subject}: {e.message}",
                              hint="a different schema is registered there; set `kpi_topic` to another topic") from None
    return int(answer["id"])
