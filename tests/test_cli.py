"""The command line teaches, and user mistakes never end in a traceback."""

from __future__ import annotations

import subprocess
import sys

from governance.kafka import KafkaSettings


def governance(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "governance", *args], capture_output=True, text=True, timeout=timeout)


def test_help_lists_the_commands() -> None:
    result = governance("--help")
    assert result.returncode == 0
    for command in ("stack", "demo", "kafka"):
        assert command in result.stdout


def test_unknown_option_is_a_usage_error() -> None:
    result = governance("stack", "up", "--brokres", "3")
    assert result.returncode == 2
    assert "No such option" in result.stderr and "Traceback" not in result.stderr


def test_kafka_check_reports_the_broker(kafka: KafkaSettings) -> None:
    result = governance("kafka", "check", "--bootstrap-servers", kafka.bootstrap_servers)
    assert result.returncode == 0, result.stderr
    assert f"broker 1     {kafka.bootstrap_servers}" in result.stdout


def test_kafka_check_on_a_dead_address_fails_clearly() -> None:
    result = governance("kafka", "check", "-b", "127.0.0.1:1")
    assert result.returncode == 2
    assert "did not answer: nothing listens at 127.0.0.1:1 (connection refused)." in result.stderr
    assert "start the brokers (`governance stack up` starts a local one)" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_against_a_given_cluster_reads_back_only_committed_records(kafka: KafkaSettings) -> None:
    result = governance("demo", "--records", "2000", "-b", kafka.bootstrap_servers)
    assert result.returncode == 0, result.stderr
    assert "read back (read_committed)   2000" in result.stdout
    assert "aborted records seen         0" in result.stdout
