"""What a Kafka cluster says about itself in a metadata request."""

from __future__ import annotations

from dataclasses import dataclass

from governance.kafka.connect import REFUSED_GRACE_S, first_contact
from governance.kafka.logs import silent_logger
from governance.kafka.settings import KafkaSettings


@dataclass(frozen=True)
class ClusterInfo:
    cluster_id: str | None
    controller_id: int
    brokers: dict[int, str]
    topics: int


def describe_cluster(settings: KafkaSettings, timeout: float = 10.0) -> ClusterInfo:
    _, metadata = first_contact(settings, timeout, logger=silent_logger(), refused_grace=REFUSED_GRACE_S)
    return ClusterInfo(
        cluster_id=metadata.cluster_id,
        controller_id=metadata.controller_id,
        brokers={b.id: f"{b.host}:{b.port}" for b in metadata.brokers.values()},
        topics=len([t for t in metadata.topics if not t.startswith("__")]),
    )
