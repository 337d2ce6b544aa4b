"""Where the schema registry is: flag, then environment, then a fallback the caller passes in."""

from __future__ import annotations

import os
from collections.abc import Callable

from governance.errors import GovernanceError

REGISTRY_ENV = "GOVERNANCE_REGISTRY_URL"


def resolve_registry_url(flag: str | None = None, fallback: Callable[[], str | None] | None = None) -> str:
    """`fallback()` is the command line's (the running local stack's registry); this package
    knows nothing of the stack."""
    if flag:
        return flag.rstrip("/")
    if from_env := os.environ.get(REGISTRY_ENV):
        return from_env.rstrip("/")
    found = fallback() if fallback is not None else None
    if found is not None:
        return found
    raise GovernanceError(
        "No schema registry to talk to.",
        hint=f"pass --registry URL, set {REGISTRY_ENV}, or start the local stack with `governance stack up`",
    )
