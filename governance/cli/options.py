"""The options several commands share, each declared once, and the typed settings they become.

Kafka and the registry are found the same way everywhere: the flag, the environment (and for
Kafka the --kafka-config file), then the running local stack. Resolving them is lazy: only a
command that talks to them pays for looking at the stack.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from governance.errors import GovernanceError
from governance.kafka.settings import CONFIG_ENV, KafkaSettings

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
F = TypeVar("F", bound=Callable[..., Any])
Note = Callable[[str], None]
"""Told why an optional service is left out (a line for stderr)."""

KAFKA_HELP = "Kafka to talk to. Default: $GOVERNANCE_BOOTSTRAP_SERVERS, then the running local stack."
REGISTRY_DEFAULT = "Default: $GOVERNANCE_REGISTRY_URL, then the local stack."


@dataclass(frozen=True)
class KafkaFlags:
    """--bootstrap-servers and --kafka-config as given."""

    bootstrap_servers: str | None = None
    kafka_config: Path | None = None

    @property
    def given(self) -> bool:
        return bool(self.bootstrap_servers or self.kafka_config)

    def settings(self, data_dir: Path | None = None) -> KafkaSettings:
        """The flag, the environment, the config file, then the running local stack (in `data_dir`)."""
        from governance.kafka import resolve_kafka_settings
        from governance.stack.discovery import stack_kafka

        return resolve_kafka_settings(self.bootstrap_servers, self.kafka_config, fallback=stack_kafka(data_dir))

    def settings_or_none(self, note: Note | None = None) -> KafkaSettings | None:
        """For commands that go on without Kafka: None when no cluster is named anywhere and no
        local one runs. A mistake in a flag or file that was given is still an error."""
        try:
            return self.settings()
        except GovernanceError as e:
            if self.given:
                raise
            if note is not None:
                note(e.message)
            return None


@dataclass(frozen=True)
class RegistryFlag:
    """--registry as given."""

    flag: str | None = None

    def url(self, data_dir: Path | None = None) -> str:
        """The flag, the environment, then the running local stack's registry."""
        from governance.registry.location import resolve_registry_url
        from governance.stack.discovery import stack_registry

        return resolve_registry_url(self.flag, fallback=stack_registry(data_dir))

    def url_or_none(self, note: Note | None = None) -> str | None:
        """For commands that go on without a registry: None when none is named anywhere and no
        local one runs (a URL that was given is always used)."""
        try:
            return self.url()
        except GovernanceError as e:
            if note is not None:
                note(e.message)
            return None


def bootstrap_servers_option(help: str = KAFKA_HELP) -> Callable[[F], F]:
    return click.option("--bootstrap-servers", "-b", metavar="HOST:PORT[,...]", help=help)


kafka_config_option = click.option(
    "--kafka-config",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar=CONFIG_ENV,
    metavar="FILE",
    help="Extra librdkafka properties (SASL, TLS) from a .properties or .yaml file, passed through unchanged.",
)


def kafka_flags(help: str = KAFKA_HELP, config: bool = True) -> Callable[[F], F]:
    """--bootstrap-servers (with `help`) and, when `config`, --kafka-config, as `kafka: KafkaFlags`."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, bootstrap_servers: str | None, kafka_config: Path | None = None, **kwargs: Any) -> Any:
            return command(*args, kafka=KafkaFlags(bootstrap_servers, kafka_config), **kwargs)

        decorated = kafka_config_option(wrapper) if config else wrapper
        return bootstrap_servers_option(help)(decorated)  # type: ignore[return-value]

    return decorate


def kafka_options(command: F) -> F:
    """--bootstrap-servers and --kafka-config, resolved into `settings: KafkaSettings` before the command runs."""

    @kafka_flags()
    @functools.wraps(command)
    def wrapper(*args: Any, kafka: KafkaFlags, **kwargs: Any) -> Any:
        return command(*args, settings=kafka.settings(), **kwargs)

    return wrapper  # type: ignore[return-value]


def registry_option(purpose: str, default: str = REGISTRY_DEFAULT) -> Callable[[F], F]:
    """--registry URL, as `registry: RegistryFlag`."""
    return click.option("--registry", "registry", metavar="URL", help=f"{purpose} {default}",
                        callback=lambda ctx, param, value: RegistryFlag(value))


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="GOVERNANCE_STACK_DIR",
    help="Where the stack keeps broker data, logs and its state file. "
    "Default: $XDG_STATE_HOME/governance/stack (~/.local/state/governance/stack).",
)

schemas_dir_option = click.option(
    "--schemas",
    "schemas_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default="schemas",
    show_default=True,
    help="Folder of governed .avsc files (one per subject, named <subject>.avsc) and subjects.yml.",
)

project_option = click.option(
    "--project", type=click.Path(path_type=Path, file_okay=False, exists=True), default=".", show_default=True,
    help="The folder holding schemas/, rules/ and lineage/.")
