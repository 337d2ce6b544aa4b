"""What `stack up --security sasl_ssl` adds: a TLS listener with the stack's own CA, SCRAM
users made when the storage is formatted, and a client properties file that is all a
client needs (`--kafka-config FILE` or $GOVERNANCE_KAFKA_CONFIG)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from governance.stack.dirs import write_private
from governance.stack.tls import make_certificates, tls_files

PLAINTEXT = "plaintext"
SASL_SSL = "sasl_ssl"
MODES = (PLAINTEXT, SASL_SSL)
MECHANISM = "SCRAM-SHA-512"
ADMIN_USER = "admin"
"""The brokers' own user, for replication between them."""
CLIENT_USER = "governance"
USERS_FILE = "users.json"
CLIENT_PROPERTIES = "client.properties"
TLS_DIR = "tls"


def client_properties_path(data_dir: Path) -> Path:
    return data_dir / CLIENT_PROPERTIES


def create_credentials(data_dir: Path, bootstrap_servers: str) -> Path:
    """A new CA and broker certificate, random passwords and the client properties file; returns its path."""
    files = make_certificates(data_dir / TLS_DIR)
    users = {ADMIN_USER: secrets.token_urlsafe(24), CLIENT_USER: secrets.token_urlsafe(24)}
    write_private(data_dir / USERS_FILE, (json.dumps(users, indent=2) + "\n").encode())
    properties = {
        "bootstrap.servers": bootstrap_servers,
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": MECHANISM,
        "sasl.username": CLIENT_USER,
        "sasl.password": users[CLIENT_USER],
        "ssl.ca.location": str(files.ca),
    }
    path = client_properties_path(data_dir)
    write_private(path, ("# librdkafka properties for the local stack (governance stack up --security sasl_ssl)\n"
                         + "".join(f"{key}={value}\n" for key, value in properties.items())).encode())
    return path


def broker_settings(data_dir: Path) -> dict[str, str]:
    """server.properties entries for a SASL_SSL listener named SASL_SSL, used between brokers too."""
    files = tls_files(data_dir / TLS_DIR)
    admin = _users(data_dir)[ADMIN_USER]
    return {
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        f"listener.name.sasl_ssl.{MECHANISM.lower()}.sasl.jaas.config":
            f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{ADMIN_USER}" '
            f'password="{admin}";',
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(files.keystore),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(files.ca),
    }


def format_args(data_dir: Path) -> list[str]:
    """`kafka-storage format` arguments that put the users' SCRAM credentials in the first metadata."""
    return [arg for user, password in _users(data_dir).items()
            for arg in ("--add-scram", f"{MECHANISM}=[name={user},password={password}]")]


def _users(data_dir: Path) -> dict[str, str]:
    return json.loads((data_dir / USERS_FILE).read_text())
