"""deploy/systemd/governance-sentinel@.service: systemd accepts it, its command line is one the CLI
parses (with the example environment file beside it), and its stop and restart settings fit what the
sentinel does on SIGTERM and what its exit codes mean."""

from __future__ import annotations

import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from deploy_helpers import DEPLOY, cli_params, env_file, unit_file

from governance.errors import GovernanceError
from governance.kafka.bounded import Bounded
from governance.sentinel.router import RouterConfig
from governance.sentinel.service import DlqLimitExceeded

UNIT = DEPLOY / "systemd" / "governance-sentinel@.service"
EXAMPLE_ENV = DEPLOY / "systemd" / "orders-1.env"


def command_line(instance: str, env: dict[str, str]) -> list[str]:
    """ExecStart as systemd runs it for `instance`: %i replaced, each ${VAR} one word."""
    unit = unit_file(UNIT)
    defaults = dict(pair.split("=", 1) for value in unit["Service.Environment"] for pair in shlex.split(value))
    variables = {**defaults, **env}  # EnvironmentFile= overrides Environment=
    (exec_start,) = unit["Service.ExecStart"]
    return [re.sub(r"\$\{(\w+)\}", lambda m: variables[m.group(1)], word.replace("%i", instance))
            for word in shlex.split(exec_start)]


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    entry_point = Path(sys.executable).with_name("governance")
    real = str(entry_point) if entry_point.exists() else f"{sys.executable} -m governance"
    (executable, *_), = [shlex.split(v) for v in unit_file(UNIT)["Service.ExecStart"]]
    copy = tmp_path / "governance-sentinel@orders-1.service"  # an instance: the template with %i filled in
    copy.write_text(UNIT.read_text().replace(f"ExecStart={executable} ", f"ExecStart={real} "))
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if copy.name in line]
    assert result.returncode == 0 and complaints == [], result.stdout + result.stderr


def test_the_units_command_line_is_one_the_cli_accepts() -> None:
    env = env_file(EXAMPLE_ENV)
    executable, *words = command_line("orders-1", env)
    assert Path(executable).name == "governance"
    path, params = cli_params(words)
    assert path == "sentinel run"
    assert params["pipeline_file"] == Path(env["PIPELINE"]) and params["instance_id"] == "orders-1"
    assert params["metrics_port"] == int(env["METRICS_PORT"])
    without_port = {k: v for k, v in env.items() if k != "METRICS_PORT"}
    assert cli_params(command_line("orders-2", without_port)[1:])[1]["metrics_port"] == 9108, "the unit's default"


def test_stop_and_restart_settings_fit_the_sentinel() -> None:
    unit = unit_file(UNIT)
    assert unit["Service.KillSignal"] == ["SIGTERM"] and unit["Service.KillMode"] == ["mixed"]
    config = RouterConfig(sources=("in",), valid_topic="v", dlq_topic="d", group_id="g", pipeline_name="p",
                          transactional_id_prefix="g")
    final_commit_s = config.operation_timeout_s + Bounded(print).grace_s
    workers_and_reporter_s = 5 + 5
    (stop_s,) = unit["Service.TimeoutStopSec"]
    assert int(stop_s) >= max(final_commit_s, config.transaction_timeout_ms / 1000) + workers_and_reporter_s
    assert unit["Service.Restart"] == ["on-failure"]
    (prevent,) = unit["Service.RestartPreventExitStatus"]
    assert {int(code) for code in prevent.split()} == {GovernanceError.exit_code, DlqLimitExceeded.exit_code}


class _StoppableSentinel:
    def __init__(self) -> None:
        self.stopping, self.lines = False, []

    def stop(self) -> None:
        self.stopping = True

    @property
    def console(self) -> _StoppableSentinel:
        return self

    def line(self, text: str) -> None:
        self.lines.append(text)


def test_the_kill_signal_is_one_sentinel_run_turns_into_commit_and_stop() -> None:
    from governance.cli.sentinel import stop_on_signals

    sentinel = _StoppableSentinel()
    with stop_on_signals(sentinel):  # type: ignore[arg-type]
        signal.raise_signal(getattr(signal, unit_file(UNIT)["Service.KillSignal"][0]))
    assert sentinel.stopping and sentinel.lines == ["SIGTERM: committing the open transaction and stopping"]
