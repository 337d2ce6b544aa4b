"""The demo says so when the stack's console shows another folder than the one the demo runs in."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from demo.test_live import datahub_home

from governance.stack.cluster import LocalStack

pytestmark = pytest.mark.slow  # a demo run

REPO = Path(__file__).resolve().parents[2]


def test_a_demo_run_elsewhere_says_which_folder_the_stacks_console_shows(kafka_stack: LocalStack, tmp_path: Path) -> None:
    state = kafka_stack.state()
    assert state is not None and state.console is not None
    elsewhere = tmp_path / "project"
    for folder in ("schemas", "rules", "lineage"):
        shutil.copytree(REPO / folder, elsewhere / folder)
    home = datahub_home(tmp_path)
    done = subprocess.run([sys.executable, "-m", "governance", "demo", "--duration", "0", "--records", "100",
                           "--data-dir", str(kafka_stack.data_dir)], cwd=elsewhere, env=home,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    shown = Path(state.console.project).resolve()
    assert shown != elsewhere.resolve()
    assert (f"Console: {state.console.url} (open it in a browser; it shows {shown}, not {elsewhere.resolve()}: "
            "`governance console --port 0` here shows this folder's schemas, rules and lineage)") in done.stdout
