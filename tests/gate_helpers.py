"""A real temporary git repository with schemas/, and the gate run as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def record(fields: list[dict[str, Any]], name: str = "Event") -> str:
    """A record schema written one field per line, so each top-level field has its own line."""
    body = ",\n".join(f"    {json.dumps(f)}" for f in fields)
    return f'{{\n  "type": "record",\n  "name": "{name}",\n  "namespace": "com.example",\n  "fields": [\n{body}\n  ]\n}}\n'


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@dataclass
class GitRepo:
    root: Path

    @property
    def schemas(self) -> Path:
        return self.root / "schemas"

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True, text=True).stdout

    def write(self, files: dict[str, str | None]) -> None:
        """Write (or with None, delete) files under schemas/."""
        for name, text in files.items():
            path = self.schemas / name
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        self.write(files)
        self.git("add", "-A", "schemas")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


def make_repo(path: Path) -> GitRepo:
    path.mkdir(parents=True, exist_ok=True)
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "user.name", "Gate Test")
    repo.git("config", "user.email", "gate@example.com")
    repo.git("config", "commit.gpgsign", "false")
    (path / "schemas").mkdir()
    return repo


def run_gate(repo: GitRepo, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    environment.pop("GOVERNANCE_REGISTRY_URL", None) if env is None or "GOVERNANCE_REGISTRY_URL" not in env else None
    return subprocess.run([sys.executable, "-m", "governance", "schemas", *args], cwd=repo.root,
                          capture_output=True, text=True, env=environment, timeout=120)


def findings(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def clone(source: GitRepo, path: Path, *options: str) -> GitRepo:
    """A real `git clone` of `source` (e.g. `--depth 1`, as CI checkouts are), with origin/main."""
    subprocess.run(["git", "clone", "-q", *options, source.root.as_uri(), str(path)], check=True, capture_output=True)
    repo = GitRepo(path)
    repo.git("config", "user.name", "Gate Test")
    repo.git("config", "user.email", "gate@example.com")
    return repo
