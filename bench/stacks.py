"""The cluster a benchmark runs on: the one given, or a one-broker local stack of its own."""

from __future__ import annotations

import argparse
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


def add_cluster_options(parser: argparse.ArgumentParser, log_help: str = "keep each run's output here") -> None:
    parser.add_argument("--log-dir", type=Path, help=log_help)
    parser.add_argument("--bootstrap-servers", help="a cluster to use (with --registry) instead of a fresh stack")
    parser.add_argument("--registry")


def run_on_cluster(parser: argparse.ArgumentParser, args: argparse.Namespace, prefix: str,
                   work: Callable[[str, str, Path], None]) -> None:
    """`work(bootstrap, registry_url, log_dir)` on the cluster the options name, else on a fresh stack."""
    import tempfile

    if bool(args.bootstrap_servers) != bool(args.registry):
        parser.error("--bootstrap-servers and --registry go together")
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp_name:
        tmp = Path(tmp_name)
        logs = args.log_dir.resolve() if args.log_dir else tmp
        logs.mkdir(parents=True, exist_ok=True)
        on_cluster(args.bootstrap_servers, args.registry, tmp, lambda bootstrap, registry: work(bootstrap, registry, logs))
