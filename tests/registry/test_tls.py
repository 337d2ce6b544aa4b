"""The registry over HTTPS (--ssl-certfile/--ssl-keyfile), as Confluent's client sees it."""

from __future__ import annotations

import datetime
import ipaddress
import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.common._httpx_compat import httpx  # the client's HTTP library: httpx2 or httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from registry_helpers import RegistryProcess

from governance.kafka import KafkaSettings


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost that is its own CA; returns (cert, key) PEM paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "registry test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=False, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "registry.crt", directory / "registry.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_registry(kafka: KafkaSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    registry = RegistryProcess(
        kafka.bootstrap_servers, f"_schemas-tls-{uuid.uuid4().hex}",
        args=["--ssl-certfile", str(cert), "--ssl-keyfile", str(key)], cafile=cert,
    )  # fmt: skip
    registry.cert = cert
    yield registry
    registry.stop()


def test_confluent_client_registers_and_fetches_over_https(tls_registry: RegistryProcess) -> None:
    assert tls_registry.url.startswith("https://")
    client = SchemaRegistryClient({"url": tls_registry.url, "ssl.ca.location": str(tls_registry.cert)})
    schema = Schema(json.dumps({"type": "record", "name": "Secure", "fields": [{"name": "a", "type": "long"}]}), "AVRO")
    schema_id = client.register_schema("secure-value", schema)
    fresh = SchemaRegistryClient({"url": tls_registry.url, "ssl.ca.location": str(tls_registry.cert)})
    assert json.loads(fresh.get_schema(schema_id).schema_str) == json.loads(schema.schema_str)
    latest = fresh.get_latest_version("secure-value")
    assert (latest.schema_id, latest.version) == (schema_id, 1)
    assert fresh.lookup_schema("secure-value", schema).schema_id == schema_id


def test_a_client_that_does_not_trust_the_certificate_is_refused(tls_registry: RegistryProcess) -> None:
    # No ssl.ca.location: the client trusts only the public CAs (certifi), not our self-signed one.
    untrusting = SchemaRegistryClient({"url": tls_registry.url, "max.retries": 0})
    # A failed handshake, not an answer of the registry (a SchemaRegistryError).
    with pytest.raises(httpx.ConnectError, match=r"^\[SSL: CERTIFICATE_VERIFY_FAILED\] certificate verify failed: "
                                                 "self-signed certificate"):
        untrusting.get_subjects()


def test_plain_http_to_the_https_port_gets_no_api_answer(tls_registry: RegistryProcess) -> None:
    plain = tls_registry.url.replace("https://", "http://") + "/subjects"
    with pytest.raises(OSError):
        urllib.request.urlopen(plain, timeout=10).read()
