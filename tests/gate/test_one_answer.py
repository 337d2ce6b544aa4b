"""Git mode and registry mode give one answer: at the level subjects.yml declares, for deleted subjects,
for new subjects that reference each other, and for references pinned at a version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gate_cases import ID
from gate_helpers import GitRepo, both, findings, line_of, make_repo, only_findings, post, record, run_gate
from registry_helpers import http


def key(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f["subject"], f["type"], f["field_path"], tuple(f["versions"]), f["line"], f["level"], f["direction"])


def test_a_field_removed_under_full_transitive_fails_in_both_modes(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    subject = f"{unique_name}-orders"
    before = record([ID, {"name": "note", "type": "string"}])
    after = record([ID])
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{subject}.avsc": before, "subjects.yml": f"{subject}:\n  compatibility: FULL_TRANSITIVE\n"})
    # Registered by someone who never set the level: the registry checks this subject at BACKWARD.
    post(registry_url, f"/config/{subject}", {"compatibility": "BACKWARD"})
    post(registry_url, f"/subjects/{subject}/versions", {"schema": before})
    repo.write({f"{subject}.avsc": after})

    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 1, registry.stdout + registry.stderr
    assert sorted(map(key, only_findings(registry))) == sorted(map(key, only_findings(git)))
    [finding] = only_findings(registry)
    assert (finding["type"], finding["field_path"], finding["level"], finding["direction"]) == (
        "READER_FIELD_MISSING_DEFAULT_VALUE", "note", "FULL_TRANSITIVE", "forward")
    assert f"warning: the registry checks {subject} at BACKWARD, but schemas/subjects.yml declares FULL_TRANSITIVE" \
        in registry.stderr
    [warning] = [f for f in findings(registry) if "warning" in f]
    assert warning["subject"] == subject and "BACKWARD" in warning["message"]
    github = run_gate(repo, "check", "--registry", registry_url, "--format", "github")
    assert f"::warning file=schemas/{subject}.avsc::" in github.stdout

    # `schemas register` sets the declared level first, so the registry refuses the change itself.
    refused = run_gate(repo, "register", "--registry", registry_url)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"level set       {subject} FULL_TRANSITIVE (was BACKWARD)" in refused.stdout
    assert http("GET", f"{registry_url}/config/{subject}")[1] == {"compatibilityLevel": "FULL_TRANSITIVE"}
    agreed = run_gate(repo, "check", "--registry", registry_url, "--format", "json")
    assert agreed.returncode == 1 and "warning" not in agreed.stderr
    assert sorted(map(key, only_findings(agreed))) == sorted(map(key, only_findings(git)))


def test_both_modes_name_the_version_the_break_is_against(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    """Under a non-transitive level the break is against the newest version: the 3rd, in git as in the registry."""
    subject = f"{unique_name}-amount"
    repo = make_repo(tmp_path / "repo")
    repo.commit({"subjects.yml": f"{subject}:\n  compatibility: BACKWARD\n"})
    post(registry_url, f"/config/{subject}", {"compatibility": "BACKWARD"})
    for kind in ("int", "long", "double"):
        text = record([ID, {"name": "amount", "type": kind}])
        repo.commit({f"{subject}.avsc": text})
        post(registry_url, f"/subjects/{subject}/versions", {"schema": text})
    repo.write({f"{subject}.avsc": record([ID, {"name": "amount", "type": "string"}])})

    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 1, git.stdout + git.stderr
    assert [f["versions"] for f in only_findings(git)] == [[3]], git.stdout
    assert sorted(map(key, only_findings(registry))) == sorted(map(key, only_findings(git)))


def test_a_deleted_subject_is_caught_in_both_modes(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    kept, gone, stranger = f"{unique_name}-kept", f"{unique_name}-gone", f"{unique_name}-stranger"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{kept}.avsc": record([ID]), f"{gone}.avsc": record([ID], name="Gone")})
    assert run_gate(repo, "register", "--registry", registry_url).returncode == 0
    post(registry_url, f"/subjects/{stranger}/versions", {"schema": record([ID], name="Stranger")})

    repo.write({f"{gone}.avsc": None})
    git, registry = both(repo, registry_url)
    for result in (git, registry):
        assert result.returncode == 1, result.stdout + result.stderr
        assert [(f["type"], f["subject"], f["file"]) for f in only_findings(result)] == [
            ("SUBJECT_DELETED", gone, f"schemas/{gone}.avsc")]

    repo.commit({}, "delete the subject")  # the pull request's commit: its history still had the file
    assert run_gate(repo, "check", "--registry", registry_url).returncode == 1

    repo.write({"subjects.yml": f"{gone}:\n  allow_delete: true\n"})
    git, registry = both(repo, registry_url, "HEAD~1")
    assert git.returncode == registry.returncode == 0, registry.stdout + registry.stderr


ADDRESS = {"type": "record", "name": "Address", "namespace": "com.acme",
           "fields": [{"name": "street", "type": "string"},
                      {"name": "country", "type": {"type": "enum", "name": "Country", "symbols": ["US", "FR"]}}]}


def address(symbols: list[str]) -> str:
    schema = json.loads(json.dumps(ADDRESS))
    schema["fields"][1]["type"]["symbols"] = symbols
    return json.dumps(schema, indent=2) + "\n"


def customer(*extra: dict[str, Any]) -> str:
    return record([ID, {"name": "address", "type": "com.acme.Address"}, *extra], name="Customer")


def references(customers: str, addresses: str, version: int | None = None, level: str = "FULL_TRANSITIVE") -> str:
    pin = f", version: {version}" if version else ""
    return (f"{customers}:\n  compatibility: {level}\n  references:\n"
            f"    - {{name: com.acme.Address, subject: {addresses}{pin}}}\n")


def test_new_subjects_that_reference_each_other_pass_in_registry_mode(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    customers, addresses = f"{unique_name}-customers", f"{unique_name}-acme-address"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{customers}.avsc": customer(), f"{addresses}.avsc": address(["US", "FR"]),
                 "subjects.yml": references(customers, addresses)})
    for yml in (references(customers, addresses), references(customers, addresses, version=1)):
        repo.write({"subjects.yml": yml})
        result = run_gate(repo, "check", "--registry", registry_url)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "OK: 2 subject(s)" in result.stdout
    assert run_gate(repo, "register", "--registry", registry_url).returncode == 0

    # A new subject that references a registered one checks fine; a registered one that now uses a new
    # subject's type is checked with that type from the local file.
    orders, phones = f"{unique_name}-orders", f"{unique_name}-phone"
    phone = '{"type": "record", "name": "Phone", "namespace": "com.acme", "fields": [{"name": "number", "type": "string"}]}'
    changed = customer({"name": "phone", "type": "com.acme.Phone"})
    repo.write({
        f"{orders}.avsc": record([ID, {"name": "shipTo", "type": "com.acme.Address"}], name="Order"),
        f"{phones}.avsc": phone,
        f"{customers}.avsc": changed,
        "subjects.yml": references(customers, addresses, version=1)
        + f"    - {{name: com.acme.Phone, subject: {phones}}}\n"
        + f"{orders}:\n  references:\n    - {{name: com.acme.Address, subject: {addresses}}}\n",
    })  # fmt: skip
    git, registry = both(repo, registry_url)
    assert registry.returncode == 1, registry.stdout + registry.stderr
    assert "422" not in registry.stderr
    assert [(f["subject"], f["type"], f["field_path"], f["line"]) for f in only_findings(registry)] == [
        (customers, "READER_FIELD_MISSING_DEFAULT_VALUE", "phone", line_of(changed, '"phone"'))]
    assert sorted(map(key, only_findings(registry))) == sorted(map(key, only_findings(git)))


def test_a_pinned_reference_is_checked_at_its_version(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    customers, addresses = f"{unique_name}-customers", f"{unique_name}-acme-address"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{customers}.avsc": customer(), f"{addresses}.avsc": address(["US", "FR"]),
                 "subjects.yml": references(customers, addresses, version=1)})
    assert run_gate(repo, "register", "--registry", registry_url).returncode == 0

    harmless = customer({"name": "nickname", "type": ["null", "string"], "default": None})
    repo.write({f"{addresses}.avsc": address(["US", "FR", "ES"])})  # the address enum gains ES
    for result in both(repo, registry_url):
        assert result.returncode == 0, result.stdout + result.stderr  # customers keeps version 1
    repo.write({f"{customers}.avsc": harmless})  # and, in the same pull request, a harmless edit
    for result in both(repo, registry_url):
        assert result.returncode == 0, result.stdout + result.stderr
    repo.commit({f"{customers}.avsc": customer()})
    registered = run_gate(repo, "register", "--registry", registry_url)
    assert f"registered      {addresses} version 2" in registered.stdout, registered.stdout + registered.stderr
    assert f"unchanged       {customers} version 1" in registered.stdout

    repo.write({f"{customers}.avsc": harmless})  # a later harmless edit to the referencing file
    for result in both(repo, registry_url):
        assert result.returncode == 0, result.stdout + result.stderr

    # Moving the pin to version 2 is the change that brings ES to customers' consumers.
    repo.write({"subjects.yml": references(customers, addresses, version=2)})
    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 1, registry.stdout + registry.stderr
    assert {(f["subject"], f["type"]) for f in only_findings(git)} == {(customers, "MISSING_ENUM_SYMBOLS")}
    assert sorted(map(key, only_findings(registry))) == sorted(map(key, only_findings(git)))


def test_a_change_to_a_referenced_file_is_flagged_on_the_subjects_it_breaks(tmp_path: Path, registry_url: str,
                                                                          unique_name: str) -> None:
    customers, addresses = f"{unique_name}-customers", f"{unique_name}-acme-address"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{customers}.avsc": customer(), f"{addresses}.avsc": address(["US", "FR"]),
                 "subjects.yml": references(customers, addresses)})
    assert run_gate(repo, "register", "--registry", registry_url).returncode == 0

    repo.write({f"{addresses}.avsc": address(["US", "FR", "ES"])})  # customers.avsc untouched
    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 1, registry.stdout + registry.stderr
    got = [(f["subject"], f["file"], f["type"], f["direction"]) for f in only_findings(git)]
    assert got == [(customers, f"schemas/{customers}.avsc", "MISSING_ENUM_SYMBOLS", "forward")]
    assert f"{addresses}.avsc changed" in only_findings(git)[0]["message"]
    assert sorted(map(key, only_findings(registry))) == sorted(map(key, only_findings(git)))


def test_a_pin_to_a_version_that_does_not_exist_is_an_input_error(tmp_path: Path, registry_url: str,
                                                                    unique_name: str) -> None:
    customers, addresses = f"{unique_name}-customers", f"{unique_name}-acme-address"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{customers}.avsc": customer(), f"{addresses}.avsc": address(["US", "FR"]),
                 "subjects.yml": references(customers, addresses, version=3)})
    git, registry = both(repo, registry_url)
    assert git.returncode == registry.returncode == 2
    assert (f"schemas/subjects.yml:1: subject '{customers}': reference '{addresses}' version 3 does not exist: "
            f"git history up to HEAD has 1 version(s) of {addresses}.avsc") in git.stderr
    assert (f"schemas/subjects.yml:1: subject '{customers}': reference '{addresses}' version 3 does not exist: "
            "the registry has no versions of it") in registry.stderr
    assert json.loads(registry.stdout)["error"] is True


def test_a_shallow_clone_says_it_cannot_see_older_deletions(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    kept, gone = f"{unique_name}-kept", f"{unique_name}-gone"
    repo = make_repo(tmp_path / "repo")
    repo.commit({f"{kept}.avsc": record([ID]), f"{gone}.avsc": record([ID], name="Gone")})
    assert run_gate(repo, "register", "--registry", registry_url).returncode == 0
    repo.commit({f"{gone}.avsc": None}, "delete the subject")

    clone = GitRepo(tmp_path / "clone")
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone.root))
    result = run_gate(clone, "check", "--registry", registry_url, "--format", "github")
    assert "this clone is shallow" in result.stderr and "fetch-depth: 0" in result.stderr
    assert "::warning file=schemas::this clone is shallow" in result.stdout
    full = run_gate(repo, "check", "--registry", registry_url)
    assert full.returncode == 1 and "SUBJECT_DELETED" in full.stdout
