"""`./run`'s first set-up is quiet: no setuptools banner about editable installs, yet a real
install error still shows. The real script runs on a tiny project of the same layout (a
package folder at the top, a `dev` extra, a `governance` command), so its venv and pip are
real and the set-up takes seconds, not the minutes of this project's own dependencies."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "run"

PYPROJECT = """[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "run-probe"
version = "0.1.0"
dependencies = [{dependencies}]

[project.optional-dependencies]
dev = []

[project.scripts]
governance = "probe:main"

[tool.setuptools.packages.find]
include = ["probe*"]
"""


def tiny_project(root: Path, dependencies: str = "") -> Path:
    (root / "probe").mkdir(parents=True)
    (root / "probe" / "__init__.py").write_text("def main() -> None:\n    print('probe ran')\n")
    (root / "pyproject.toml").write_text(PYPROJECT.format(dependencies=dependencies))
    shutil.copy(RUN, root / "run")
    return root


def run_setup(root: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return subprocess.run(["./run", "--version"], cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_first_setup_prints_no_editable_install_banner(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "project")
    result = run_setup(root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "probe ran"
    assert result.stderr.splitlines() == ["Setting up .venv (Python packages; takes a minute the first time)..."], \
        result.stderr


def test_a_real_install_error_still_shows(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "project", dependencies='"not a requirement!!"')
    result = run_setup(root)
    assert result.returncode != 0
    assert "ERROR" in result.stderr and "must be pep508" in result.stderr, result.stderr
