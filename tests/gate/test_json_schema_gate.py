"""The gate on `schemas/*.json` (JSON Schema), through the real CLI: git mode and registry mode (our registry) give
one answer, at the property's line, in every report format; `$ref`s among the folder's files are references; a
subject's `compatibility_policy` (Confluent's STRICT or LENIENT) is honoured in both modes and set by `register`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gate_cases import ID
from gate_helpers import (
    GitRepo, History, assert_same_lines, both, findings, line_of, make_repo, only_findings, post, record, run_gate,
    seed_history)
from registry_helpers import http


def schema(properties: dict[str, Any], *, closed: bool | None = None, required: tuple[str, ...] = ("id",),
           draft: str = "http://json-schema.org/draft-07/schema#") -> str:
    """An object schema laid out one property per line (so that each has a line of its own)."""
    lines = [f'  "$schema": "{draft}",', '  "type": "object",', '  "properties": {']
    lines += [f'    "{name}": {json.dumps(sub)}' + ("," if i < len(properties) - 1 else "")
              for i, (name, sub) in enumerate(properties.items())]
    lines.append("  }" + ("," if required or closed is not None else ""))
    if required:
        lines.append(f'  "required": {json.dumps(list(required))}' + ("," if closed is not None else ""))
    if closed is not None:
        lines.append(f'  "additionalProperties": {json.dumps(not closed)}')
    return "{\n" + "\n".join(lines) + "\n}\n"


ADDRESS = schema({"street": {"type": "string"}, "zip": {"type": "string", "maxLength": 10}}, required=())


def order(total: Any = None, extra: dict[str, Any] | None = None, address: str = "address.json") -> str:
    return schema({"id": {"type": "string"}, "total": total or {"type": "number", "minimum": 0},
                   "address": {"$ref": address}, **(extra or {})}, closed=True)


def key(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f["file"], f["subject"], f["type"], f["field_path"], f["location"], tuple(f["versions"]), f["line"],
            f["level"], f["direction"], f["message"])


@pytest.fixture
def orders(tmp_path: Path) -> GitRepo:
    """address.json and order.json (its `address` a `$ref` to address.json) committed."""
    repo = make_repo(tmp_path / "repo")
    repo.commit({"address.json": ADDRESS, "order.json": order()})
    return repo


def test_a_narrowing_is_found_at_the_property_line_in_every_format(orders: GitRepo) -> None:
    changed = order(total={"type": "number", "minimum": 10})
    orders.write({"order.json": changed})
    line = line_of(changed, '"total"')
    told = ("at property `total` (#/properties/total/minimum): the new schema requires at least 10 where version 1 "
            "requires 0, so records written with version 1 may be refused by consumers using the new schema")

    text = run_gate(orders, "check", "--against", "HEAD")
    assert text.returncode == 1, text.stdout + text.stderr
    assert text.stdout.splitlines()[:3] == [
        "schemas/order.json (subject order)",
        f"  schemas/order.json:{line}: MINIMUM_INCREASED against version 1 (BACKWARD) field total",
        f"    {told}"]
    assert "FAILED: 1 breaking change(s) in 1 of 2 subject(s) (git HEAD)." in text.stdout

    [finding] = findings(run_gate(orders, "check", "--against", "HEAD", "--format", "json"))
    assert {k: finding[k] for k in ("file", "type", "field_path", "location", "line", "direction", "versions",
                                    "message")} == {
        "file": "schemas/order.json", "type": "MINIMUM_INCREASED", "field_path": "total",
        "location": "#/properties/total/minimum", "line": line, "direction": "backward", "versions": [1],
        "message": told}

    github = run_gate(orders, "check", "--against", "HEAD", "--format", "github")
    assert github.returncode == 1
    assert github.stdout.strip() == (f"::error file=schemas/order.json,line={line}::order: MINIMUM_INCREASED against "
                                     f"version 1 (BACKWARD) field total: {told}")

    junit = run_gate(orders, "check", "--against", "HEAD", "--format", "junit")
    assert junit.returncode == 1
    assert f'file="schemas/order.json" line="{line}"' in junit.stdout
    assert '<failure type="MINIMUM_INCREASED"' in junit.stdout and "#/properties/total/minimum" in junit.stdout


def test_widening_passes_and_a_forward_break_names_old_readers(orders: GitRepo) -> None:
    # Confluent's compatible differences: a minimum removed, a property added to a closed content model.
    orders.write({"order.json": order(total={"type": "number"}, extra={"note": {"type": "string"}})})
    result = run_gate(orders, "check", "--against", "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 2 subject(s), 1 changed, all compatible (git HEAD)." in result.stdout

    changed = order(total={"type": ["number", "string"]})
    orders.write({"subjects.yml": "order:\n  compatibility: FORWARD\n", "order.json": changed})
    [finding] = findings(run_gate(orders, "check", "--against", "HEAD", "--format", "json"))
    assert (finding["type"], finding["direction"], finding["level"], finding["line"]) == (
        "TYPE_CHANGED", "forward", "FORWARD", line_of(changed, '"total"'))
    assert finding["message"].startswith("at property `total` (#/properties/total): version 1 expects ")
    assert finding["message"].endswith("so records written with the new schema may be refused by consumers using version 1")


def test_a_change_to_a_referenced_file_is_checked_in_it_and_where_it_is_used(orders: GitRepo) -> None:
    changed = ADDRESS.replace('"maxLength": 10', '"maxLength": 5')
    orders.write({"address.json": changed})
    result = run_gate(orders, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert sorted((f["file"], f["type"], f["field_path"], f["location"], f["line"]) for f in findings(result)) == [
        ("schemas/address.json", "MAX_LENGTH_DECREASED", "zip", "#/properties/zip/maxLength", line_of(changed, '"zip"')),
        ("schemas/order.json", "MAX_LENGTH_DECREASED", "address.zip", "#/properties/address/properties/zip/maxLength",
         line_of(order(), '"address"'))]  # where order uses the address
    [used] = [f for f in findings(result) if f["subject"] == "order"]
    assert used["message"].endswith("(from a change to what order references: address.json changed)")


def test_references_by_uri_in_subjects_yml_and_a_ref_to_nothing(orders: GitRepo) -> None:
    uri = "https://example.com/schemas/address.json"
    declared = f"order:\n  references:\n    - {{name: '{uri}', subject: address}}\n"
    orders.write({"order.json": order(address=uri), "subjects.yml": declared})
    result = run_gate(orders, "check", "--against", "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr

    orders.write({"address.json": ADDRESS.replace('"maxLength": 10', '"maxLength": 5')})
    assert {f["subject"] for f in findings(run_gate(orders, "check", "--against", "HEAD", "--format", "json"))} == {
        "address", "order"}

    missing = order(address="nowhere.json")
    orders.write({"order.json": missing, "subjects.yml": None, "address.json": ADDRESS})
    result = run_gate(orders, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 2
    error = json.loads(result.stdout)
    assert (error["file"], error["line"]) == ("schemas/order.json", line_of(missing, "nowhere.json"))
    assert "$ref 'nowhere.json' cannot be resolved" in error["message"]
    assert "subjects.yml" in error["hint"] and "address.json" in error["hint"]
    assert "Traceback" not in result.stderr


POLICY_CASES = {
    # Confluent: adding an optional property to an open content model is compatible only under LENIENT.
    "open-added": (schema({"id": {"type": "string"}}), schema({"id": {"type": "string"}, "note": {"type": "string"}}),
                   "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"),
    # Removing additionalProperties (open -> closed) narrows: compatible only under LENIENT.
    "closed": (schema({"id": {"type": "string"}}), schema({"id": {"type": "string"}}, closed=True),
               "ADDITIONAL_PROPERTIES_REMOVED"),
}


@pytest.mark.parametrize("case", sorted(POLICY_CASES))
def test_the_compatibility_policy_decides_in_git_mode(tmp_path: Path, case: str) -> None:
    before, after, kind = POLICY_CASES[case]
    repo = make_repo(tmp_path / "repo")
    repo.commit({"event.json": before})
    repo.write({"event.json": after})
    [strict] = findings(run_gate(repo, "check", "--against", "HEAD", "--format", "json"))
    assert strict["type"] == kind
    if kind == "ADDITIONAL_PROPERTIES_REMOVED":  # a finding about no property is on its keyword's line
        assert (strict["location"], strict["line"]) == ("#/additionalProperties", line_of(after, "additionalProperties"))
    repo.write({"subjects.yml": "event:\n  compatibility_policy: STRICT\n"})
    assert [f["type"] for f in findings(run_gate(repo, "check", "--against", "HEAD", "--format", "json"))] == [kind]
    repo.write({"subjects.yml": "event:\n  compatibility_policy: lenient\n"})
    lenient = run_gate(repo, "check", "--against", "HEAD")
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr


def test_a_bad_policy_is_an_input_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"event.json": schema({"id": {"type": "string"}}), "events-value.avsc": record([ID])})
    repo.write({"subjects.yml": "events-value:\n  compatibility: FULL\nevent:\n  compatibility_policy: LOOSE\n"})
    result = run_gate(repo, "check", "--against", "HEAD")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert ("error: schemas/subjects.yml:3: subject 'event': unknown compatibility_policy 'LOOSE': expected STRICT or "
            "LENIENT") in result.stderr
    repo.write({"subjects.yml": "events-value:\n  compatibility_policy: LENIENT\n"})
    result = run_gate(repo, "check", "--against", "HEAD")
    assert result.returncode == 2
    assert ("error: schemas/subjects.yml:1: subject 'events-value': compatibility_policy applies to JSON Schema "
            "subjects only, and events-value.avsc is Avro") in result.stderr


def test_a_keyword_the_checker_cannot_judge_fails_naming_it(orders: GitRepo) -> None:
    before = order(extra={"code": {"type": "string", "propertyNames": {"maxLength": 3}}})
    orders.commit({"order.json": before})
    changed = before.replace('"maxLength": 3', '"maxLength": 2')
    orders.write({"order.json": changed})
    result = run_gate(orders, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    [finding] = findings(result)
    assert (finding["type"], finding["field_path"], finding["location"], finding["line"]) == (
        "KEYWORD_NOT_COMPARED", "code", "#/properties/code/propertyNames", line_of(changed, '"code"'))
    assert "`propertyNames` changed, and this checker does not compare `propertyNames`" in finding["message"]
    assert "refuses to judge rather than answer compatible" in finding["message"]
    orders.write({"subjects.yml": "order:\n  compatibility_policy: LENIENT\n"})  # no policy lets it pass
    assert [f["type"] for f in findings(run_gate(orders, "check", "--against", "HEAD", "--format", "json"))] == [
        "KEYWORD_NOT_COMPARED"]


PARSE_ERRORS = {
    # not JSON: the missing comma is noticed at the next key
    "not-json": (lambda text: text.replace('"type": "string"},', '"type": "string"}', 1), '"total"', '"total"',
                 "the text is not JSON: Expecting ',' delimiter."),
    # JSON, but its draft's metaschema refuses it: at the keyword
    "metaschema": (lambda text: text.replace('"minimum": 0', '"minimum": "zero"'), '"total"', '"minimum"',
                   "not a valid draft-07 schema at #/properties/total/minimum: 'zero' is not of type 'number'."),
}


@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit"])
@pytest.mark.parametrize("case", sorted(PARSE_ERRORS))
def test_a_parse_error_is_at_its_line_and_column(orders: GitRepo, fmt: str, case: str) -> None:
    edit, needle, at, reason = PARSE_ERRORS[case]
    broken = edit(order())
    orders.write({"order.json": broken})
    line = line_of(broken, needle)
    column = broken.splitlines()[line - 1].index(at) + 1
    result = run_gate(orders, "check", "--against", "HEAD", "--format", fmt)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"error: schemas/order.json:{line}:{column}: {reason}" in result.stderr
    assert "Traceback" not in result.stderr
    expected = {
        "text": "",
        "json": json.dumps({"column": column, "error": True, "file": "schemas/order.json", "hint": None, "line": line,
                            "message": reason}, sort_keys=True),
        "github": f"::error file=schemas/order.json,line={line},col={column}::{reason}",
    }
    if fmt == "junit":
        assert f'file="schemas/order.json" line="{line}"' in result.stdout and "failures=\"1\"" in result.stdout
    else:
        assert result.stdout.strip() == expected[fmt]


def test_a_broken_referenced_file_is_reported_in_itself(orders: GitRepo) -> None:
    broken = ADDRESS.replace('"maxLength": 10', '"maxLength": -1')
    orders.write({"address.json": broken})
    result = run_gate(orders, "check", "--against", "HEAD")
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: schemas/address.json:{line_of(broken, 'maxLength')}:")


def test_avro_protobuf_and_json_schema_side_by_side(orders: GitRepo) -> None:
    proto = 'syntax = "proto3";\npackage acme;\n\nmessage Shipment {\n  string id = 1;\n  int64 count = 2;\n}\n'
    orders.commit({"events-value.avsc": record([ID]), "shipment.proto": proto})
    orders.write({"events-value.avsc": record([ID, {"name": "x", "type": "int"}]),
                  "shipment.proto": proto.replace("int64 count", "string count"),
                  "order.json": order(total={"type": "integer"})})
    result = run_gate(orders, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert sorted((f["file"], f["type"]) for f in findings(result)) == [
        ("schemas/events-value.avsc", "READER_FIELD_MISSING_DEFAULT_VALUE"),
        ("schemas/order.json", "TYPE_NARROWED"),
        ("schemas/shipment.proto", "FIELD_SCALAR_KIND_CHANGED")]

    orders.write({"order.avsc": record([ID])})
    both = run_gate(orders, "check", "--against", "HEAD")
    assert both.returncode == 2 and "subject 'order' has a schema file already" in both.stderr


def test_a_deleted_json_subject_breaks_unless_allowed(orders: GitRepo) -> None:
    orders.commit({"shipment.json": schema({"id": {"type": "string"}})})
    orders.write({"shipment.json": None})
    result = run_gate(orders, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 1
    assert [(f["type"], f["subject"], f["file"]) for f in findings(result)] == [
        ("SUBJECT_DELETED", "shipment", "schemas/shipment.json")]
    orders.write({"subjects.yml": "shipment:\n  allow_delete: true\n"})
    assert run_gate(orders, "check", "--against", "HEAD").returncode == 0


def test_diff_lists_properties_by_json_path_from_git(orders: GitRepo) -> None:
    orders.write({"order.json": order(total={"type": "number", "minimum": 10}, extra={"note": {"type": "string"}})})
    result = run_gate(orders, "diff", "order", "--against", "HEAD")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "order: version 1 -> local file",
        "  ~ property `total` (#/properties/total/minimum): minimum increased (0 -> 10)",
        "  + property `note` (#/properties/note): optional property added to unopen content model"]


# Registry mode: our registry, started once per session (conftest's registry_url).

def history(unique: str) -> History:
    """subject -> (declared level, committed versions, the change): each a break of another rule family."""
    base = {"id": {"type": "string"}}
    return {
        f"{unique}-range": ("BACKWARD", [schema({**base, "n": {"type": "integer", "maximum": 100}})],
                            schema({**base, "n": {"type": "integer", "maximum": 50}})),
        f"{unique}-enum": ("FULL", [schema({**base, "kind": {"enum": ["a", "b"]}})],
                           schema({**base, "kind": {"enum": ["a", "c"]}})),
        f"{unique}-required": ("FORWARD_TRANSITIVE", [schema({**base, "n": {"type": "integer"}}, required=("id", "n")),
                                                      schema({**base, "n": {"type": "integer"}, "m": {"type": "string"}},
                                                             required=("id", "n"))],
                               schema({**base, "n": {"type": "integer"}, "m": {"type": "string"}})),
        f"{unique}-items": ("BACKWARD_TRANSITIVE", [schema({**base, "tags": {"type": "array", "items": {"type": "string"}}}),
                                                    schema({**base, "tags": {"type": "array", "items": {"type": "string"},
                                                                             "description": "labels"}})],
                            schema({**base, "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}}})),
        f"{unique}-judge": ("FULL", [schema({**base, "m": {"type": "object", "propertyNames": {"maxLength": 3}}})],
                            schema({**base, "m": {"type": "object", "propertyNames": {"maxLength": 2}}})),
        f"{unique}-root": ("BACKWARD", [schema({**base})],
                           schema({**base}).replace('"type": "object",', '"type": "object",\n  "minProperties": 1,')),
        f"{unique}-fine": ("FULL_TRANSITIVE", [schema({**base, "n": {"type": "integer"}})],
                           schema({**base, "n": {"type": "integer", "description": "how many"}})),
    }


def test_registry_mode_gives_git_modes_answer(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    cases = history(unique_name)
    repo = make_repo(tmp_path / "repo")
    seed_history(repo, registry_url, cases, ".json", "JSON")

    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 1, registry.stdout + registry.stderr
    assert "warning" not in registry.stderr
    assert sorted(map(key, only_findings(registry))) == sorted(map(key, only_findings(git)))
    got = {(f["subject"].removeprefix(unique_name + "-"), f["type"], f["direction"]) for f in only_findings(registry)}
    assert got == {("range", "MAXIMUM_DECREASED", "backward"),
                   ("enum", "ENUM_ARRAY_CHANGED", "backward"), ("enum", "ENUM_ARRAY_CHANGED", "forward"),
                   ("root", "MIN_PROPERTIES_ADDED", "backward"), ("required", "REQUIRED_ATTRIBUTE_ADDED", "forward"), ("items", "MAX_LENGTH_ADDED", "backward"),
                   ("judge", "KEYWORD_NOT_COMPARED", "backward"), ("judge", "KEYWORD_NOT_COMPARED", "forward")}, got
    [items] = [f for f in only_findings(registry) if f["subject"] == f"{unique_name}-items"]
    assert items["versions"] == [1, 2] and items["location"] == "#/properties/tags/items/maxLength"
    assert items["line"] == line_of(cases[f"{unique_name}-items"][2], '"tags"')
    [root] = [f for f in only_findings(registry) if f["subject"] == f"{unique_name}-root"]
    assert (root["field_path"], root["location"], root["line"]) == (
        "", "#/minProperties", line_of(cases[f"{unique_name}-root"][2], "minProperties"))  # no property: its keyword
    judged = [f for f in only_findings(registry) if f["subject"] == f"{unique_name}-judge"]
    assert all("does not compare `propertyNames`" in f["message"] for f in judged) and len(judged) == 2

    assert_same_lines(repo, registry_url)


def test_the_policy_in_registry_mode_is_set_by_register_and_warned_about(
        tmp_path: Path, registry_url: str, unique_name: str) -> None:
    subject = f"{unique_name}-event"
    before, after, kind = POLICY_CASES["open-added"]
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{subject}.json": before, "subjects.yml": f"{subject}:\n  compatibility: BACKWARD\n"})
    assert run_gate(repo, "register", "--registry", registry_url).returncode == 0
    repo.write({f"{subject}.json": after})

    strict = run_gate(repo, "check", "--registry", registry_url, "--format", "json")  # the registry's endpoint
    assert strict.returncode == 1 and "warning" not in strict.stderr, strict.stdout + strict.stderr
    assert [f["type"] for f in only_findings(strict)] == [kind]

    repo.write({"subjects.yml": f"{subject}:\n  compatibility: BACKWARD\n  compatibility_policy: LENIENT\n"})
    engine = run_gate(repo, "check", "--registry", registry_url)  # the registry is STRICT: our engine, LENIENT
    assert engine.returncode == 0, engine.stdout + engine.stderr
    assert (f"warning: the registry checks {subject} under the compatibility policy STRICT, but schemas/subjects.yml "
            f"declares LENIENT: the gate judged it under LENIENT") in engine.stderr
    assert run_gate(repo, "check", "--against", "HEAD").returncode == 0

    dry = run_gate(repo, "register", "--registry", registry_url, "--dry-run")
    assert f"would set policy {subject} LENIENT (now inherited: STRICT)" in dry.stdout, dry.stdout
    registered = run_gate(repo, "register", "--registry", registry_url)
    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert registered.stdout.splitlines()[:2] == [f"policy set      {subject} LENIENT (was inherited: STRICT)",
                                                  f"registered      {subject} version 2 id {registered.stdout.split()[-1]}"]
    status, config = http("GET", f"{registry_url}/config/{subject}")
    assert status == 200 and config == {"compatibilityLevel": "BACKWARD", "compatibilityPolicy": "LENIENT"}

    repo.commit({})
    narrowed = schema({"id": {"type": "string", "maxLength": 5}, "note": {"type": "string"}})
    repo.write({f"{subject}.json": narrowed})  # LENIENT refuses it too: the registry's endpoint decides, as git mode
    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 1 and "warning" not in registry.stderr, registry.stderr
    assert [key(f) for f in only_findings(registry)] == [key(f) for f in only_findings(git)]
    assert [(f["type"], f["location"]) for f in only_findings(git)] == [("MAX_LENGTH_ADDED", "#/properties/id/maxLength")]

    repo.write({"subjects.yml": f"{subject}:\n  compatibility: BACKWARD\n"})  # undeclared: Confluent's default
    back = schema({"id": {"type": "string"}})
    repo.write({f"{subject}.json": back})  # removing a property from an open model: STRICT passes it
    fine = run_gate(repo, "check", "--registry", registry_url)
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert ("declares none for it, so the gate judged it under Confluent's default, STRICT, with its own engine "
            "against the registry's versions (as git mode does); declare `compatibility_policy: LENIENT` for it "
            "there") in fine.stderr


def test_new_subjects_referencing_each_other_pass_then_register_with_references(
        tmp_path: Path, registry_url: str, unique_name: str) -> None:
    address, orders = f"{unique_name}-address", f"{unique_name}-order"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{address}.json": ADDRESS, f"{orders}.json": order(address=f"{address}.json")})

    check = run_gate(repo, "check", "--registry", registry_url)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "OK: 2 subject(s)" in check.stdout
    registered = run_gate(repo, "register", "--registry", registry_url)
    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert [line.split()[:2] for line in registered.stdout.splitlines()] == [["registered", address], ["registered", orders]]

    status, answer = http("GET", f"{registry_url}/subjects/{orders}/versions/1")
    assert status == 200
    assert answer["schemaType"] == "JSON"
    assert answer["references"] == [{"name": f"{address}.json", "subject": address, "version": 1}]
    again = run_gate(repo, "register", "--registry", registry_url)
    assert [line.split()[0] for line in again.stdout.splitlines()] == ["unchanged", "unchanged"], again.stdout

    changed = order(total={"type": "number", "minimum": 10}, address=f"{address}.json")
    repo.write({f"{orders}.json": changed})
    [finding] = only_findings(run_gate(repo, "check", "--registry", registry_url, "--format", "json"))
    assert (finding["type"], finding["field_path"], finding["location"], finding["line"]) == (
        "MINIMUM_INCREASED", "total", "#/properties/total/minimum", line_of(changed, '"total"'))
    refused = run_gate(repo, "register", "--registry", registry_url)
    assert refused.returncode == 1 and f"refused         {orders}" in refused.stdout

    diff = run_gate(repo, "diff", orders, "--registry", registry_url)
    assert diff.returncode == 0, diff.stderr
    assert diff.stdout.splitlines() == [
        f"{orders}: version 1 -> local file",
        "  ~ property `total` (#/properties/total/minimum): minimum increased (0 -> 10)"]


def test_a_deleted_json_subject_is_caught_in_both_modes(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    kept, gone = f"{unique_name}-kept", f"{unique_name}-gone"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{kept}.json": schema({"id": {"type": "string"}}), f"{gone}.json": schema({"id": {"type": "string"}})})
    assert run_gate(repo, "register", "--registry", registry_url).returncode == 0
    repo.write({f"{gone}.json": None})
    for mode in (["--against", "HEAD"], ["--registry", registry_url]):
        result = run_gate(repo, "check", *mode, "--format", "json")
        assert result.returncode == 1, result.stdout + result.stderr
        assert [(f["type"], f["subject"], f["file"]) for f in only_findings(result)] == [
            ("SUBJECT_DELETED", gone, f"schemas/{gone}.json")]


def test_a_subject_changing_to_json_schema_is_incompatible_in_both_modes(
        tmp_path: Path, registry_url: str, unique_name: str) -> None:
    subject = f"{unique_name}-events"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{subject}.avsc": record([ID])})
    post(registry_url, f"/subjects/{subject}/versions", {"schema": record([ID])})
    repo.write({f"{subject}.avsc": None, f"{subject}.json": schema({"id": {"type": "string"}})})
    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 1, git.stdout + git.stderr + registry.stdout + registry.stderr
    assert sorted(map(key, only_findings(registry))) == sorted(map(key, only_findings(git)))
    [finding] = only_findings(git)
    assert finding["message"].startswith("version 1 is Avro and this schema is JSON Schema: ")


def test_confluents_json_schema_entries_are_read() -> None:
    from governance.gate.registry_check import RegistryFinding, parse_messages

    description = "The value at path '#/properties/n/maximum' in the new schema is less than its value in the old schema"
    entry = f'{{errorType:"MAXIMUM_DECREASED", description:"{description}"}}'
    assert parse_messages([entry, "{oldSchemaVersion: 2}", "{validateFields: 'false', compatibility: 'BACKWARD'}"]) == [
        RegistryFinding("MAXIMUM_DECREASED", "#/properties/n/maximum", "", "backward", description, 2)]

    # A keyword not compared: the entry names no direction, our sentence names the reader.
    sentence = ("at property `m` (#/properties/m/propertyNames): `propertyNames` changed, and this checker does not "
                "compare `propertyNames`: it cannot tell whether version 3 accepts everything the new schema allows, "
                "so it refuses to judge rather than answer compatible")
    entry = ('{errorType:"KEYWORD_NOT_COMPARED", description:"The keyword \'propertyNames\' at path '
             '\'#/properties/m/propertyNames\' changed and is not compared"}')
    [finding] = parse_messages([sentence, entry, "{validateFields: 'false', compatibility: 'FULL'}"])
    assert (finding.type, finding.location, finding.direction, finding.version) == (
        "KEYWORD_NOT_COMPARED", "#/properties/m/propertyNames", "forward", 3)


def test_a_reference_named_by_its_uri_is_registered_by_that_name(
        tmp_path: Path, registry_url: str, unique_name: str) -> None:
    address, orders = f"{unique_name}-address", f"{unique_name}-order"
    uri = "https://example.com/schemas/address.json"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{address}.json": ADDRESS, f"{orders}.json": order(address=uri),
                 "subjects.yml": f"{orders}:\n  references:\n    - {{name: '{uri}', subject: {address}}}\n"})
    registered = run_gate(repo, "register", "--registry", registry_url)
    assert registered.returncode == 0, registered.stdout + registered.stderr
    status, answer = http("GET", f"{registry_url}/subjects/{orders}/versions/1")
    assert status == 200 and answer["references"] == [{"name": uri, "subject": address, "version": 1}]

    changed = ADDRESS.replace('"maxLength": 10', '"maxLength": 5')
    repo.commit({})
    repo.write({f"{address}.json": changed})
    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 1, registry.stdout + registry.stderr
    assert sorted((f["subject"], f["type"], f["field_path"], f["line"]) for f in only_findings(registry)) == sorted(
        (f["subject"], f["type"], f["field_path"], f["line"]) for f in only_findings(git)) == [
        (address, "MAX_LENGTH_DECREASED", "zip", line_of(changed, '"zip"')),
        (orders, "MAX_LENGTH_DECREASED", "address.zip", line_of(order(), '"address"'))]
