"""The base install (`pip install kafka-governance`: Click and PyYAML) runs the gate; a command
whose extra is missing names the extra to install.

Building a venv of the base install per run would be slow, so the gate runs as a base install
would see it: `python -S` (no site-packages) with only this checkout and the base dependencies'
own packages on the path."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
import yaml

import governance
from gate_cases import ID
from gate_helpers import GitRepo, make_repo, record
from governance.errors import GovernanceError
from governance.extras import EXTRAS, MissingExtra, install_command, missing_as_error

ROOT = Path(governance.__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
BASE_PACKAGES = {"click": click, "pyyaml": yaml}  # each base dependency and its import package

PIPELINE = """name: a
source: a
value_format: avro
subject: a-value
expectations:
  - expectation: expect_column_values_to_not_be_null
    column: id
"""


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return normalized(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0])


@pytest.fixture(scope="module")
def base_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding only the base dependencies' packages, as a base install has them."""
    assert {requirement_name(r) for r in PYPROJECT["project"]["dependencies"]} == set(BASE_PACKAGES)
    folder = tmp_path_factory.mktemp("base-site")
    for module in BASE_PACKAGES.values():
        package = Path(module.__file__).parent
        (folder / package.name).symlink_to(package)
    compiled = Path(yaml.__file__).parent.parent / "_yaml"  # PyYAML's top-level shim of its C extension
    if compiled.is_dir():
        (folder / "_yaml").symlink_to(compiled)
    return folder


