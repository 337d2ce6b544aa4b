"""Which Kafka a command talks to: flag, then environment, then the local stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.errors import GovernanceError
from governance.kafka.settings import BOOTSTRAP_ENV, resolve_kafka_settings
from governance.stack.cluster import LocalStack
from governance.stack.discovery import stack_kafka


def test_flag_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BOOTSTRAP_ENV, "env:9092")
    settings = resolve_kafka_settings("flag:9092")
    assert settings.bootstrap_servers == "flag:9092"
    assert settings.source == "--bootstrap-servers"


def test_environment_is_used_without_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BOOTSTRAP_ENV, "env:9092")
    assert resolve_kafka_settings().bootstrap_servers == "env:9092"


def test_extra_properties_reach_the_client_config(tmp_path: Path) -> None:
    path = tmp_path / "client.properties"
    path.write_text("security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n")
    config = resolve_kafka_settings("b:9092", path).client_config(group_id="g", enable_auto_commit=False)
    assert config == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "bootstrap.servers": "b:9092",
        "group.id": "g",
        "enable.auto.commit": False,
    }


def test_running_local_stack_is_the_fallback(monkeypatch: pytest.MonkeyPatch, kafka_stack: LocalStack) -> None:
    monkeypatch.delenv(BOOTSTRAP_ENV, raising=False)
    settings = resolve_kafka_settings(fallback=stack_kafka(kafka_stack.data_dir))
    assert settings.bootstrap_servers == kafka_stack.state().bootstrap_servers
    assert "local stack" in settings.source


def test_no_cluster_anywhere_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(BOOTSTRAP_ENV, raising=False)
    with pytest.raises(GovernanceError) as error:
        resolve_kafka_settings(fallback=stack_kafka(tmp_path / "no-stack"))
    assert "--bootstrap-servers" in error.value.hint and "governance stack up" in error.value.hint
