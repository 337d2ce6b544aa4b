"""The project's schemas/ folder as the gate, lineage and the console read it: a subject per
file with a suffix a schema format declares, and subjects.yml's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.formats import Level
from governance.workspace import InputError, load_workspace, schema_files

SCHEMA = '{"type": "record", "name": "R", "fields": []}'


def test_a_subject_is_a_file_with_a_format_suffix_and_carries_that_formats_type(tmp_path: Path) -> None:
    for name in ("b-value.avsc", "a-value.avsc", "notes.txt", "c-value.proto.bak"):
        (tmp_path / name).write_text(SCHEMA)
    (tmp_path / "subjects.yml").write_text("b-value:\n  compatibility: full\n")
    assert [p.name for p in schema_files(tmp_path)] == ["a-value.avsc", "b-value.avsc"]
    workspace = load_workspace(tmp_path)
    assert list(workspace.texts) == ["a-value", "b-value"]
    assert workspace.schema_type("a-value") == "AVRO" and workspace.path("a-value") == tmp_path / "a-value.avsc"
    assert (workspace.level("a-value"), workspace.level("b-value")) == (Level.BACKWARD, Level.FULL)


def test_subjects_yml_naming_a_subject_without_a_file_says_which_file_is_missing(tmp_path: Path) -> None:
    (tmp_path / "a-value.avsc").write_text(SCHEMA)
    (tmp_path / "subjects.yml").write_text("a-value: {}\ngone-value:\n  compatibility: NONE\n")
    with pytest.raises(InputError) as raised:
        load_workspace(tmp_path)
    assert raised.value.line == 2
    assert raised.value.reason == "unknown subject 'gone-value': there is no gone-value.avsc, gone-value.proto or gone-value.json beside this file"
    assert raised.value.hint == "fix the name, add the .avsc, .proto or .json, or say `allow_delete: true` for a subject being removed"


def test_a_json_file_is_a_json_schema_subject_and_hidden_files_and_subjects_yml_are_not_schemas(tmp_path: Path) -> None:
    (tmp_path / "orders-value.json").write_text('{"type": "object"}')
    (tmp_path / ".editor.json").write_text("{}")
    (tmp_path / "subjects.yml").write_text("orders-value:\n  compatibility: full\n")
    assert [p.name for p in schema_files(tmp_path)] == ["orders-value.json"]
    workspace = load_workspace(tmp_path)
    assert workspace.schema_type("orders-value") == "JSON" and workspace.path("orders-value") == tmp_path / "orders-value.json"
    assert workspace.level("orders-value") == Level.FULL
