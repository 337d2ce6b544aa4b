"""Optional capabilities: the base install is the CI gate; each other capability is a pip
extra (pyproject.toml), and a command whose extra is missing says which one to install
instead of failing on an import."""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from governance.errors import GovernanceError

DISTRIBUTION = "kafka-governance"

EXTRAS: dict[str, tuple[str, ...]] = {
    # extra -> the top-level modules its commands import (what pyproject.toml installs for it)
    "protobuf": ("google", "grpc_tools"),  # only for .proto schemas: the gate asks for it when it meets one
    "json_schema": ("jsonschema", "jsonschema_rs"),  # only for .json schemas, likewise
    "sentinel": ("great_expectations", "prometheus_client", "confluent_kafka", "fastavro"),
    "lineage": ("datahub", "datahub_gx_plugin", "confluent_kafka", "fastavro"),
    "registry": ("uvicorn", "starlette", "confluent_kafka"),
    "console": ("starlette", "jinja2", "uvicorn", "confluent_kafka", "fastavro"),
    "stack": ("cryptography", "uvicorn", "starlette", "jinja2", "confluent_kafka", "fastavro"),
}
EXTRAS["all"] = tuple(dict.fromkeys(m for modules in EXTRAS.values() for m in modules))

F = TypeVar("F", bound=Callable[..., Any])


class MissingExtra(GovernanceError):
    def __init__(self, what: str, extra: str, missing: list[str]) -> None:
        named = ", ".join(missing[:2]) + (f" and {len(missing) - 2} more" if len(missing) > 2 else "")
        super().__init__(f"{what} needs the `{extra}` extra ({named} not installed): "
                         f"{install_command(extra, _origin())}")


def install_command(extra: str, origin: dict[str, Any] | None) -> str:
    """The pip command that adds `extra` to this install, from where pip took it
    (`origin`: the install's direct_url.json, PEP 610): a git URL, a folder, or the index."""
    origin = origin or {}
    url = origin.get("url", "")
    if vcs := origin.get("vcs_info"):
        revision = f"@{vcs['commit_id']}" if vcs.get("commit_id") else ""
        return f"pip install '{DISTRIBUTION}[{extra}] @ {vcs.get('vcs', 'git')}+{url}{revision}'"
    if "dir_info" in origin and url.startswith("file:"):
        folder = urllib.request.url2pathname(urllib.parse.urlparse(url).path)
        return f"pip install {'-e ' if origin['dir_info'].get('editable') else ''}'{folder}[{extra}]'"
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def _origin() -> dict[str, Any] | None:
    try:
        text = importlib.metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
        return json.loads(text) if text else None
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def missing_modules(extra: str) -> list[str]:
    return [m for m in EXTRAS[extra] if not _installed(m)]


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(extra: str, what: str) -> None:
    """Raise a one-line error naming the extra to install when any of its modules is missing."""
    if missing := missing_modules(extra):
        raise MissingExtra(what, extra, missing)


def needs(extra: str) -> Callable[[F], F]:
    """Mark a CLI command as needing `extra`; checked before the command runs (not for --help)."""

    def mark(command: F) -> F:
        @functools.wraps(command)
        def checked(*args: Any, **kwargs: Any) -> Any:
            import click

            require(extra, f"`{click.get_current_context().command_path}`")
            return command(*args, **kwargs)

        checked.extra = extra  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return mark


@contextmanager
def missing_as_error() -> Iterator[None]:
    """An optional module imported where no command declared it: still the install hint, not a traceback."""
    try:
        yield
    except ModuleNotFoundError as e:
        top = (e.name or "").partition(".")[0]
        owners = [extra for extra, modules in EXTRAS.items() if top in modules and extra != "all"]
        if not owners or _installed(top):
            raise
        raise MissingExtra("this command", owners[0] if len(owners) == 1 else "all", [top]) from None