def run_base(base_path: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "GOVERNANCE_REGISTRY_URL"}
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{base_path}"
    return subprocess.run([sys.executable, "-S", "-m", "governance", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def repo_with_a_break(path: Path) -> GitRepo:
    repo = make_repo(path)
    (repo.root / "rules").mkdir()
    (repo.root / "rules" / "a.yml").write_text(PIPELINE)
    repo.git("add", "rules")
    repo.commit({"a-value.avsc": record([ID]), "subjects.yml": "a-value:\n  compatibility: BACKWARD\n"})
    repo.write({"a-value.avsc": record([ID, {"name": "x", "type": "int"}])})
    return repo


def test_the_base_install_has_no_heavy_package(base_path: Path) -> None:
    probe = run_base(base_path, base_path, "--version")
    assert probe.returncode == 0, probe.stderr
    for heavy in ("great_expectations", "datahub", "pandas", "uvicorn", "confluent_kafka", "fastavro", "google.protobuf",
                  "grpc_tools", "jsonschema", "jsonschema_rs"):
        found = subprocess.run([sys.executable, "-S", "-c", f"import {heavy}"], env={"PYTHONPATH": f"{ROOT}{os.pathsep}{base_path}"},
                               capture_output=True, text=True, timeout=60)
        assert "ModuleNotFoundError" in found.stderr, heavy


def test_gate_checks_and_diffs_against_git_with_the_base_install(tmp_path: Path, base_path: Path) -> None:
    repo = repo_with_a_break(tmp_path / "repo")

    check = run_base(base_path, repo.root, "schemas", "check", "--against", "HEAD")
    assert check.returncode == 1, check.stderr
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in check.stdout
    assert "read by sentinel a (1 rule)" in check.stdout  # downstream impact, read from rules/ without Great Expectations
    assert "Traceback" not in check.stderr

    github = run_base(base_path, repo.root, "schemas", "check", "--against", "HEAD", "--format", "github")
    assert github.returncode == 1 and github.stdout.startswith("::error file=schemas/a-value.avsc"), github.stdout

    diff = run_base(base_path, repo.root, "schemas", "diff", "a-value", "--against", "HEAD")
    assert diff.returncode == 0, diff.stderr
    assert "+ field x: int (no default)" in diff.stdout


def test_gate_registers_and_checks_against_a_registry_with_the_base_install(
        tmp_path: Path, base_path: Path, registry_url: str, unique_name: str) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.write({f"{unique_name}.avsc": record([ID])})

    dry = run_base(base_path, repo.root, "schemas", "register", "--registry", registry_url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would register  {unique_name}" in dry.stdout

    check = run_base(base_path, repo.root, "schemas", "check", "--registry", registry_url)
    assert check.returncode == 0, check.stderr + check.stdout


def test_the_gate_on_a_json_schema_file_names_the_json_schema_extra(tmp_path: Path, base_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"a-value.json": '{"type": "object", "properties": {"id": {"type": "string"}}}\n'})
    result = run_base(base_path, repo.root, "schemas", "check", "--against", "HEAD")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.splitlines() == [
        "error: reading JSON Schema files needs the `json_schema` extra (jsonschema, jsonschema_rs not installed): "
        "pip install 'kafka-governance[json_schema]'"]
    github = run_base(base_path, repo.root, "schemas", "check", "--against", "HEAD", "--format", "github")
    assert github.returncode == 2 and "Traceback" not in github.stderr, github.stderr
    assert github.stdout.startswith("::error title=schemas check could not run::reading JSON Schema files needs the "
                                    "`json_schema` extra"), github.stdout


@pytest.mark.parametrize(("command", "extra"), [
    (["sentinel", "check", "rules/a.yml"], "sentinel"),
    (["sentinel", "run", "rules/a.yml"], "sentinel"),
    (["registry", "serve"], "registry"),
    (["lineage", "emit", "--to", "lite"], "lineage"),
    (["console"], "console"),
    (["stack", "up"], "stack"),
    (["demo"], "all"),
])
def test_a_command_whose_extra_is_missing_names_it(tmp_path: Path, base_path: Path, command: list[str], extra: str) -> None:
    repo = repo_with_a_break(tmp_path / "repo")
    result = run_base(base_path, repo.root, *command)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and f" {' '.join(command[:2])}` needs the `{extra}` extra (" in lines[0], lines[0]
    assert lines[0].endswith(f"pip install 'kafka-governance[{extra}]'"), lines[0]

    help_text = run_base(base_path, repo.root, *command[:2], "--help")
    assert help_text.returncode == 0 and "Usage:" in help_text.stdout


def test_an_import_no_command_declared_still_names_the_extra(base_path: Path) -> None:
    def attempt(module: str) -> subprocess.CompletedProcess[str]:
        code = f"from governance.extras import missing_as_error\nwith missing_as_error():\n    import {module}"
        return subprocess.run([sys.executable, "-S", "-c", code], env={"PYTHONPATH": f"{ROOT}{os.pathsep}{base_path}"},
                              capture_output=True, text=True, timeout=60)

    assert "MissingExtra: this command needs the `lineage` extra" in attempt("datahub.emitter").stderr
    assert "pip install 'kafka-governance[all]'" in attempt("confluent_kafka").stderr
    assert "pip install 'kafka-governance[protobuf]'" in attempt("google.protobuf.descriptor_pb2").stderr
    assert "ModuleNotFoundError: No module named 'nosuch'" in attempt("nosuch").stderr
    assert "ModuleNotFoundError: No module named 'click.nosuch'" in attempt("click.nosuch").stderr  # a bug, not an extra
    assert issubclass(MissingExtra, GovernanceError)


def test_every_command_beyond_the_gate_declares_its_extra() -> None:
    from governance.cli import cli

    base = {"schemas check", "schemas register", "schemas diff", "lineage impact", "registry hash-password"}

    def leaves(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
        found: dict[str, click.Command] = {}
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                found |= leaves(command, f"{prefix}{name} ")
            else:
                found[f"{prefix}{name}"] = command
        return found

    commands = leaves(cli)
    assert base <= set(commands)
    undeclared = sorted(n for n, c in commands.items() if n not in base and getattr(c.callback, "extra", None) not in EXTRAS)
    assert undeclared == []


def test_the_install_hint_installs_from_where_the_gate_came_from() -> None:
    from_git = {"url": "https://git.example/acme/kafka-governance.git",
                "vcs_info": {"vcs": "git", "commit_id": "0f1e2d", "requested_revision": "main"}}
    assert install_command("sentinel", from_git) == \
        "pip install 'kafka-governance[sentinel] @ git+https://git.example/acme/kafka-governance.git@0f1e2d'"
    checkout = {"url": "file:///src/kafka-governance", "dir_info": {"editable": True}}
    assert install_command("lineage", checkout) == "pip install -e '/src/kafka-governance[lineage]'"
    assert install_command("lineage", {"url": "file:///src/kg", "dir_info": {}}) == "pip install '/src/kg[lineage]'"
    assert install_command("all", None) == "pip install 'kafka-governance[all]'"


def extra_distributions(extra: str) -> set[str]:
    """The distributions pyproject.toml's extra names, through the extras it includes."""
    names: set[str] = set()
    for requirement in PYPROJECT["project"]["optional-dependencies"][extra]:
        name = requirement_name(requirement)
        if name == "kafka-governance":
            for included in re.search(r"\[(.*)\]", requirement).group(1).split(","):
                names |= extra_distributions(included.strip())
        else:
            names.add(name)
    return names


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_each_extra_installs_the_modules_its_commands_check_for(extra: str) -> None:
    providers = importlib.metadata.packages_distributions()
    installs = extra_distributions(extra)
    for module in EXTRAS[extra]:
        assert any(normalized(d) in installs for d in providers[module.partition(".")[0]]), (extra, module, providers[module.partition(".")[0]])


def test_dev_installs_everything() -> None:
    assert extra_distributions("all") <= extra_distributions("dev")
