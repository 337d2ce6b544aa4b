"""`schemas check --registry`: our running registry decides, and finds what git mode finds for the same history."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from gate_cases import CASES, ID
from gate_helpers import findings, make_repo, record, run_gate

from governance.gate.registry_check import parse_messages


def call(url: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def key(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f["subject"], f["type"], f["field_path"], f["version"], f["line"], f["level"], f["direction"])


def test_registry_mode_finds_what_git_mode_finds(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    repo = make_repo(tmp_path / "repo")
    subjects = {case.id: f"{unique_name}-{case.id}" for case in CASES}
    repo.commit({"subjects.yml": "".join(f"{subjects[c.id]}:\n  compatibility: {c.level}\n" for c in CASES)})
    for i in range(max(len(c.history) for c in CASES)):
        repo.commit({f"{subjects[c.id]}.avsc": c.history[i] for c in CASES if i < len(c.history)})
    for case in CASES:
        subject = subjects[case.id]
        call(registry_url, "PUT", f"/config/{subject}", {"compatibility": case.level})
        for text in case.history:
            call(registry_url, "POST", f"/subjects/{subject}/versions", {"schema": text})
    repo.write({f"{subjects[c.id]}.avsc": c.new for c in CASES})

    from_git = run_gate(repo, "check", "--against", "HEAD", "--format", "json")
    from_registry = run_gate(repo, "check", "--registry", registry_url, "--format", "json")

    assert from_registry.returncode == from_git.returncode == 1, from_registry.stderr
    assert sorted(map(key, findings(from_registry))) == sorted(map(key, findings(from_git)))
    failing = {f["subject"] for f in findings(from_registry)}
    assert failing == {subjects[c.id] for c in CASES if c.exit_code == 1}


def test_a_subject_the_registry_does_not_know_passes(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.write({f"{unique_name}.avsc": record([ID])})
    result = run_gate(repo, "check", "--registry", registry_url)
    assert result.returncode == 0, result.stdout + result.stderr


def test_registry_from_environment(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    repo = make_repo(tmp_path / "repo")
    call(registry_url, "POST", f"/subjects/{unique_name}/versions", {"schema": record([ID])})
    repo.write({f"{unique_name}.avsc": record([ID, {"name": "x", "type": "int"}])})
    result = run_gate(repo, "check", "--format", "github", env={"GOVERNANCE_REGISTRY_URL": registry_url})
    assert result.returncode == 1
    assert result.stdout.startswith(f"::error file=schemas/{unique_name}.avsc,line=7::")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # Confluent Schema Registry 7.x before 7.6 puts the version in a message of its own.
        (["{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' at path '/fields/4' in the new "
          "schema has no default value and is missing in the old schema', additionalInfo:'email'}",
          "{oldSchemaVersion: 3}", "{oldSchema: '{...}'}", "{compatibility: 'BACKWARD'}"],
         ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/4", "email", "backward", 3)),
        # 7.6 and later, 8.x: the last entry also says whether field validation is on.
        (["{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' at path '/fields/4' in the new "
          "schema has no default value and is missing in the old schema', additionalInfo:'email'}",
          "{oldSchemaVersion: 3}", "{oldSchema: '{...}'}", "{validateFields: 'false', compatibility: 'BACKWARD'}"],
         ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/4", "email", "backward", 3)),
        (["{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/1/type') of a field in the old schema does "
          "not match with the new schema', additionalInfo:'reader type: INT not compatible with writer type: STRING'}"],
         ("TYPE_MISMATCH", "/fields/1/type", "reader type: INT not compatible with writer type: STRING", "forward", None)),
    ],
)
def test_confluent_messages_are_read(message: list[str], expected: tuple[Any, ...]) -> None:
    [f] = parse_messages(message)
    assert (f.type, f.location, f.info, f.direction, f.version) == expected
    assert f.sentence.startswith("The ")  # Confluent gives no sentence of ours: its own description stands in


OURS_FULL = [
    "field `n` changed type from int to string, so records written with the new schema cannot be read by consumers "
    "using version 2",
    "field `n` changed type from int to string, so records written with version 2 cannot be read by the new schema",
    "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/1/type') of a field in the old schema does not "
    "match with the new schema', additionalInfo:'reader type: INT not compatible with writer type: STRING'}",
    "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/1/type') of a field in the new schema does not "
    "match with the old schema', additionalInfo:'reader type: STRING not compatible with writer type: INT'}",
    "{oldSchemaVersion: 2}", "{oldSchema: '{\"type\":\"record\",\"name\":\"V\",\"fields\":[]}'}",
    "{validateFields: 'false', compatibility: 'FULL'}",
]


def test_our_registrys_sentences_tell_the_findings_and_nothing_of_confluents_entries_reaches_people() -> None:
    forward, backward = parse_messages(OURS_FULL)
    assert (forward.type, forward.location, forward.direction, forward.version) == (
        "TYPE_MISMATCH", "/fields/1/type", "forward", 2)
    assert (backward.direction, backward.version) == ("backward", 2)
    assert [forward.sentence, backward.sentence] == OURS_FULL[:2]


def test_a_forward_finding_without_an_old_schema_version_takes_the_version_from_our_sentence() -> None:
    """Confluent appends no `{oldSchemaVersion: N}` after FULL's forward half."""
    [f] = parse_messages([
        "field `email` was removed, and version 4 has no default for it, so records written with the new schema cannot "
        "be read by consumers using version 4",
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' at path '/fields/1' in the old "
        "schema has no default value and is missing in the new schema', additionalInfo:'email'}",
        "{validateFields: 'false', compatibility: 'FULL'}",
    ])
    assert (f.direction, f.version, f.info) == ("forward", 4, "email")
    assert f.sentence.startswith("field `email` was removed")
