"""Anything that is not a verdict exits 2 with a message naming the cause."""

from __future__ import annotations

from pathlib import Path

import pytest
from gate_cases import ID
from gate_helpers import GitRepo, make_repo, record, run_gate


def repo_with_one_subject(tmp_path: Path) -> GitRepo:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"a-value.avsc": record([ID])})
    return repo


def test_unparsable_json_names_file_line_and_column(tmp_path: Path) -> None:
    repo = repo_with_one_subject(tmp_path)
    repo.write({"a-value.avsc": '{\n  "type": "record",\n  "name": "A"\n  "fields": []\n}\n'})
    result = run_gate(repo, "check", "--against", "HEAD")
    assert result.returncode == 2
    assert "schemas/a-value.avsc:4:3: schema is not valid JSON" in result.stderr


BROKEN = '{\n  "type": "record",\n  "name": "A"\n  "fields": []\n}\n'


def test_a_broken_file_is_a_github_annotation_on_its_line_as_well_as_an_error(tmp_path: Path) -> None:
    repo = repo_with_one_subject(tmp_path)
    repo.write({"a-value.avsc": BROKEN})
    result = run_gate(repo, "check", "--against", "HEAD", "--format", "github")
    assert result.returncode == 2
    (annotation,) = result.stdout.splitlines()
    assert annotation.startswith("::error file=schemas/a-value.avsc,line=4,col=3::schema is not valid JSON")
    assert "schemas/a-value.avsc:4:3: schema is not valid JSON" in result.stderr


def test_a_broken_file_is_a_json_object_and_a_junit_failure(tmp_path: Path) -> None:
    import json
    import xml.etree.ElementTree as ET

    repo = repo_with_one_subject(tmp_path)
    repo.write({"a-value.avsc": BROKEN})
    as_json = run_gate(repo, "check", "--against", "HEAD", "--format", "json")
    assert as_json.returncode == 2
    error = json.loads(as_json.stdout)
    assert (error["error"], error["file"], error["line"], error["column"]) == (True, "schemas/a-value.avsc", 4, 3)
    assert error["message"].startswith("schema is not valid JSON")
    junit = run_gate(repo, "check", "--against", "HEAD", "--format", "junit", "-o", str(tmp_path / "report.xml"))
    assert junit.returncode == 2
    case = ET.parse(tmp_path / "report.xml").getroot().find("testcase")
    assert case is not None and case.get("file") == "schemas/a-value.avsc" and case.get("line") == "4"
    failure = case.find("failure")
    assert failure is not None and failure.get("message", "").startswith("schema is not valid JSON")


def test_a_bad_subjects_yml_is_annotated_on_its_line(tmp_path: Path) -> None:
    repo = repo_with_one_subject(tmp_path)
    repo.write({"subjects.yml": "a-value:\n  compatibility: SIDEWAYS\n"})
    result = run_gate(repo, "check", "--against", "HEAD", "--format", "github")
    assert result.returncode == 2
    assert result.stdout.startswith("::error file=schemas/subjects.yml,line=1::subject 'a-value': unknown compatibility")


def test_invalid_avro_names_file_and_the_line_of_the_field(tmp_path: Path) -> None:
    repo = repo_with_one_subject(tmp_path)
    text = record([ID, {"name": "count", "type": "int", "default": "many"}])
    repo.write({"a-value.avsc": text})
    result = run_gate(repo, "check", "--against", "HEAD")
    assert result.returncode == 2
    column = len(text.splitlines()[6].partition('"default"')[0]) + 1
    assert f"schemas/a-value.avsc:7:{column}: not valid Avro:" in result.stderr and "count" in result.stderr


INVALID_AT = {  # what is wrong, the text, and the text at the line and column the error must point at
    "enum-default-outside-symbols": (
        '{\n  "type": "record",\n  "name": "A",\n  "namespace": "com.example",\n  "fields": [\n'
        '    {"name": "id", "type": "string"},\n'
        '    {"name": "status", "type": {"type": "enum", "name": "Status",\n'
        '      "symbols": ["A", "B"],\n      "default": "C"}}\n  ]\n}\n',
        '"default": "C"', 'default "C" is not one of its symbols (A, B)'),
    "duplicate-field-name": (
        record([ID, {"name": "x", "type": "int"}, {"name": "id", "type": "long"}]),
        '"name": "id", "type": "long"', 'two fields are named "id"'),
    "invalid-field-name": (
        record([ID, {"type": "string", "name": "full-name"}]),
        '"name": "full-name"', 'field name "full-name" is not a valid Avro name'),
    "invalid-nested-symbol": (
        record([ID, {"name": "s", "type": ["null", {"type": "enum", "name": "S", "symbols": ["OK", "not-ok"]}]}]),
        '"not-ok"', 'symbol "not-ok" is not a valid Avro name'),
}


