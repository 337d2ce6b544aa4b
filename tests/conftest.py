"""Test harness: one real Apache Kafka broker for the whole session, started
through the same code as `governance stack up`, and a three-broker cluster
started on first use by tests marked `cluster3`."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from datahub.testing.pytest_hooks import load_golden_flags, pytest_addoption  # noqa: F401  (--update-golden-files)

from governance.kafka import KafkaSettings
from governance.stack.cluster import LocalStack

os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture(scope="session")
def kafka_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = LocalStack(tmp_path_factory.mktemp("stack-1"))
    stack.up(brokers=1, port=0)
    yield stack
    stack.down(purge=True)


@pytest.fixture(scope="session")
def kafka(kafka_stack: LocalStack) -> KafkaSettings:
    """Connection settings for the session's single broker."""
    state = kafka_stack.state()
    assert state is not None
    return KafkaSettings(state.bootstrap_servers, source="test stack")


@pytest.fixture(scope="session")
def registry_url(kafka_stack: LocalStack) -> str:
    """The schema registry the stack started beside the session broker."""
    state = kafka_stack.state()
    assert state is not None and state.registry is not None
    return state.registry.url


@pytest.fixture(scope="session")
def cluster3_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = LocalStack(tmp_path_factory.mktemp("stack-3"))
    stack.up(brokers=3, port=0)
    yield stack
    stack.down(purge=True)


@pytest.fixture
def cluster3(request: pytest.FixtureRequest, cluster3_stack: LocalStack) -> Iterator[LocalStack]:
    """The three-broker cluster, with every node running again, and every partition in sync,
    after the test."""
    from kafka_helpers import wait_in_sync

    if request.node.get_closest_marker("cluster3") is None:
        pytest.fail("tests that use the three-broker cluster must be marked @pytest.mark.cluster3")
    yield cluster3_stack
    cluster3_stack.up()
    state = cluster3_stack.state()
    assert state is not None
    wait_in_sync(KafkaSettings(state.bootstrap_servers))


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A topic or group name no other test uses: the test's name plus a random suffix."""
    base = re.sub(r"[^a-zA-Z0-9._-]+", "-", request.node.name)[:80].strip("-")
    return f"{base}-{uuid.uuid4().hex[:8]}"
