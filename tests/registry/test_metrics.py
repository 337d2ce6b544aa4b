"""The registry's /metrics (names agreed in issue 27), scraped from real registries after real requests
through confluent-kafka's SchemaRegistryClient."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from prometheus_client.parser import text_string_to_metric_families
from registry_helpers import RegistryProcess, http, schema

from governance.kafka import KafkaSettings

Samples = dict[tuple[str, frozenset], float]


def scrape(url: str) -> Samples:
    """Every sample of the registry's /metrics, by (name, labels)."""
    with urllib.request.urlopen(url + "/metrics", timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def avro(*fields: tuple[str, str]) -> Schema:
    return Schema(json.dumps({"type": "record", "name": "Metered", "fields": [
        {"name": name, "type": kind} for name, kind in fields]}), "AVRO")  # fmt: skip


@pytest.fixture(scope="module")
def registry(kafka: KafkaSettings) -> Iterator[str]:
    """A registry of its own, so that its counts are this module's."""
    process = RegistryProcess(kafka.bootstrap_servers, f"_schemas-metrics-{uuid.uuid4().hex[:8]}")
    try:
        yield process.url
    finally:
        process.stop()


def test_requests_are_counted_by_route_template_and_status_with_their_latency(registry: str) -> None:
    client = SchemaRegistryClient({"url": registry})
    first = client.register_schema("metered-a", avro(("id", "string")))
    client.register_schema("metered-b", avro(("id", "long")))
    SchemaRegistryClient({"url": registry}).get_schema(first)  # a fresh client: the first one cached it
    with pytest.raises(SchemaRegistryError):
        client.get_schema(999_999)
    assert http("GET", f"{registry}/no/such/thing")[0] == 404

    samples = scrape(registry)
    requests = "registry_http_requests_total"
    assert value(samples, requests, route="/subjects/{subject}/versions", method="POST", status="200") == 2
    assert value(samples, requests, route="/schemas/ids/{id}", method="GET", status="200") == 1
    assert value(samples, requests, route="/schemas/ids/{id}", method="GET", status="404") == 1
    assert value(samples, requests, route="unmatched", method="GET", status="404") == 1
    assert not any(name == requests and ("route", "/no/such/thing") in labels for name, labels in samples)
    duration = "registry_http_request_duration_seconds"
    route = {"route": "/subjects/{subject}/versions", "method": "POST"}
    assert value(samples, duration + "_count", **route) == 2
    assert value(samples, duration + "_bucket", le="+Inf", **route) == 2
    assert value(samples, duration + "_sum", **route) > 0


def test_schema_and_subject_gauges_follow_registrations_and_deletions(registry: str) -> None:
    client = SchemaRegistryClient({"url": registry})
    for subject in ("gauged-1", "gauged-2", "gauged-3"):
        client.register_schema(subject, avro(("id", "string"), (subject.replace("-", "_"), "int")))
    client.register_schema("gauged-4", avro(("id", "string"), ("gauged_1", "int")))  # the same schema: no new id
    client.delete_subject("gauged-2")
    known_ids = {client.get_latest_version(s).schema_id for s in client.get_subjects()}

    samples = scrape(registry)
    assert value(samples, "registry_subjects") == len(client.get_subjects())
    assert value(samples, "registry_schemas") == len(known_ids) + 1, "the deleted subject's schema id is still known"
    assert value(samples, "registry_is_primary") == 1
    assert value(samples, "registry_primary_known") == 1
    assert value(samples, "registry_reader_lag_records") == 0


def test_compatibility_judgments_are_counted_by_type_and_outcome(registry: str) -> None:
    client = SchemaRegistryClient({"url": registry})
    subject = "judged"
    client.set_compatibility(subject, "BACKWARD")
    client.register_schema(subject, avro(("id", "string")))  # a first version: nothing to judge against
    before = scrape(registry)

    breaking = avro(("id", "string"), ("required", "int"))
    assert client.test_compatibility(subject, breaking) is False
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, breaking)
    assert refused.value.http_status_code == 409
    client.register_schema(subject, Schema(json.dumps({"type": "record", "name": "Metered", "fields": [
        {"name": "id", "type": "string"}, {"name": "note", "type": "string", "default": ""}]}), "AVRO"))  # fmt: skip
    with pytest.raises(SchemaRegistryError):
        client.test_compatibility(subject, Schema('{"type": "record", "name": "Broken"}', "AVRO"))

    after = scrape(registry)
    checks = "registry_compatibility_checks_total"

    def counted(outcome: str) -> float:
        return value(after, checks, schema_type="AVRO", outcome=outcome) - value(before, checks, schema_type="AVRO", outcome=outcome)

    assert (counted("incompatible"), counted("compatible"), counted("error")) == (2, 1, 1)
    assert value(after, checks, schema_type="PROTOBUF", outcome="compatible") == 0


def test_the_follower_reports_itself_and_counts_the_writes_it_forwards(pair) -> None:
    primary, follower = pair if pair[0].says_primary else pair[::-1]
    client = SchemaRegistryClient({"url": follower.url})
    client.register_schema("forwarded", avro(("id", "string")))
    status, body = http("POST", f"{follower.url}/subjects/forwarded/versions", {"schema": "not json"})
    assert status == 422, body

    on_follower, on_primary = scrape(follower.url), scrape(primary.url)
    assert (value(on_primary, "registry_is_primary"), value(on_follower, "registry_is_primary")) == (1, 0)
    assert value(on_follower, "registry_primary_known") == 1
    forwarded = "registry_forwarded_writes_total"
    assert value(on_follower, forwarded, status="200") == 1
    assert value(on_follower, forwarded, status="422") == 1
    assert not any(name == forwarded for name, _ in on_primary)
    assert value(on_primary, "registry_http_requests_total", route="/subjects/{subject}/versions", method="POST",
                 status="200") == 1
    assert value(on_follower, "registry_subjects") == value(on_primary, "registry_subjects") == 1
