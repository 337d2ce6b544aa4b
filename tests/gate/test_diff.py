"""`schemas diff`: fields added and removed, type and default changes, enum symbols."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from gate_cases import ID, enum, nested
from gate_helpers import make_repo, record, run_gate

from governance.gate.diff import structural_diff

V1 = record([ID, {"name": "amount", "type": "int"}, {"name": "country", "type": "string", "default": "DE"},
             enum(["NEW", "PAID", "SHIPPED"]), nested([{"name": "zip", "type": "int"}]), {"name": "gone", "type": "long"}])
V2 = record([ID, {"name": "amount", "type": "long"}, {"name": "country", "type": "string", "default": "FR"},
             enum(["NEW", "PAID", "CANCELLED"]), nested([{"name": "zip", "type": "string"}, {"name": "city", "type": "string"}]),
             {"name": "email", "type": ["null", "string"], "default": None}])

EXPECTED = [
    "+ field email: [null, string] (default null)",
    "- field gone: long",
    "~ field amount: type int -> long",
    "~ field country: default \"DE\" -> \"FR\"",
    "- enum com.example.Status in field status: symbol SHIPPED",
    "+ enum com.example.Status in field status: symbol CANCELLED",
    "+ field address.city: string (no default)",
    "~ field address.zip: type int -> string",
]


def test_structural_diff_names_each_change() -> None:
    assert structural_diff(V1, V2) == EXPECTED


def test_same_schema_has_no_changes() -> None:
    assert structural_diff(V1, V1) == []


def test_diff_from_git(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"orders-value.avsc": V1})
    repo.commit({"orders-value.avsc": V2})
    result = run_gate(repo, "diff", "orders-value", "--against", "HEAD", "--from", "1", "--to", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["orders-value: version 1 -> version 2", *(f"  {line}" for line in EXPECTED)]

    unchanged = run_gate(repo, "diff", "orders-value", "--against", "HEAD")
    assert unchanged.stdout.splitlines() == ["orders-value: version 2 -> local file", "  no structural changes"]

    missing = run_gate(repo, "diff", "orders-value", "--against", "HEAD", "--from", "7")
    assert missing.returncode == 2 and "no version 7 (versions: 1, 2)" in missing.stderr


def test_diff_from_the_registry_against_the_local_file(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    request = urllib.request.Request(f"{registry_url}/subjects/{unique_name}/versions", method="POST",
                                     data=json.dumps({"schema": V1}).encode(),
                                     headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    urllib.request.urlopen(request, timeout=30).close()
    repo = make_repo(tmp_path / "repo")
    repo.write({f"{unique_name}.avsc": V2})
    result = run_gate(repo, "diff", unique_name, "--registry", registry_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{unique_name}: version 1 -> local file", *(f"  {line}" for line in EXPECTED)]


def test_a_version_using_another_subjects_type_is_diffed_with_that_type_resolved() -> None:
    address = json.dumps({"type": "record", "name": "Address", "namespace": "com.example.shared",
                          "fields": [{"name": "zip", "type": "string"}]})
    before = json.dumps({"type": "record", "name": "Order", "namespace": "com.example",
                         "fields": [{"name": "ship_to", "type": "com.example.shared.Address"}]})
    after = json.dumps({"type": "record", "name": "Order", "namespace": "com.example",
                        "fields": [{"name": "ship_to", "type": "com.example.shared.Address"},
                                   {"name": "bill_to", "type": ["null", "com.example.shared.Address"], "default": None}]})
    references = {"com.example.shared.Address": address}
    assert structural_diff(before, after, references) == [
        "+ field bill_to: [null, com.example.shared.Address] (default null)"]
