"""A shallow clone (CI's default checkout) must not pass a transitive break it cannot see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gate_cases import ID
from gate_helpers import GitRepo, clone, make_repo, record, run_gate

COUNT_INT = {"name": "count", "type": "int", "default": 0}
COUNT_STRING = {"name": "count", "type": "string", "default": ""}


@pytest.fixture
def upstream(tmp_path: Path) -> GitRepo:
    """`count` was an int in version 1, removed in version 2; the change re-adds it as a string."""
    repo = make_repo(tmp_path / "upstream")
    repo.commit({"subjects.yml": "events-value:\n  compatibility: BACKWARD_TRANSITIVE\nother-value: {}\n",
                 "events-value.avsc": record([ID, COUNT_INT]), "other-value.avsc": record([ID])})
    repo.commit({"events-value.avsc": record([ID])})
    return repo


def readd_as_string(repo: GitRepo) -> None:
    repo.write({"events-value.avsc": record([ID, COUNT_STRING])})


def test_the_full_clone_finds_the_break_against_version_1(upstream: GitRepo, tmp_path: Path) -> None:
    repo = clone(upstream, tmp_path / "full")
    readd_as_string(repo)
    result = run_gate(repo, "check", "--against", "origin/main", "--format", "json")
    assert result.returncode == 1, result.stderr
    (finding,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (finding["type"], finding["field_path"], finding["version"]) == ("TYPE_MISMATCH", "count", 1)


def test_a_shallow_clone_refuses_a_transitive_check_and_says_how_to_fetch(upstream: GitRepo, tmp_path: Path) -> None:
    repo = clone(upstream, tmp_path / "shallow", "--depth", "1")
    assert repo.git("rev-parse", "--is-shallow-repository").strip() == "true"
    readd_as_string(repo)
    result = run_gate(repo, "check", "--against", "origin/main")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "OK" not in result.stdout
    assert "this clone is shallow" in result.stderr
    assert "events-value (BACKWARD_TRANSITIVE)" in result.stderr and "other-value" not in result.stderr
    assert "fetch-depth: 0" in result.stderr and "git fetch --unshallow" in result.stderr


def test_after_unshallow_the_shallow_clone_finds_the_break(upstream: GitRepo, tmp_path: Path) -> None:
    repo = clone(upstream, tmp_path / "shallow", "--depth", "1")
    repo.git("fetch", "-q", "--unshallow")
    readd_as_string(repo)
    assert run_gate(repo, "check", "--against", "origin/main").returncode == 1


def test_a_shallow_clone_still_checks_a_non_transitive_level_against_the_ref(upstream: GitRepo, tmp_path: Path) -> None:
    upstream.commit({"subjects.yml": "events-value:\n  compatibility: BACKWARD\nother-value: {}\n"})
    repo = clone(upstream, tmp_path / "shallow", "--depth", "1")
    readd_as_string(repo)
    assert run_gate(repo, "check", "--against", "origin/main").returncode == 0  # version 2 has no `count`
    repo.write({"events-value.avsc": record([{"name": "id", "type": "int"}])})
    breaking = run_gate(repo, "check", "--against", "origin/main", "--format", "json")
    assert breaking.returncode == 1, breaking.stderr
    assert json.loads(breaking.stdout)["type"] == "TYPE_MISMATCH"


def test_a_shallow_clone_whose_transitive_subjects_are_unchanged_passes(upstream: GitRepo, tmp_path: Path) -> None:
    repo = clone(upstream, tmp_path / "shallow", "--depth", "1")
    repo.write({"other-value.avsc": record([ID, {"name": "note", "type": "string", "default": ""}])})
    result = run_gate(repo, "check", "--against", "origin/main")
    assert result.returncode == 0, result.stderr
    assert "OK: 2 subject(s), 1 changed" in result.stdout
