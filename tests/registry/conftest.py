"""Fixtures shared by the registry's tests: a confluent-kafka client of the session's registry, and multi-instance pairs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from registry_helpers import Instance

from governance.kafka import KafkaSettings


@pytest.fixture
def client(registry_url: str) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": registry_url})


@pytest.fixture
def pair(kafka: KafkaSettings, tmp_path: Path) -> Iterator[tuple[Instance, Instance]]:
    """Two registry instances on one fresh schemas topic: one primary, one follower."""
    topic = f"_schemas-pair-{uuid.uuid4().hex[:8]}"
    first = Instance(kafka, topic, tmp_path / "a.log")
    second = Instance(kafka, topic, tmp_path / "b.log")
    yield first, second
    first.stop()
    second.stop()
