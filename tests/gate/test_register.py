"""`schemas register`: new and changed subjects registered once, incompatible ones refused."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from gate_cases import ID
from gate_helpers import make_repo, record, run_gate


def versions(url: str, subject: str) -> list[int]:
    try:
        with urllib.request.urlopen(f"{url}/subjects/{subject}/versions", timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        assert e.code == 404
        return []


def test_register_dry_run_then_for_real_then_idempotent(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    repo = make_repo(tmp_path / "repo")
    a, b = f"{unique_name}-a", f"{unique_name}-b"
    repo.write({f"{a}.avsc": record([ID]), f"{b}.avsc": record([ID], name="Other")})

    dry = run_gate(repo, "register", "--registry", registry_url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would register  {a}" in dry.stdout
    assert versions(registry_url, a) == []

    real = run_gate(repo, "register", "--registry", registry_url)
    assert real.returncode == 0, real.stderr
    assert f"registered      {a} version 1" in real.stdout
    assert versions(registry_url, a) == [1] and versions(registry_url, b) == [1]

    again = run_gate(repo, "register", "--registry", registry_url)
    assert again.returncode == 0
    assert f"unchanged       {a} version 1" in again.stdout
    assert versions(registry_url, a) == [1]

    repo.write({f"{a}.avsc": record([ID, {"name": "n", "type": "int", "default": 0}])})
    changed = run_gate(repo, "register", "--registry", registry_url)
    assert f"registered      {a} version 2" in changed.stdout
    assert f"unchanged       {b} version 1" in changed.stdout


def test_incompatible_subject_is_refused_and_others_still_registered(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    repo = make_repo(tmp_path / "repo")
    bad, good = f"{unique_name}-bad", f"{unique_name}-good"
    repo.write({f"{bad}.avsc": record([ID]), f"{good}.avsc": record([ID])})
    assert run_gate(repo, "register", "--registry", registry_url).returncode == 0

    repo.write({f"{bad}.avsc": record([ID, {"name": "x", "type": "int"}]),
                f"{good}.avsc": record([ID, {"name": "y", "type": "int", "default": 1}])})
    result = run_gate(repo, "register", "--registry", registry_url)
    assert result.returncode == 1
    assert f"refused         {bad}" in result.stdout
    assert f"schemas/{bad}.avsc:7: READER_FIELD_MISSING_DEFAULT_VALUE" in result.stdout
    assert versions(registry_url, bad) == [1]
    assert versions(registry_url, good) == [1, 2]


def test_register_with_references_registers_the_referenced_subject_first(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    repo = make_repo(tmp_path / "repo")
    address, user = f"{unique_name}-address", f"{unique_name}-user"
    repo.write({
        f"{address}.avsc": '{"type": "record", "name": "Address", "namespace": "com.example", "fields": [{"name": "zip", "type": "string"}]}',
        f"{user}.avsc": record([ID, {"name": "home", "type": "com.example.Address"}]),
        "subjects.yml": f"{user}:\n  references:\n    - {{name: com.example.Address, subject: {address}}}\n",
    })  # fmt: skip
    result = run_gate(repo, "register", "--registry", registry_url)
    assert result.returncode == 0, result.stdout + result.stderr
    with urllib.request.urlopen(f"{registry_url}/subjects/{user}/versions/1", timeout=30) as response:
        body: dict[str, Any] = json.loads(response.read())
    assert body["references"] == [{"name": "com.example.Address", "subject": address, "version": 1}]


def test_register_sets_each_declared_level_and_says_so(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    from registry_helpers import http

    repo = make_repo(tmp_path / "repo")
    declared, plain = f"{unique_name}-orders", f"{unique_name}-plain"
    repo.write({f"{declared}.avsc": record([ID]), f"{plain}.avsc": record([ID], name="Plain"),
                "subjects.yml": f"{declared}:\n  compatibility: FULL_TRANSITIVE\n"})

    dry = run_gate(repo, "register", "--registry", registry_url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would set level {declared} FULL_TRANSITIVE (now inherited: the registry's global BACKWARD)" in dry.stdout
    assert http("GET", f"{registry_url}/config/{declared}")[1]["error_code"] == 40408

    real = run_gate(repo, "register", "--registry", registry_url)
    assert real.returncode == 0, real.stderr
    assert f"level set       {declared} FULL_TRANSITIVE (was inherited: the registry's global BACKWARD)" in real.stdout
    assert http("GET", f"{registry_url}/config/{declared}") == (200, {"compatibilityLevel": "FULL_TRANSITIVE"})
    assert http("GET", f"{registry_url}/config/{plain}")[0] == 404, "a subject that declares no level keeps the registry's"

    again = run_gate(repo, "register", "--registry", registry_url)
    assert "level set" not in again.stdout and "would set level" not in again.stdout
