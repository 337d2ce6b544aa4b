"""Extra librdkafka properties pass through unchanged; a bad file names its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.errors import GovernanceError
from governance.kafka.properties import load_client_properties


def test_properties_file_passes_values_through(tmp_path: Path) -> None:
    path = tmp_path / "client.properties"
    path.write_text(
        "# SASL over TLS\n"
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism = PLAIN\n"
        "! another comment\n"
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\";\n"
        "ssl.ca.location: /etc/ssl/ca.pem\n"
    )
    assert load_client_properties(path) == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "PLAIN",
        "sasl.jaas.config": 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u";',
        "ssl.ca.location": "/etc/ssl/ca.pem",
    }


def test_yaml_file_is_flattened_to_strings(tmp_path: Path) -> None:
    path = tmp_path / "client.yaml"
    path.write_text("security.protocol: SSL\nenable.ssl.certificate.verification: false\nsocket.timeout.ms: 5000\n")
    assert load_client_properties(path) == {
        "security.protocol": "SSL",
        "enable.ssl.certificate.verification": "false",
        "socket.timeout.ms": "5000",
    }


def test_properties_line_without_value_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "client.properties"
    path.write_text("security.protocol=SSL\n\nssl.ca.location\n")
    with pytest.raises(GovernanceError, match=r"client.properties, line 3: expected `key=value`"):
        load_client_properties(path)


def test_yaml_syntax_error_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "client.yml"
    path.write_text("security.protocol: SSL\nsasl.mechanism: [PLAIN\n")
    with pytest.raises(GovernanceError, match=r"client.yml, line \d+, column \d+: not valid YAML"):
        load_client_properties(path)


def test_nested_yaml_value_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "client.yaml"
    path.write_text("security.protocol: SSL\nsasl:\n  mechanism: PLAIN\n")
    with pytest.raises(GovernanceError, match=r"line 2: property 'sasl' must have a single value"):
        load_client_properties(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(GovernanceError, match="nope.properties: no such file"):
        load_client_properties(tmp_path / "nope.properties")
