"""Where the schema registry is: flag, then environment, then the running local stack."""

from __future__ import annotations

import os
from pathlib import Path

from governance.errors import GovernanceError

REGISTRY_ENV = "GOVERNANCE_REGISTRY_URL"


def resolve_registry_url(flag: str | None = None, stack_dir: Path | None = None) -> str:
    if flag:
        return flag.rstrip("/")
    if from_env := os.environ.get(REGISTRY_ENV):
        return from_env.rstrip("/")
    from governance.stack.cluster import LocalStack

    status = LocalStack(stack_dir).status()
    if status is not None and status.registry_alive and status.state.registry is not None:
        return status.state.registry.url
    raise GovernanceError(
        "No schema registry to talk to.",
        hint=f"pass --registry URL, set {REGISTRY_ENV}, or start the local stack with `governance stack up`",
    )