@pytest.mark.parametrize("case", INVALID_AT)
def test_invalid_avro_is_reported_at_the_offending_line_and_column(tmp_path: Path, case: str) -> None:
    text, at, message = INVALID_AT[case]
    repo = repo_with_one_subject(tmp_path)
    repo.write({"a-value.avsc": text})
    line = text[: text.index(at)].count("\n") + 1
    column = text.index(at) - text.rfind("\n", 0, text.index(at))
    result = run_gate(repo, "check", "--against", "HEAD", "--format", "github")
    assert result.returncode == 2
    assert f"schemas/a-value.avsc:{line}:{column}: not valid Avro: " in result.stderr and message in result.stderr
    assert result.stdout.startswith(f"::error file=schemas/a-value.avsc,line={line},col={column}::not valid Avro")


def test_unknown_subject_in_subjects_yml(tmp_path: Path) -> None:
    repo = repo_with_one_subject(tmp_path)
    repo.write({"subjects.yml": "a-value:\n  compatibility: FULL\nmisspelt-value:\n  compatibility: NONE\n"})
    result = run_gate(repo, "check", "--against", "HEAD")
    assert result.returncode == 2
    assert "schemas/subjects.yml:3: unknown subject 'misspelt-value'" in result.stderr


def test_unknown_level_in_subjects_yml(tmp_path: Path) -> None:
    repo = repo_with_one_subject(tmp_path)
    repo.write({"subjects.yml": "a-value:\n  compatibility: SIDEWAYS\n"})
    result = run_gate(repo, "check", "--against", "HEAD")
    assert result.returncode == 2
    assert "schemas/subjects.yml:1:" in result.stderr and "SIDEWAYS" in result.stderr


def test_a_misspelt_level_in_subjects_yml_names_the_level_meant(tmp_path: Path) -> None:
    repo = repo_with_one_subject(tmp_path)
    repo.write({"subjects.yml": "a-value:\n  compatibility: full_transitve\n"})
    result = run_gate(repo, "check", "--against", "HEAD")
    assert result.returncode == 2
    assert "schemas/subjects.yml:1:" in result.stderr and "did you mean `FULL_TRANSITIVE`?" in result.stderr


def test_git_ref_that_does_not_exist(tmp_path: Path) -> None:
    repo = repo_with_one_subject(tmp_path)
    result = run_gate(repo, "check", "--against", "origin/no-such-branch")
    assert result.returncode == 2
    assert "git ref 'origin/no-such-branch' does not exist" in result.stderr


def test_not_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "a-value.avsc").write_text(record([ID]))
    result = run_gate(GitRepo(tmp_path), "check", "--against", "HEAD")
    assert result.returncode == 2
    assert "cannot find the git repository" in result.stderr


def test_unreachable_registry(tmp_path: Path) -> None:
    repo = repo_with_one_subject(tmp_path)
    result = run_gate(repo, "check", "--registry", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "cannot reach the schema registry at http://127.0.0.1:9" in result.stderr


def test_against_and_registry_together_are_refused(tmp_path: Path) -> None:
    repo = repo_with_one_subject(tmp_path)
    result = run_gate(repo, "check", "--against", "HEAD", "--registry", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "not both" in result.stderr


def test_missing_schemas_folder(tmp_path: Path) -> None:
    repo = repo_with_one_subject(tmp_path)
    result = run_gate(repo, "check", "--against", "HEAD", "--schemas", "nowhere")
    assert result.returncode == 2
    assert "nowhere: no such schemas folder" in result.stderr


def test_a_broken_referenced_file_is_reported_in_itself_not_in_the_file_using_it(tmp_path: Path) -> None:
    address = '{"type": "enum", "name": "Country", "namespace": "com.example",\n "symbols": ["FR"],\n "default": "ES"}\n'
    repo = make_repo(tmp_path / "repo")
    repo.commit({"a-customers-value.avsc": record([ID, {"name": "country", "type": "com.example.Country"}]),
                 "z-country-value.avsc": address.replace('"ES"', '"FR"'),
                 "subjects.yml": "a-customers-value:\n  references: [{name: com.example.Country, subject: z-country-value}]\n"})
    repo.write({"z-country-value.avsc": address})
    result = run_gate(repo, "check", "--against", "HEAD")
    assert result.returncode == 2
    assert "schemas/z-country-value.avsc:3:2: not valid Avro: enum \"com.example.Country\": default \"ES\"" in result.stderr
