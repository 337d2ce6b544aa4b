"""Creating topics, one way for every part: a topic that already exists (another
process won the race) is not an error; any other refusal names the topic and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from governance.errors import GovernanceError


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 1
    replication_factor: int = -1
    """-1: the brokers' default.replication.factor."""
    config: Mapping[str, str] = field(default_factory=dict)


def create_topics(admin: Any, specs: Sequence[TopicSpec], timeout: float = 30.0, hint: str | None = None) -> list[str]:
    """Create `specs` with an AdminClient; returns the names this call created."""
    from concurrent.futures import TimeoutError as FutureTimeout

    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    if not specs:
        return []
    futures = admin.create_topics([NewTopic(s.name, s.partitions, s.replication_factor, config=dict(s.config))
                                   for s in specs])
    created = []
    for name, future in futures.items():
        try:
            future.result(timeout)
            created.append(name)
        except KafkaException as e:
            if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise GovernanceError(f"cannot create topic {name}: {e.args[0].str()}", hint=hint) from None
        except FutureTimeout:
            raise GovernanceError(f"cannot create topic {name}: no answer within {timeout:.0f} s", hint=hint) from None
    return created
