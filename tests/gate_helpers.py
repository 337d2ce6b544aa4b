"""A real temporary git repository with schemas/, and the gate run as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry_helpers import http


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


def post(url: str, path: str, body: Any) -> Any:
    """PUT a /config, POST anything else to the registry; the answer must be 200."""
    status, answer = http("PUT" if path.startswith("/config") else "POST", url + path, body)
    assert status == 200, answer
    return answer


def register(url: str, subject: str, text: str, schema_type: str,
             references: list[dict[str, Any]] | None = None) -> Any:
    return post(url, f"/subjects/{subject}/versions", {"schema": text, "schemaType": schema_type,
                                                        **({"references": references} if references else {})})


def only_findings(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [f for f in findings(result) if "warning" not in f]


def both(repo: GitRepo, url: str, against: str = "HEAD") -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """`schemas check --format json` in git mode against `against`, then in registry mode."""
    git = run_gate(repo, "check", "--against", against, "--format", "json")
    registry = run_gate(repo, "check", "--registry", url, "--format", "json")
    return git, registry


History = dict[str, tuple[str, list[str], str]]


def seed_history(repo: GitRepo, url: str, cases: History, suffix: str, schema_type: str) -> None:
    """Commit each subject's (level, versions, change) to git and the registry, then write the changes."""
    repo.commit({"subjects.yml": "".join(f"{s}:\n  compatibility: {level}\n" for s, (level, _, _) in cases.items())})
    for i in range(max(len(versions) for _, versions, _ in cases.values())):
        repo.commit({f"{s}{suffix}": versions[i] for s, (_, versions, _) in cases.items() if i < len(versions)})
    for subject, (level, versions, _) in cases.items():
        post(url, f"/config/{subject}", {"compatibility": "NONE"})  # the history as it was committed
        for text in versions:
            register(url, subject, text, schema_type)
        post(url, f"/config/{subject}", {"compatibility": level})
    repo.write({f"{s}{suffix}": new for s, (_, _, new) in cases.items()})


def assert_same_lines(repo: GitRepo, url: str) -> None:
    """Registry mode tells the lines git mode tells in each format (a FULL level's two directions in either order)."""
    for fmt in ("text", "github", "junit"):
        told = run_gate(repo, "check", "--registry", url, "--format", fmt).stdout
        assert sorted(told.splitlines()) == sorted(run_gate(repo, "check", "--against", "HEAD", "--format", fmt).stdout.replace(
            "(git HEAD)", f"(registry {url})").splitlines())
