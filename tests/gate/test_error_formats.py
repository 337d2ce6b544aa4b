"""Every exit-2 error reaches the chosen CI format, not only stderr: a github annotation, a junit file with
an erroring testcase, a json object; so a pull request shows why the gate gave no verdict."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from gate_cases import ID
from gate_helpers import GitRepo, clone, make_repo, record, run_gate

CAUSES = {
    "unreachable-registry": (("--registry", "http://127.0.0.1:9"), "cannot reach the schema registry at http://127.0.0.1:9"),
    "missing-git-ref": (("--against", "origin/no-such-branch"), "git ref 'origin/no-such-branch' does not exist"),
}


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"a-value.avsc": record([ID])})
    return repo


@pytest.mark.parametrize("cause", CAUSES)
def test_github_annotation(repo: GitRepo, cause: str) -> None:
    args, message = CAUSES[cause]
    result = run_gate(repo, "check", *args, "--format", "github")
    assert result.returncode == 2
    (annotation,) = result.stdout.splitlines()
    assert annotation.startswith("::error title=schemas check could not run::")
    assert message in annotation and "%0Ahint: " in annotation
    assert message in result.stderr


@pytest.mark.parametrize("cause", CAUSES)
def test_junit_file_with_an_erroring_testcase(repo: GitRepo, cause: str, tmp_path: Path) -> None:
    args, message = CAUSES[cause]
    report = tmp_path / "s.xml"
    result = run_gate(repo, "check", *args, "--format", "junit", "-o", str(report))
    assert result.returncode == 2
    suite = ET.parse(report).getroot()
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("1", "1", "0")
    error = suite.find("testcase/error")
    assert error is not None and message in error.get("message", "") and "hint: " in (error.text or "")


@pytest.mark.parametrize("cause", CAUSES)
def test_json_object(repo: GitRepo, cause: str) -> None:
    args, message = CAUSES[cause]
    result = run_gate(repo, "check", *args, "--format", "json")
    assert result.returncode == 2
    error = json.loads(result.stdout)
    assert error["error"] is True and error["file"] is None and message in error["message"] and error["hint"]


@pytest.mark.parametrize("cause", CAUSES)
def test_json_written_with_output(repo: GitRepo, cause: str, tmp_path: Path) -> None:
    args, message = CAUSES[cause]
    result = run_gate(repo, "check", *args, "--format", "json", "-o", str(tmp_path / "s.json"))
    assert result.returncode == 2 and result.stdout == ""
    assert message in json.loads((tmp_path / "s.json").read_text())["message"]


def test_a_shallow_clone_refusal_is_an_annotation(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit({"subjects.yml": "a-value:\n  compatibility: FULL_TRANSITIVE\n"})
    shallow = clone(repo, tmp_path / "shallow", "--depth", "1")
    shallow.write({"a-value.avsc": record([ID, {"name": "n", "type": "int", "default": 0}])})
    result = run_gate(shallow, "check", "--against", "origin/main", "--format", "github")
    assert result.returncode == 2
    assert result.stdout.startswith("::error title=schemas check could not run::this clone is shallow")
    assert "fetch-depth: 0" in result.stdout


def test_text_format_says_it_on_stderr_only(repo: GitRepo) -> None:
    result = run_gate(repo, "check", "--against", "origin/no-such-branch")
    assert result.returncode == 2 and result.stdout == ""
    assert "error: git ref 'origin/no-such-branch' does not exist" in result.stderr


def test_a_registry_refusal_renders_in_every_ci_format() -> None:
    from governance.gate.report import render_error
    from governance.registry.client import RegistryClientError

    error = RegistryClientError(422, 42201, "Invalid schema: reference acme-address-value is not registered")
    assert render_error(error, "github").startswith("::error title=schemas check could not run::registry answered 422: ")
    assert json.loads(render_error(error, "json"))["message"].startswith("registry answered 422: Invalid schema")
    junit = ET.fromstring(render_error(error, "junit"))
    element = junit.find("testcase/error")
    assert element is not None and element.get("type") == "RegistryClientError"
    assert render_error(error, "text") == ""


def test_an_unwritable_report_path_is_an_error_not_a_traceback(repo: GitRepo, tmp_path: Path) -> None:
    unwritable = str(tmp_path / "no-such-folder" / "s.xml")
    verdict = run_gate(repo, "check", "--against", "HEAD", "--format", "junit", "-o", unwritable)
    assert verdict.returncode == 2 and "Traceback" not in verdict.stderr
    assert f"error: cannot write the report to {unwritable}: No such file or directory" in verdict.stderr
    failed = run_gate(repo, "check", "--against", "origin/no-such-branch", "--format", "junit", "-o", unwritable)
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert "cannot write the report" in failed.stderr and "git ref 'origin/no-such-branch' does not exist" in failed.stderr
