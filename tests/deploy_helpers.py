"""What the shipped deployment files (deploy/) say, read the way systemd and Kubernetes read them,
and their command lines parsed by the CLI itself, so that neither can drift from the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def cli_params(words: list[str]) -> tuple[str, dict[str, Any]]:
    """`governance` arguments as the CLI parses them, without running anything: the command's
    path ("sentinel run") and its parameters (a flag it does not know, or a bad value, raises)."""
    from governance.cli import cli

    ctx = click.Context(cli, info_name="governance")
    command: click.Command = cli
    path, rest = [], list(words)
    while isinstance(command, click.Group):
        name, rest = rest[0], rest[1:]
        found = command.get_command(ctx, name)
        assert found is not None, f"governance has no command {' '.join([*path, name])!r}"
        path.append(name)
        command, ctx = found, click.Context(found, info_name=name, parent=ctx)
    return " ".join(path), command.make_context(path[-1], rest, parent=ctx.parent).params


def unit_file(path: Path) -> dict[str, list[str]]:
    """A systemd unit: "Section.Key" -> its values in order (a key may repeat)."""
    out: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if m := re.fullmatch(r"\[(\w+)\]", line):
            section = m.group(1)
            continue
        key, _, value = line.partition("=")
        out.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return out


def env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as systemd's EnvironmentFile= reads them (no quoting used here)."""
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))
