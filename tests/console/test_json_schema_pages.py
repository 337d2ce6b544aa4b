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


class Payments:
    def __init__(self, name: str, console: Console) -> None:
        self.name, self.subject, self.console = name, f"{name}-value", console


@pytest.fixture(scope="module")
def payments(kafka: KafkaSettings, registry_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Payments]:
    name = f"payments-{time.time_ns() % 10**8}"
    project = tmp_path_factory.mktemp("json-schema-console")
    (project / "schemas").mkdir()
    (project / "schemas" / f"{name}-value.json").write_text(VERSION_2.replace("customer-address.json", f"{name}-address.json"))
    (project / "schemas" / f"{name}-address.json").write_text(ADDRESS)
    (project / "lineage").mkdir()
    (project / "lineage" / "warehouse.yml").write_text(
        f"owners: [payments-team]\njobs:\n  - name: loader\n    flow: warehouse\n    orchestrator: airflow\n"
        f"    inputs: [kafka:{name}]\n    outputs: [postgres:warehouse.public.payments]\n")
    client = SchemaRegistryClient({"url": registry_url})
    client.register_schema(f"{name}-address", Schema(ADDRESS, "JSON"))
    client.set_compatibility(f"{name}-value", "NONE")
    reference = [SchemaReference("customer-address.json", f"{name}-address", 1)]
    client.register_schema(f"{name}-value", Schema(version_1(), "JSON", reference))
    client.register_schema(f"{name}-value", Schema(VERSION_2, "JSON", reference))
    console = Console(project, kafka, registry_url)
    yield Payments(name, console)
    console.stop()


def rows(browser: object) -> list[str]:
    return [r.text for r in browser.find_elements("css selector", "#fields tr")]  # type: ignore[attr-defined]


def test_a_json_schema_subject_page_shows_the_schema_and_its_properties_types_required_ness_and_tags(
        payments: Payments, browser: object) -> None:
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
        payments: Payments, browser: object) -> None:
    from selenium.webdriver.support.ui import Select, WebDriverWait

    assert visit(browser, f"{payments.console.url}/subjects/{payments.subject}", "json-schema-subject-v2") == []
    browser.find_element("link text", "1").click()  # type: ignore[attr-defined]
    WebDriverWait(browser, 15).until(lambda b: "version=1" in b.current_url)  # type: ignore[arg-type]
    assert visit(browser, browser.current_url, "json-schema-subject-v1") == []  # type: ignore[attr-defined]
    assert browser.find_element("css selector", "h2").text.startswith("Version 1 ")  # type: ignore[attr-defined]
    assert '"exclusiveMinimum": 0' in browser.find_element("id", "schema").text  # type: ignore[attr-defined]
    assert not any(r.startswith("note") for r in rows(browser))
    Select(browser.find_element("name", "from")).select_by_visible_text("1")  # type: ignore[attr-defined]
    Select(browser.find_element("name", "to")).select_by_visible_text("2")  # type: ignore[attr-defined]
    browser.find_element("css selector", "form.inline button").click()  # type: ignore[attr-defined]
    WebDriverWait(browser, 15).until(lambda b: "to=2" in b.current_url)  # type: ignore[arg-type]
    assert visit(browser, browser.current_url, "json-schema-subject-diff") == []  # type: ignore[attr-defined]
    diff = browser.find_element("id", "diff").text.splitlines()  # type: ignore[attr-defined]
    assert diff == [
        "+ property `amount` (#/properties/amount/minimum): minimum added (none -> 0)",
        "- property `amount` (#/properties/amount/exclusiveMinimum): exclusive minimum removed (0 -> none)",
        "+ property `note` (#/properties/note): optional property added to open content model"]


def test_a_json_schema_subject_is_on_the_overview_in_subjects_and_in_the_lineage_graph(
        payments: Payments, browser: object) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    assert visit(browser, payments.console.url + "/", "json-schema-overview") == []
    governed = [r.text for r in browser.find_elements("css selector", "#governed-subjects tr")]  # type: ignore[attr-defined]
    assert f"{payments.subject} schemas/" in governed and f"{payments.name}-address schemas/" in governed
    assert visit(browser, f"{payments.console.url}/subjects?q={payments.name}", "json-schema-subjects") == []
    listed = [r.text for r in browser.find_elements("css selector", "#subjects tr.governed-subject")]  # type: ignore[attr-defined]
    assert listed == [f"{payments.name}-address schemas/", f"{payments.subject} schemas/"]
    assert visit(browser, payments.console.url + "/lineage", "json-schema-lineage") == []
    nodes = {n.get_attribute("data-id") for n in browser.find_elements("css selector", "a.node")}  # type: ignore[attr-defined]
    assert {f"kafka:{payments.name}", "postgres:warehouse.public.payments"} <= nodes
    browser.find_element("css selector", f'a.node[data-id="kafka:{payments.name}"]').click()  # type: ignore[attr-defined]
    WebDriverWait(browser, 15).until(lambda b: "node=" in b.current_url)  # type: ignore[arg-type]
    assert visit(browser, browser.current_url, "json-schema-lineage-topic") == []  # type: ignore[attr-defined]
    assert '"title": "Payment"' in browser.find_element("id", "node-schema").text  # type: ignore[attr-defined]
    assert browser.find_element("id", "node-subject").text == payments.subject  # type: ignore[attr-defined]
