"""The gate on `schemas/*.proto`, through the real CLI: git mode and registry mode (our registry) give one
answer, at the field's line, in every report format; imports among the folder's files are references."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gate_cases import ID
from gate_helpers import (
    GitRepo, History, assert_same_lines, both, clone, findings, line_of, make_repo, only_findings, post, record,
    register, run_gate, seed_history)
from registry_helpers import http

import governance

CUSTOMER = """syntax = "proto3";
package acme;

message Customer {
  string id = 1;
  string name = 2;
}
"""


def order(total: str = "int64", extra: str = "", customer: str = "customer.proto", package: str = "acme") -> str:
    """An order importing a customer file and a well-known type, one field per line."""
    return f"""syntax = "proto3";
package {package};

import "{customer}";
import "google/protobuf/timestamp.proto";

message Order {{
  string id = 1;
  acme.Customer customer = 2;
  {total} total = 3;
  google.protobuf.Timestamp placed_at = 4;{extra}
}}
"""


def message(fields: str, name: str = "Shipment") -> str:
    return f'syntax = "proto3";\npackage acme;\n\nmessage {name} {{\n{fields}}}\n'


def key(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f["file"], f["subject"], f["type"], f["field_path"], tuple(f["versions"]), f["line"], f["level"],
            f["direction"], f["message"])


@pytest.fixture
def orders(tmp_path: Path) -> GitRepo:
    """customer.proto and order.proto (importing it and google/protobuf/timestamp.proto) committed."""
    repo = make_repo(tmp_path / "repo")
    repo.commit({"customer.proto": CUSTOMER, "order.proto": order()})
    return repo


def test_a_type_change_is_found_at_the_field_line_in_every_format(orders: GitRepo) -> None:
    changed = order(total="string")
    orders.write({"order.proto": changed})
    line = line_of(changed, "string total")
    told = ("field `total` (number 3) of message `acme.Order` changed type from int64 to string (the two types are "
            "not wire-compatible), so records written with version 1 cannot be read by the new schema")

    text = run_gate(orders, "check", "--against", "HEAD")
    assert text.returncode == 1, text.stdout + text.stderr
    assert text.stdout.splitlines()[:3] == [
        "schemas/order.proto (subject order)",
        f"  schemas/order.proto:{line}: FIELD_SCALAR_KIND_CHANGED against version 1 (BACKWARD) field acme.Order.total",
        f"    {told}"]
    assert "FAILED: 1 breaking change(s) in 1 of 2 subject(s) (git HEAD)." in text.stdout

    [finding] = findings(run_gate(orders, "check", "--against", "HEAD", "--format", "json"))
    assert {k: finding[k] for k in ("file", "subject", "type", "field_path", "line", "direction", "versions", "message")} == {
        "file": "schemas/order.proto", "subject": "order", "type": "FIELD_SCALAR_KIND_CHANGED",
        "field_path": "acme.Order.total", "line": line, "direction": "backward", "versions": [1], "message": told}

    github = run_gate(orders, "check", "--against", "HEAD", "--format", "github")
    assert github.returncode == 1
    assert github.stdout.strip() == (f"::error file=schemas/order.proto,line={line}::order: FIELD_SCALAR_KIND_CHANGED "
                                     f"against version 1 (BACKWARD) field acme.Order.total: {told}")

    junit = run_gate(orders, "check", "--against", "HEAD", "--format", "junit")
    assert junit.returncode == 1
    assert f'file="schemas/order.proto" line="{line}"' in junit.stdout
    assert '<failure type="FIELD_SCALAR_KIND_CHANGED"' in junit.stdout and "number 3" in junit.stdout


def test_compatible_changes_pass_and_a_forward_break_names_old_readers(orders: GitRepo) -> None:
    # Confluent's compatible differences: a field added, a field renamed, string <-> bytes.
    orders.write({"order.proto": order(extra="\n  string note = 5;").replace("string id = 1", "bytes order_id = 1")})
    result = run_gate(orders, "check", "--against", "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 2 subject(s), 1 changed, all compatible (git HEAD)." in result.stdout

    orders.write({"subjects.yml": "order:\n  compatibility: FORWARD\n", "order.proto": order(total="repeated int64")})
    [finding] = findings(run_gate(orders, "check", "--against", "HEAD", "--format", "json"))
    assert (finding["type"], finding["direction"], finding["level"]) == ("FIELD_NUMERIC_LABEL_CHANGED", "forward", "FORWARD")
    assert finding["message"].startswith("field `total` (number 3) of message `acme.Order` changed from singular to repeated")
    assert finding["message"].endswith("so records written with the new schema cannot be read by consumers using version 1")


def test_a_change_to_an_imported_file_is_checked_in_it(orders: GitRepo) -> None:
    changed = CUSTOMER.replace("string name = 2", "int32 name = 2")
    orders.write({"customer.proto": changed})
    result = run_gate(orders, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    used = line_of(order(), "acme.Customer customer")
    assert sorted((f["file"], f["type"], f["field_path"], f["line"]) for f in findings(result)) == [
        ("schemas/customer.proto", "FIELD_SCALAR_KIND_CHANGED", "acme.Customer.name", line_of(changed, "int32 name")),
        ("schemas/order.proto", "FIELD_NAMED_TYPE_CHANGED", "acme.Order.customer", used),
        ("schemas/order.proto", "FIELD_SCALAR_KIND_CHANGED", "acme.Customer.name", used)]  # where order uses Customer
    told = {f["type"]: f["message"] for f in findings(result) if f["subject"] == "order"}
    assert told["FIELD_NAMED_TYPE_CHANGED"].startswith(
        "field `customer` (number 2) of message `acme.Order` keeps type message acme.Customer, but that message "
        "changed incompatibly in the file defining it")
    assert all(m.endswith("(from a change to what order references: customer.proto changed)") for m in told.values())


def test_imports_resolve_by_subjects_yml_and_well_known_types_need_no_file(orders: GitRepo) -> None:
    declared = "order:\n  references:\n    - {name: common/customer.proto, subject: customer}\n"
    orders.write({"order.proto": order(customer="common/customer.proto"), "subjects.yml": declared})
    result = run_gate(orders, "check", "--against", "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr

    missing = order(customer="common/nowhere.proto")
    orders.write({"order.proto": missing, "subjects.yml": None})
    result = run_gate(orders, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 2
    error = json.loads(result.stdout)
    assert (error["file"], error["line"]) == ("schemas/order.proto", line_of(missing, "import \"common"))
    assert 'import "common/nowhere.proto" was not found' in error["message"]
    assert "subjects.yml" in error["hint"] and "well-known" in error["hint"]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit"])
def test_a_syntax_error_is_a_parse_error_at_its_line_and_column(orders: GitRepo, fmt: str) -> None:
    broken = order().replace("string id = 1;", "string id = 1")
    orders.write({"order.proto": broken})
    line = line_of(broken, "acme.Customer customer")  # protoc notices the missing `;` at the next token
    result = run_gate(orders, "check", "--against", "HEAD", "--format", fmt)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f'error: schemas/order.proto:{line}:3: expected ";".' in result.stderr
    assert "Traceback" not in result.stderr
    expected = {
        "text": "",
        "json": json.dumps({"column": 3, "error": True, "file": "schemas/order.proto", "hint": None, "line": line,
                            "message": 'expected ";".'}, sort_keys=True),
        "github": f'::error file=schemas/order.proto,line={line},col=3::expected ";".',
    }
    if fmt == "junit":
        assert f'file="schemas/order.proto" line="{line}"' in result.stdout and "expected" in result.stdout
    else:
        assert result.stdout.strip() == expected[fmt]


def test_avro_and_protobuf_side_by_side(orders: GitRepo) -> None:
    orders.commit({"events-value.avsc": record([ID])})
    orders.write({"events-value.avsc": record([ID, {"name": "x", "type": "int"}]), "order.proto": order(total="double")})
    result = run_gate(orders, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert sorted((f["file"], f["type"]) for f in findings(result)) == [
        ("schemas/events-value.avsc", "READER_FIELD_MISSING_DEFAULT_VALUE"),
        ("schemas/order.proto", "FIELD_SCALAR_KIND_CHANGED")]

    orders.write({"order.avsc": record([ID])})
    both = run_gate(orders, "check", "--against", "HEAD")
    assert both.returncode == 2 and "subject 'order' has a schema file already" in both.stderr


def test_a_deleted_proto_subject_breaks_unless_allowed(orders: GitRepo) -> None:
    orders.commit({"shipment.proto": message("  string id = 1;\n")})
    orders.write({"shipment.proto": None})
    result = run_gate(orders, "check", "--against", "HEAD", "--format", "json")
    assert result.returncode == 1
    assert [(f["type"], f["subject"], f["file"]) for f in findings(result)] == [
        ("SUBJECT_DELETED", "shipment", "schemas/shipment.proto")]
    orders.write({"subjects.yml": "shipment:\n  allow_delete: true\n"})
    assert run_gate(orders, "check", "--against", "HEAD").returncode == 0


def test_a_shallow_clone_refuses_a_transitive_proto_check(tmp_path: Path) -> None:
    upstream = make_repo(tmp_path / "upstream")
    upstream.commit({"subjects.yml": "shipment:\n  compatibility: BACKWARD_TRANSITIVE\n",
                     "shipment.proto": message("  string id = 1;\n  int32 count = 2;\n")})
    upstream.commit({"shipment.proto": message("  string id = 1;\n")})
    readded = message("  string id = 1;\n  string count = 2;\n")

    shallow = clone(upstream, tmp_path / "shallow", "--depth", "1")
    shallow.write({"shipment.proto": readded})
    refused = run_gate(shallow, "check", "--against", "origin/main")
    assert refused.returncode == 2 and "this clone is shallow" in refused.stderr
    assert "shipment (BACKWARD_TRANSITIVE)" in refused.stderr

    full = clone(upstream, tmp_path / "full")
    full.write({"shipment.proto": readded})
    [finding] = findings(run_gate(full, "check", "--against", "origin/main", "--format", "json"))
    assert (finding["type"], finding["field_path"], finding["versions"]) == (
        "FIELD_SCALAR_KIND_CHANGED", "acme.Shipment.count", [1])


def test_diff_lists_fields_by_number_from_git(orders: GitRepo) -> None:
    orders.write({"order.proto": order(total="string", extra="\n  repeated string tags = 5;").replace(
        "string id = 1", "string order_id = 1")})
    result = run_gate(orders, "diff", "order", "--against", "HEAD")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "order: version 1 -> local file",
        "  ~ field number 1 of message `acme.Order` was renamed from `id` to `order_id`",
        "  ~ field `total` (number 3) of message `acme.Order` changed type from int64 to string",
        "  + field `tags` (number 5) of message `acme.Order` was added"]


# Registry mode: our registry, started once per session (conftest's registry_url).

def history(unique: str) -> History:
    """subject -> (declared level, committed versions, the change): each a break of another difference kind."""
    return {
        f"{unique}-kind": ("BACKWARD", [message("  string id = 1;\n  int64 count = 2;\n")],
                           message("  string id = 1;\n  string count = 2;\n")),
        f"{unique}-oneof": ("FULL", [message("  string id = 1;\n  oneof where {\n    string depot = 2;\n  }\n  string port = 3;\n")],
                            message("  string id = 1;\n  oneof where {\n    string depot = 2;\n    string port = 3;\n  }\n")),
        f"{unique}-label": ("FORWARD_TRANSITIVE", [message("  string id = 1;\n  int32 n = 2;\n"),
                                                   message("  string id = 1;\n  int32 n = 2;\n  string note = 3;\n")],
                            message("  string id = 1;\n  repeated int32 n = 2;\n  string note = 3;\n")),
        f"{unique}-removed": ("BACKWARD", [message("  string id = 1;\n") + "\nmessage Parcel {\n  string id = 1;\n}\n"],
                              message("  string id = 1;\n")),
        f"{unique}-fine": ("FULL_TRANSITIVE", [message("  string id = 1;\n")], message("  string id = 1;\n  string note = 2;\n")),
    }


def test_registry_mode_gives_git_modes_answer(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    cases = history(unique_name)
    repo = make_repo(tmp_path / "repo")
    seed_history(repo, registry_url, cases, ".proto", "PROTOBUF")

    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 1, registry.stdout + registry.stderr
    assert "warning" not in registry.stderr
    assert sorted(map(key, only_findings(registry))) == sorted(map(key, only_findings(git)))
    assert {(f["subject"], f["type"]) for f in only_findings(registry)} == {
        (f"{unique_name}-kind", "FIELD_SCALAR_KIND_CHANGED"), (f"{unique_name}-oneof", "FIELD_MOVED_TO_EXISTING_ONEOF"),
        (f"{unique_name}-oneof", "ONEOF_FIELD_REMOVED"),  # FULL's forward half: old readers see `port` in the oneof
        (f"{unique_name}-label", "FIELD_NUMERIC_LABEL_CHANGED"), (f"{unique_name}-removed", "MESSAGE_REMOVED")}
    [label] = [f for f in only_findings(registry) if f["subject"] == f"{unique_name}-label"]
    assert label["versions"] == [1, 2] and label["line"] == line_of(cases[f"{unique_name}-label"][2], "repeated int32")

    assert_same_lines(repo, registry_url)


def test_a_declared_level_the_registry_does_not_enforce_is_judged_by_the_engine(
        tmp_path: Path, registry_url: str, unique_name: str) -> None:
    subject = f"{unique_name}-shipment"
    before = message("  string id = 1;\n  int32 count = 2;\n")
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{subject}.proto": before, "subjects.yml": f"{subject}:\n  compatibility: FORWARD\n"})
    post(registry_url, f"/config/{subject}", {"compatibility": "NONE"})
    register(registry_url, subject, before, "PROTOBUF")
    repo.write({f"{subject}.proto": message("  string id = 1;\n  double count = 2;\n")})

    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 1, registry.stdout + registry.stderr
    assert f"the registry checks {subject} at NONE, but schemas/subjects.yml declares FORWARD" in registry.stderr
    assert sorted(map(key, only_findings(registry))) == sorted(map(key, only_findings(git)))
    assert only_findings(registry)[0]["direction"] == "forward"


def test_new_subjects_importing_each_other_pass_then_register_with_references(
        tmp_path: Path, registry_url: str, unique_name: str) -> None:
    customer, orders = f"{unique_name}-customer", f"{unique_name}-order"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{customer}.proto": CUSTOMER, f"{orders}.proto": order(customer=f"{customer}.proto")})

    check = run_gate(repo, "check", "--registry", registry_url)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "OK: 2 subject(s)" in check.stdout
    registered = run_gate(repo, "register", "--registry", registry_url)
    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert [line.split()[:2] for line in registered.stdout.splitlines()] == [["registered", customer], ["registered", orders]]

    status, answer = http("GET", f"{registry_url}/subjects/{orders}/versions/1")
    assert status == 200
    assert answer["schemaType"] == "PROTOBUF"
    assert answer["references"] == [{"name": f"{customer}.proto", "subject": customer, "version": 1}]
    again = run_gate(repo, "register", "--registry", registry_url)
    assert [line.split()[0] for line in again.stdout.splitlines()] == ["unchanged", "unchanged"], again.stdout

    changed = order(total="string", customer=f"{customer}.proto")
    repo.write({f"{orders}.proto": changed})
    [finding] = only_findings(run_gate(repo, "check", "--registry", registry_url, "--format", "json"))
    assert (finding["type"], finding["field_path"], finding["line"]) == (
        "FIELD_SCALAR_KIND_CHANGED", "acme.Order.total", line_of(changed, "string total"))
    refused = run_gate(repo, "register", "--registry", registry_url)
    assert refused.returncode == 1 and f"refused         {orders}" in refused.stdout

    diff = run_gate(repo, "diff", orders, "--registry", registry_url)
    assert diff.returncode == 0, diff.stderr
    assert diff.stdout.splitlines() == [
        f"{orders}: version 1 -> local file",
        "  ~ field `total` (number 3) of message `acme.Order` changed type from int64 to string"]


def test_a_deleted_proto_subject_is_caught_in_both_modes(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    kept, gone = f"{unique_name}-kept", f"{unique_name}-gone"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{kept}.proto": message("  string id = 1;\n"), f"{gone}.proto": message("  string id = 1;\n", "Gone")})
    assert run_gate(repo, "register", "--registry", registry_url).returncode == 0
    repo.write({f"{gone}.proto": None})
    for mode in (["--against", "HEAD"], ["--registry", registry_url]):
        result = run_gate(repo, "check", *mode, "--format", "json")
        assert result.returncode == 1, result.stdout + result.stderr
        assert [(f["type"], f["subject"], f["file"]) for f in only_findings(result)] == [
            ("SUBJECT_DELETED", gone, f"schemas/{gone}.proto")]


def test_without_protobuf_installed_the_gate_names_the_extra(tmp_path: Path) -> None:
    """The base install (Click and PyYAML alone, run with `python -S` as tests/gate/test_slim_install.py does)."""
    import click
    import yaml

    base = tmp_path / "base-site"
    base.mkdir()
    for package in (Path(click.__file__).parent, Path(yaml.__file__).parent, Path(yaml.__file__).parent.parent / "_yaml"):
        if package.is_dir():
            (base / package.name).symlink_to(package)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "GOVERNANCE_REGISTRY_URL"}
    env["PYTHONPATH"] = f"{Path(governance.__file__).resolve().parent.parent}{os.pathsep}{base}"
    repo = make_repo(tmp_path / "repo")
    repo.commit({"customer.proto": CUSTOMER, "events-value.avsc": record([ID])})
    repo.write({"customer.proto": CUSTOMER.replace("string name", "int32 name")})
    for fmt in ("text", "github"):
        result = subprocess.run([sys.executable, "-S", "-m", "governance", "schemas", "check", "--against", "HEAD",
                                 "--format", fmt], cwd=repo.root, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        [line] = result.stderr.splitlines()
        assert line.startswith("error: reading .proto files needs the `protobuf` extra (")
        assert line.endswith("pip install 'kafka-governance[protobuf]'")
    assert result.stdout.startswith("::error title=schemas check could not run::reading .proto files needs the `protobuf` extra")


def test_a_subject_changing_format_is_incompatible_in_both_modes_but_at_none(
        tmp_path: Path, registry_url: str, unique_name: str) -> None:
    subject = f"{unique_name}-events"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{subject}.avsc": record([ID])})
    post(registry_url, f"/subjects/{subject}/versions", {"schema": record([ID])})
    repo.write({f"{subject}.avsc": None, f"{subject}.proto": message("  string id = 1;\n", "Event")})

    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 1, git.stdout + git.stderr + registry.stdout + registry.stderr
    assert sorted(map(key, only_findings(registry))) == sorted(map(key, only_findings(git)))
    [finding] = only_findings(git)
    assert (finding["file"], finding["type"], finding["line"]) == (f"schemas/{subject}.proto", "INCOMPATIBLE", 1)
    assert finding["message"].startswith("version 1 is Avro and this schema is Protobuf: ")

    repo.write({"subjects.yml": f"{subject}:\n  compatibility: FORWARD\n"})  # not the registry's: our engine judges
    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 1 and "declares FORWARD" in registry.stderr
    assert sorted(map(key, only_findings(registry))) == sorted(map(key, only_findings(git)))

    repo.write({"subjects.yml": f"{subject}:\n  compatibility: NONE\n"})
    post(registry_url, f"/config/{subject}", {"compatibility": "NONE"})
    for mode in (["--against", "HEAD"], ["--registry", registry_url]):
        result = run_gate(repo, "check", *mode)
        assert result.returncode == 0, result.stdout + result.stderr


def test_confluents_protobuf_entries_are_read() -> None:
    from governance.gate.registry_check import RegistryFinding, parse_messages

    description = ("The kind of a SCALAR field at path '#/Order/3' in the new schema does not match its kind in "
                   "the old schema")
    entry = f'{{errorType:"FIELD_SCALAR_KIND_CHANGED", description:"{description}"}}'
    assert parse_messages([entry, "{oldSchemaVersion: 2}", "{validateFields: 'false', compatibility: 'BACKWARD'}"]) == [
        RegistryFinding("FIELD_SCALAR_KIND_CHANGED", "#/Order/3", "", "backward", description, 2)]
