"""The running local stack as the last place to look for Kafka and the registry.

`resolve_kafka_settings` and `resolve_registry_url` take these as fallbacks from the
command line, so that `governance.kafka` and `governance.registry` never import the stack.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def stack_kafka(stack_dir: Path | None = None) -> Callable[[], tuple[str, str] | None]:
    """-> (bootstrap servers, "local stack in DIR") when the stack in `stack_dir` is running."""

    def find() -> tuple[str, str] | None:
        from governance.stack.cluster import LocalStack

        status = LocalStack(stack_dir).status()
        if status is not None and status.running:
            return status.state.bootstrap_servers, f"local stack in {status.state.data_dir}"
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
