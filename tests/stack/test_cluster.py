"""`governance stack up | down | status` as a user runs them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from governance.errors import GovernanceError
from governance.stack import process
from governance.stack.jars import ensure_kafka_jars
from governance.stack.java import require_java


def governance(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "governance", *args],
        capture_output=True, text=True, timeout=timeout, env=env,
    )  # fmt: skip


def our_java_processes(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and process.is_alive(int(entry.name)):
            args = process.cmdline(int(entry.name))
            if args and args[0].endswith("java") and any(marker in arg for arg in args):
                pids.append(int(entry.name))
    return pids


def test_up_status_down_leaves_no_process_behind(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "stack")
    up = governance("stack", "up", "--port", "0", "--data-dir", data_dir)
    assert up.returncode == 0, up.stderr
    try:
        status = governance("stack", "status", "--json", "--data-dir", data_dir)
        assert status.returncode == 0
        info = json.loads(status.stdout)
        assert info["running"] is True
        assert info["log_dir"] == str(Path(data_dir) / "logs")
        (broker,) = info["brokers"]
        bootstrap, registry_url, console_url = up.stdout.split()
        assert info["bootstrap_servers"] == f"127.0.0.1:{broker['port']}" == bootstrap
        assert info["registry_url"] == registry_url
        assert process.is_alive(info["registry_pid"])
        assert info["console_url"] == console_url and process.is_alive(info["console_pid"])
        with urllib.request.urlopen(console_url + "/", timeout=10) as page:
            assert b"governance console" in page.read()
        assert process.cmdline(broker["pid"])[0].endswith("java")
        assert our_java_processes(data_dir) == [broker["pid"]]

        again = governance("stack", "up", "--data-dir", data_dir)
        assert again.returncode == 0 and "already running" in again.stderr
        assert json.loads(governance("stack", "status", "--json", "--data-dir", data_dir).stdout)["brokers"][0][
            "pid"
        ] == broker["pid"], "a second up starts nothing new"
    finally:
        down = governance("stack", "down", "--data-dir", data_dir)
    assert down.returncode == 0
    assert our_java_processes(data_dir) == []
    assert not process.is_alive(info["registry_pid"])
    assert not process.is_alive(info["console_pid"])
    after = governance("stack", "status", "--json", "--data-dir", data_dir)
    assert after.returncode == 1
    assert json.loads(after.stdout)["running"] is False


def test_status_without_a_stack_says_how_to_start_one(tmp_path: Path) -> None:
    result = governance("stack", "status", "--data-dir", str(tmp_path / "none"))
    assert result.returncode == 1
    assert "governance stack up" in result.stdout


def test_taken_port_is_reported_with_the_port_and_a_way_out(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = governance("stack", "up", "--port", str(port), "--data-dir", str(tmp_path / "s"))
    assert result.returncode == 2
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr
    assert our_java_processes(str(tmp_path)) == []


def test_missing_java_names_what_to_install(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(tmp_path / "empty-bin")
    result = governance("stack", "up", "--port", "0", "--data-dir", str(tmp_path / "s"), env=env)
    assert result.returncode == 2
    assert "Java was not found" in result.stderr
    assert "openjdk-17" in result.stderr
    assert "Traceback" not in result.stderr


def test_too_old_java_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho \'java version "1.8.0_392"\' >&2\n')
    fake.chmod(0o755)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(fake.parent))
    with pytest.raises(GovernanceError, match="is Java 8; Apache Kafka 4 needs Java 17"):
        require_java()


def test_broker_that_dies_at_start_shows_its_log(tmp_path: Path) -> None:
    env = {**os.environ, "GOVERNANCE_KAFKA_JVM_OPTS": "-Xmx1k"}
    result = governance("stack", "up", "--port", "0", "--data-dir", str(tmp_path / "s"), env=env)
    assert result.returncode == 2
    assert "Broker 1 exited while starting" in result.stderr
    assert "heap" in result.stderr.lower(), "the tail of the broker log is shown"
    assert our_java_processes(str(tmp_path)) == []


def test_missing_maven_is_reported_when_jars_are_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(GovernanceError, match=r"Maven \(`mvn`\).*is not on PATH") as error:
        ensure_kafka_jars(tmp_path / "cache", progress=lambda _: None)
    assert "apt-get install maven" in error.value.hint


def test_unreachable_maven_central_is_reported(tmp_path: Path) -> None:
    settings = tmp_path / "settings.xml"
    settings.write_text(
        "<settings><mirrors><mirror><id>nowhere</id><mirrorOf>*</mirrorOf>"
        "<url>http://127.0.0.1:9/maven2</url></mirror></mirrors></settings>"
    )
    args = ["-s", str(settings), f"-Dmaven.repo.local={tmp_path / 'repo'}"]
    with pytest.raises(GovernanceError, match="Maven could not reach Maven Central"):
        ensure_kafka_jars(tmp_path / "cache", maven_args=args, progress=lambda _: None)
    assert not (tmp_path / "cache" / "kafka-4.4.0").exists(), "a failed fetch leaves no half-filled cache"
