"""The cluster a benchmark runs on: the one given, or a one-broker local stack of its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def on_cluster(bootstrap: str | None, registry: str | None, tmp: Path, work: Callable[[str, str], None]) -> None:
    """Run `work(bootstrap, registry_url)` on the given cluster, else on a fresh stack in `tmp`
    that is removed afterwards."""
    if bootstrap and registry:
        work(bootstrap, registry)
        return
    from governance.stack.cluster import LocalStack

    stack = LocalStack(tmp / "stack")
    stack.up(brokers=1, port=0)
    try:
        state = stack.state()
        assert state is not None and state.registry is not None
        work(state.bootstrap_servers, state.registry.url)
    finally:
        stack.down(purge=True)
