"""What a Kafka cluster says about itself in a metadata request."""

from __future__ import annotations

from dataclasses import dataclass

from governance.errors import GovernanceError
from governance.kafka.logs import silent_logger
from governance.kafka.settings import KafkaSettings


@dataclass(frozen=True)
class ClusterInfo:
    cluster_id: str | None
    controller_id: int
    brokers: dict[int, str]
    topics: int


def describe_cluster(settings: KafkaSettings, timeout: float = 10.0) -> ClusterInfo:
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(settings.client_config(logger=silent_logger()))
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise GovernanceError(
            f"Kafka at {settings.bootstrap_servers} (from {settings.source}) did not answer "
            f"within {timeout:.0f}s: {exc.args[0].str() if exc.args else exc}",
            hint="check the address and, for a secured cluster, the properties in --kafka-config",
        ) from None
    return ClusterInfo(
        cluster_id=metadata.cluster_id,
        controller_id=metadata.controller_id,
        brokers={b.id: f"{b.host}:{b.port}" for b in metadata.brokers.values()},
        topics=len([t for t in metadata.topics if not t.startswith("__")]),
    )
