"""`schemas check --against REF`: findings from git history, one case per finding type and per level."""

from __future__ import annotations

from pathlib import Path

import pytest
from gate_cases import CASES, ID, Case
from gate_helpers import findings, line_of, make_repo, record, run_gate


def subjects_yml(levels: dict[str, str], extra: str = "") -> str:
    return "".join(f"{s}:\n  compatibility: {level}\n" for s, level in levels.items()) + extra


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_finding_type_and_level(tmp_path: Path, case: Case) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"subjects.yml": subjects_yml({"events-value": case.level})})
    for text in case.history:
        repo.commit({"events-value.avsc": text})
    repo.write({"events-value.avsc": case.new})

    result = run_gate(repo, "check", "--against", "HEAD", "--format", "json")

    assert result.returncode == case.exit_code, result.stderr + result.stdout
    got = sorted((f["type"], f["field_path"], f["version"], f["line"]) for f in findings(result))
    want = sorted((t, path, v, line_of(case.new, needle)) for t, path, v, needle in case.expected)
    assert got == want
    for f in findings(result):
        assert f["file"] == "schemas/events-value.avsc"
        assert f["subject"] == "events-value" and f["level"] == case.level
        assert f["message"]


def test_full_reports_both_directions(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "full-both-directions")
    repo = make_repo(tmp_path / "repo")
    repo.commit({"subjects.yml": subjects_yml({"events-value": "FULL"}), "events-value.avsc": case.history[0]})
    repo.write({"events-value.avsc": case.new})
    result = run_gate(repo, "check", "--against", "HEAD", "--format", "json")
    assert sorted(f["direction"] for f in findings(result)) == ["backward", "forward"]


def test_default_level_is_backward_and_unchanged_files_pass(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"a-value.avsc": record([ID]), "b-value.avsc": record([ID])})
    repo.write({"a-value.avsc": record([ID, {"name": "x", "type": "int"}])})
    result = run_gate(repo, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 1
    assert [(f["subject"], f["level"]) for f in findings(result)] == [("a-value", "BACKWARD")]


def test_new_subject_passes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"a-value.avsc": record([ID])})
    repo.write({"new-value.avsc": record([{"name": "anything", "type": "int"}])})
    result = run_gate(repo, "check", "--against", "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 2 subject(s), 1 changed" in result.stdout


def test_deleted_subject_breaks_unless_allowed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"a-value.avsc": record([ID]), "gone-value.avsc": record([ID])})
    repo.write({"gone-value.avsc": None})
    result = run_gate(repo, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 1
    [finding] = findings(result)
    assert (finding["type"], finding["subject"], finding["file"]) == ("SUBJECT_DELETED", "gone-value", "schemas/gone-value.avsc")

    repo.write({"subjects.yml": "gone-value:\n  allow_delete: true\n"})
    allowed = run_gate(repo, "check", "--against", "HEAD")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_against_an_older_commit_and_a_branch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"a-value.avsc": record([ID, {"name": "n", "type": "int"}])})
    repo.git("branch", "base")
    repo.commit({"a-value.avsc": record([ID, {"name": "n", "type": "string"}])})
    assert run_gate(repo, "check", "--against", "HEAD").returncode == 0
    assert run_gate(repo, "check", "--against", "HEAD~1").returncode == 1
    assert run_gate(repo, "check", "--against", "base").returncode == 1


def test_transitive_history_counts_distinct_versions_in_commit_order(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"subjects.yml": subjects_yml({"a-value": "BACKWARD_TRANSITIVE"})})
    v1 = record([ID])
    v2 = record([ID, {"name": "b", "type": "int", "default": 0}])
    repo.commit({"a-value.avsc": v1})
    repo.commit({"a-value.avsc": v2})
    repo.commit({"other.avsc": record([ID])}, "an unrelated commit")
    repo.write({"a-value.avsc": record([ID, {"name": "b", "type": "int"}, {"name": "c", "type": "int"}])})
    result = run_gate(repo, "check", "--against", "HEAD", "--format", "json")
    got = sorted((f["field_path"], f["versions"]) for f in findings(result))
    assert got == [("b", [1]), ("c", [1, 2])]  # one finding per broken field
    verbose = run_gate(repo, "check", "--against", "HEAD", "--format", "json", "--verbose")
    assert sorted((f["field_path"], f["version"]) for f in findings(verbose)) == [("b", 1), ("c", 1), ("c", 2)]


def test_references_between_subjects(tmp_path: Path) -> None:
    address = '{"type": "record", "name": "Address", "namespace": "com.example", "fields": [{"name": "zip", "type": "string"}]}'
    user = record([ID, {"name": "home", "type": "com.example.Address"}])
    repo = make_repo(tmp_path / "repo")
    yml = "user-value:\n  references:\n    - {name: com.example.Address, subject: address-value, version: 1}\n"
    repo.commit({"subjects.yml": yml, "address-value.avsc": address, "user-value.avsc": user})
    repo.write({"user-value.avsc": record([ID, {"name": "home", "type": "com.example.Address"}, {"name": "x", "type": "int"}])})
    result = run_gate(repo, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 1, result.stderr
    assert [f["field_path"] for f in findings(result)] == ["x"]
