"""A Protobuf subject in the steward console, in real headless Chromium: governed in schemas/ as a
`.proto` file importing another subject's, registered in our registry in two versions, and read
downstream by a declared job. Its page shows the `.proto` text, the fields with their numbers and
types and the diff between versions; the overview, /subjects and the lineage graph list it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient

from console.test_pages import Console, browser, visit  # noqa: F401  (browser: the fixture)
from console_helpers import Topic, diff_1_to_2, open_topic_node_after_listings, open_version_1, rows, write_loader_job
from governance.kafka import KafkaSettings

FIXTURE = Path(__file__).parents[1] / "lineage" / "protobuf_project" / "schemas"
ADDRESS = (FIXTURE / "shipping-address.proto").read_text()
VERSION_2 = (FIXTURE / "shipments-value.proto").read_text()
VERSION_1 = VERSION_2.replace("  repeated string labels = 10;\n", "").replace("  int32 parcels = 5;\n",
                                                                              "  uint32 parcels = 5;\n  string note = 11;\n")
"""Version 2 adds `labels`, removes `note` and makes `parcels` int32 (wire-compatible: BACKWARD holds)."""


@pytest.fixture(scope="module")
def shipments(kafka: KafkaSettings, registry_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topic]:
    name = f"shipments-{time.time_ns() % 10**8}"
    project = tmp_path_factory.mktemp("protobuf-console")
    (project / "schemas").mkdir()
    (project / "schemas" / f"{name}-value.proto").write_text(VERSION_2)
    (project / "schemas" / f"{name}-address.proto").write_text(ADDRESS)
    (project / "schemas" / "subjects.yml").write_text(
        f"{name}-value:\n  references:\n    - name: shipping/address.proto\n      subject: {name}-address\n")
    write_loader_job(project, name, "warehouse.public.shipments")
    client = SchemaRegistryClient({"url": registry_url})
    client.register_schema(f"{name}-address", Schema(ADDRESS, "PROTOBUF"))
    reference = [SchemaReference("shipping/address.proto", f"{name}-address", 1)]
    client.register_schema(f"{name}-value", Schema(VERSION_1, "PROTOBUF", reference))
    client.register_schema(f"{name}-value", Schema(VERSION_2, "PROTOBUF", reference))
    console = Console(project, kafka, registry_url)
    yield Topic(name, console)
    console.stop()


def test_a_protobuf_subject_page_shows_its_proto_text_and_fields_with_numbers_and_types(
        shipments: Topic, browser: object) -> None:
    assert visit(browser, f"{shipments.console.url}/subjects/{shipments.subject}", "protobuf-subject") == []
    assert browser.find_element("tag name", "h1").text == shipments.subject  # type: ignore[attr-defined]
    schema = browser.find_element("id", "schema").text  # type: ignore[attr-defined]
    assert 'import "shipping/address.proto";' in schema and "message Shipment {" in schema
    assert "oneof tracking {" in schema and "repeated string labels = 10;" in schema
    shown = rows(browser)
    assert shown[0] == "field number type"
    assert shown[1:] == ["shipment_id 1 string", "order_id 2 string", "destination.street 3.1 string",
                         "destination.city 3.2 string", "destination.zip 3.3 string", "destination.country 3.4 string",
                         "shipped_at 4 google.protobuf.Timestamp", "parcels 5 int32", "weight_kg 6 double",
                         "carrier 7 logistics.Shipment.Carrier", "tracking_number 8 string", "pickup_code 9 string",
                         "labels 10 repeated string"]
    assert "topic " + shipments.name in browser.find_element("id", "ownership").text  # type: ignore[attr-defined]


def test_the_version_picker_and_the_diff_between_two_versions_of_a_protobuf_subject(
        shipments: Topic, browser: object) -> None:
    open_version_1(browser, shipments, "protobuf-subject")
    assert "parcels 5 uint32" in rows(browser) and "note 11 string" in rows(browser)
    assert not any(r.startswith("labels") for r in rows(browser))
    diff = diff_1_to_2(browser, "protobuf-subject")
    assert sorted(diff) == sorted([
        "~ field `parcels` (number 5) of message `logistics.Shipment` changed type from uint32 to int32 (wire-compatible)",
        "+ field `labels` (number 10) of message `logistics.Shipment` was added",
        "- field `note` (number 11) of message `logistics.Shipment` was removed"])


def test_a_protobuf_subject_is_on_the_overview_in_subjects_and_in_the_lineage_graph(
        shipments: Topic, browser: object) -> None:
    open_topic_node_after_listings(browser, shipments, "warehouse.public.shipments", "protobuf")
    assert "message Shipment {" in browser.find_element("id", "node-schema").text  # type: ignore[attr-defined]
