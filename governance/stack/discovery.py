"""The running local stack as the last place to look for Kafka and the registry.

`resolve_kafka_settings` and `resolve_registry_url` take these as fallbacks from the
command line, so that `governance.kafka` and `governance.registry` never import the stack.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from governance.kafka.settings import KafkaSettings


def stack_kafka(stack_dir: Path | None = None) -> Callable[[], KafkaSettings | None]:
    """-> how to reach the stack in `stack_dir` when it is running (with its client
    properties when it is secured), from "local stack in DIR"."""

    def find() -> KafkaSettings | None:
        from governance.stack.cluster import LocalStack, client_settings

        status = LocalStack(stack_dir).status()
        if status is not None and status.running:
            return client_settings(status.state, f"local stack in {status.state.data_dir}")
        return None

    return find


def stack_registry(stack_dir: Path | None = None) -> Callable[[], str | None]:
    """-> the registry URL when the stack in `stack_dir` runs one."""

    def find() -> str | None:
        from governance.stack.cluster import LocalStack

        status = LocalStack(stack_dir).status()
        if status is not None and status.registry_alive and status.state.registry is not None:
            return status.state.registry.url
        return None

    return find
