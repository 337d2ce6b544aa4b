"""A JSON Schema subject in the steward console, in real headless Chromium: governed in schemas/ as a `.json`
file whose `$ref` names another subject's file, registered in our registry in two versions, and read
downstream by a declared job. Its page shows the schema pretty-printed, the properties with their types,
required-ness and `confluent:tags`, and the diff between versions; the overview, /subjects and the lineage
graph list it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient

from console.test_pages import Console, browser, visit  # noqa: F401  (browser: the fixture)
from console_helpers import Topic, diff_1_to_2, open_topic_node_after_listings, open_version_1, rows, write_loader_job
from governance.kafka import KafkaSettings

FIXTURE = Path(__file__).parents[1] / "lineage" / "json_schema_project" / "schemas"
ADDRESS = (FIXTURE / "customer-address.json").read_text()
VERSION_2 = (FIXTURE / "payments-value.json").read_text()


def version_1() -> str:
    """Version 2 adds the optional `note` and lets `amount` reach 0 (`exclusiveMinimum` -> `minimum`): both widen,
    and the model is open, so only LENIENT would take the first; the subject's level is NONE."""
    doc = json.loads(VERSION_2)
    del doc["properties"]["note"]
    doc["properties"]["amount"] = {"type": "number", "exclusiveMinimum": 0}
    return json.dumps(doc, indent=2)


@pytest.fixture(scope="module")
def payments(kafka: KafkaSettings, registry_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topic]:
    name = f"payments-{time.time_ns() % 10**8}"
    project = tmp_path_factory.mktemp("json-schema-console")
    (project / "schemas").mkdir()
    (project / "schemas" / f"{name}-value.json").write_text(VERSION_2.replace("customer-address.json", f"{name}-address.json"))
    (project / "schemas" / f"{name}-address.json").write_text(ADDRESS)
    write_loader_job(project, name, "warehouse.public.payments", "owners: [payments-team]\n")
    client = SchemaRegistryClient({"url": registry_url})
    client.register_schema(f"{name}-address", Schema(ADDRESS, "JSON"))
    client.set_compatibility(f"{name}-value", "NONE")
    reference = [SchemaReference("customer-address.json", f"{name}-address", 1)]
    client.register_schema(f"{name}-value", Schema(version_1(), "JSON", reference))
    client.register_schema(f"{name}-value", Schema(VERSION_2, "JSON", reference))
    console = Console(project, kafka, registry_url)
    yield Topic(name, console)
    console.stop()


def test_a_json_schema_subject_page_shows_the_schema_and_its_properties_types_required_ness_and_tags(
        payments: Topic, browser: object) -> None:
    assert visit(browser, f"{payments.console.url}/subjects/{payments.subject}", "json-schema-subject") == []
    assert browser.find_element("tag name", "h1").text == payments.subject  # type: ignore[attr-defined]
    schema = browser.find_element("id", "schema").text  # type: ignore[attr-defined]
    assert json.loads(schema) == json.loads(VERSION_2)
    assert '  "title": "Payment",' in schema.splitlines(), "laid out two spaces deep"
    assert '"$ref": "customer-address.json"' in schema
    assert rows(browser) == [  # in the order of the registry's (canonical) text
        "field type required", "amount number required", "billing_address.city string required in billing_address",
        "billing_address.country string required in billing_address", "billing_address.street string",
        "billing_address.zip string PII", "card.holder string PII", "card.last4 string required in card",
        "currency enum required", "items array<object>", "note string | null", "order_id string required",
        "payment_id string required"]
    assert "topic " + payments.name in browser.find_element("id", "ownership").text  # type: ignore[attr-defined]


def test_the_version_picker_and_the_diff_between_two_versions_of_a_json_schema_subject(
        payments: Topic, browser: object) -> None:
    open_version_1(browser, payments, "json-schema-subject")
    assert '"exclusiveMinimum": 0' in browser.find_element("id", "schema").text  # type: ignore[attr-defined]
    assert not any(r.startswith("note") for r in rows(browser))
    diff = diff_1_to_2(browser, "json-schema-subject")
    assert diff == [
        "+ property `amount` (#/properties/amount/minimum): minimum added (none -> 0)",
        "- property `amount` (#/properties/amount/exclusiveMinimum): exclusive minimum removed (0 -> none)",
        "+ property `note` (#/properties/note): optional property added to open content model"]


def test_a_json_schema_subject_is_on_the_overview_in_subjects_and_in_the_lineage_graph(
        payments: Topic, browser: object) -> None:
    open_topic_node_after_listings(browser, payments, "warehouse.public.payments", "json-schema")
    assert '"title": "Payment"' in browser.find_element("id", "node-schema").text  # type: ignore[attr-defined]
