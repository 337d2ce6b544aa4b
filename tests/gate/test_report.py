"""Every output format parses, with one entry per finding."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from gate_cases import ID, enum
from gate_helpers import GitRepo, make_repo, record, run_gate

ANNOTATION = re.compile(r"^::error file=[^,]+,line=\d+::.+")


@pytest.fixture
def broken(tmp_path: Path) -> GitRepo:
    """Two subjects with three findings between them, one message with a comma, colon and quotes."""
    repo = make_repo(tmp_path / "repo")
    repo.commit({
        "a-value.avsc": record([ID, {"name": "n", "type": "int"}, enum(["A", "B"])]),
        "b-value.avsc": record([ID]),
        "ok-value.avsc": record([ID]),
    })  # fmt: skip
    repo.write({
        "a-value.avsc": record([ID, {"name": "n", "type": "string"}, enum(["A"])]),
        "b-value.avsc": record([ID, {"name": "x", "type": "int"}]),
    })  # fmt: skip
    return repo


def test_json_is_one_object_per_finding_per_line(broken: GitRepo) -> None:
    result = run_gate(broken, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3
    assert {r["subject"] for r in rows} == {"a-value", "b-value"}
    assert set(rows[0]) >= {"file", "subject", "level", "version", "type", "field_path", "line", "message"}


def test_junit_is_well_formed_with_one_failure_per_finding(broken: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "report.xml"
    result = run_gate(broken, "check", "--against", "HEAD", "--format", "junit", "--output", str(out))
    assert result.returncode == 1
    suite = ET.parse(out).getroot()
    failures = suite.findall("./testcase/failure")
    assert len(failures) == 3 and suite.get("failures") == "3"
    assert {f.get("type") for f in failures} == {"TYPE_MISMATCH", "MISSING_ENUM_SYMBOLS", "READER_FIELD_MISSING_DEFAULT_VALUE"}


def test_junit_when_all_pass_has_no_failure(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"a-value.avsc": record([ID])})
    result = run_gate(repo, "check", "--against", "HEAD", "--format", "junit")
    assert result.returncode == 0
    assert ET.fromstring(result.stdout).findall(".//failure") == []


def test_github_lines_are_annotations(broken: GitRepo) -> None:
    result = run_gate(broken, "check", "--against", "HEAD", "--format", "github")
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    for line in lines:
        assert ANNOTATION.match(line), line
    assert any(line.startswith("::error file=schemas/a-value.avsc,line=7::") for line in lines)


def test_text_groups_by_file_and_ends_with_a_summary(broken: GitRepo) -> None:
    result = run_gate(broken, "check", "--against", "HEAD")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "schemas/a-value.avsc (subject a-value)"
    assert "schemas/b-value.avsc (subject b-value)" in lines
    assert "  schemas/b-value.avsc:7: READER_FIELD_MISSING_DEFAULT_VALUE against version 1 (BACKWARD) field x" in lines
    assert lines[-1] == "FAILED: 3 breaking change(s) in 2 of 3 subject(s) (git HEAD)."


def test_a_field_broken_against_many_versions_is_one_finding_naming_them(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"subjects.yml": "a-value:\n  compatibility: BACKWARD_TRANSITIVE\n"})
    for i in range(1, 17):  # sixteen earlier versions, each adding an optional field
        repo.commit({"a-value.avsc": record([ID, *({"name": f"f{k}", "type": "int", "default": 0} for k in range(i))])})
    repo.write({"a-value.avsc": record([ID, *({"name": f"f{k}", "type": "int", "default": 0} for k in range(16)),
                                        {"name": "email", "type": "string"}])})
    text = run_gate(repo, "check", "--against", "HEAD")
    assert text.returncode == 1
    lines = text.stdout.splitlines()
    (finding,) = [line for line in lines if "READER_FIELD_MISSING_DEFAULT_VALUE" in line]
    assert "against versions 1\u201316 (BACKWARD_TRANSITIVE) field email" in finding
    assert lines[-1] == "FAILED: 1 breaking change(s) in 1 of 1 subject(s) (git HEAD); 16 counted once per earlier version broken."
    (row,) = [json.loads(line) for line in run_gate(repo, "check", "--against", "HEAD", "--format", "json").stdout.splitlines()]
    assert row["versions"] == list(range(1, 17)) and row["field_path"] == "email"
    github = run_gate(repo, "check", "--against", "HEAD", "--format", "github").stdout.splitlines()
    assert len(github) == 1 and "versions 1\u201316" in github[0]
    verbose = run_gate(repo, "check", "--against", "HEAD", "--verbose").stdout.splitlines()
    assert len([line for line in verbose if "READER_FIELD_MISSING_DEFAULT_VALUE" in line]) == 16
    assert verbose[-1] == lines[-1]


def union(*branches: str) -> dict[str, object]:
    return {"name": "value", "type": ["null", *branches], "default": None}


def test_a_union_losing_three_branches_is_three_breaking_changes_with_or_without_verbose(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"a-value.avsc": record([ID, union("string", "boolean", "bytes")])})
    repo.write({"a-value.avsc": record([ID, union("int")])})
    summary = "FAILED: 3 breaking change(s) in 1 of 1 subject(s) (git HEAD)."
    for args in ((), ("-v",)):
        result = run_gate(repo, "check", "--against", "HEAD", *args)
        assert result.returncode == 1
        lines = result.stdout.splitlines()
        assert lines[-1] == summary
        told = [line for line in lines if "no longer allows" in line]
        assert [branch for branch in ("string", "boolean", "bytes") if any(f" {branch} " in line for line in told)] == [
            "string", "boolean", "bytes"]
    as_json = [json.loads(line) for line in run_gate(repo, "check", "--against", "HEAD", "--format", "json").stdout.splitlines()]
    assert [(f["type"], f["versions"]) for f in as_json] == [("MISSING_UNION_BRANCH", [1])] * 3


def test_transitive_union_breaks_are_counted_once_each_then_per_version(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"subjects.yml": "a-value:\n  compatibility: BACKWARD_TRANSITIVE\n",
                 "a-value.avsc": record([ID, union("string", "boolean")])})
    repo.commit({"a-value.avsc": record([ID, union("boolean", "string")])})  # reordered: the same branches
    repo.write({"a-value.avsc": record([ID, union("int")])})
    summary = "FAILED: 2 breaking change(s) in 1 of 1 subject(s) (git HEAD); 4 counted once per earlier version broken."
    text = run_gate(repo, "check", "--against", "HEAD").stdout.splitlines()
    assert text[-1] == summary
    assert len([line for line in text if "MISSING_UNION_BRANCH against versions 1\u20132" in line]) == 2
    verbose = run_gate(repo, "check", "--against", "HEAD", "-v").stdout.splitlines()
    assert verbose[-1] == summary
    assert len([line for line in verbose if "MISSING_UNION_BRANCH against version " in line]) == 4
