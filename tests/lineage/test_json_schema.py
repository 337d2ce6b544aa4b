"""JSON Schema topics in DataHub's model and in the terminal, proven with DataHub's own code: a golden MCP
file, the schema DataHub's own Kafka source makes of the same subject in our registry, `datahub check
metadata-file`, DataHub Lite, and the registry's subjects (a `$ref` to another subject by reference name)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.ingestion.sink.file import write_metadata_file
from datahub.testing.mce_helpers import check_golden_file

from governance.formats import format_for
from lineage_helpers import (
    aspects, emit_passing_datahubs_check, emit_with_registry_subjects, estate_mcps, governance, kafka_aspect,
    renamed_project)
from lineage.test_lite import get, home, lite  # noqa: F401  (home: the fixture)

PROJECT = Path(__file__).parent / "json_schema_project"
GOLDEN = Path(__file__).parent / "golden"
PAYMENT = (PROJECT / "schemas" / "payments-value.json").read_text()
ADDRESS = (PROJECT / "schemas" / "customer-address.json").read_text()
REFS = {"customer-address.json": ADDRESS}
ROOT = "[version=2.0].[type=Payment]"
LEAVES = ("payment_id", "order_id", "amount", "currency", "card.holder", "card.last4", "billing_address.street",
          "billing_address.city", "billing_address.zip", "billing_address.country", "items", "note")


def short(urn: str) -> str:
    """A schemaField URN's field path."""
    return urn.split(",PROD),", 1)[1][:-1]


@pytest.fixture(scope="module")
def mcps() -> list[MetadataChangeProposalWrapper]:
    return estate_mcps(PROJECT)


def test_the_json_schema_estate_matches_the_golden_file(pytestconfig: pytest.Config, tmp_path: Path,
                                                        mcps: list[MetadataChangeProposalWrapper]) -> None:
    output = tmp_path / "json_schema.json"
    write_metadata_file(output, mcps)
    check_golden_file(pytestconfig, output, GOLDEN / "json_schema.json")


def test_a_json_schema_topic_carries_its_text_datahubs_fields_and_the_flows_owners_and_tags(
        mcps: list[MetadataChangeProposalWrapper]) -> None:
    for topic_name in ("payments", "payments-valid"):
        (schema,) = aspects(mcps, f"kafka,{topic_name},", "schemaMetadata")
        assert schema.schemaName == "payments-value"
        assert (schema.platformSchema.documentSchemaType, schema.platformSchema.documentSchema) == ("JSON", PAYMENT)
        fields = {f.fieldPath: f for f in schema.fields}
        assert fields[f"{ROOT}.[type=Address].billing_address.[type=string].country"].nativeDataType == "string"
        assert fields[f"{ROOT}.[type=array].items.[type=object].object.[type=integer].quantity"].nativeDataType == "integer"
        assert fields[f"{ROOT}.[type=string].note"].nullable
        tagged = {p: [t.tag for t in f.globalTags.tags] for p, f in fields.items() if f.globalTags}
        assert tagged == {f"{ROOT}.[type=object].card.[type=string].holder": ["urn:li:tag:PII"],
                          f"{ROOT}.[type=Address].billing_address.[type=string].zip": ["urn:li:tag:PII"]}
    (props,) = aspects(mcps, "kafka,payments,", "datasetProperties")
    assert props.description == "A card payment taken at checkout."
    assert (props.customProperties["subject"], props.customProperties["compatibility"]) == (
        "payments-value", "BACKWARD_TRANSITIVE")
    (owners,) = aspects(mcps, "kafka,payments,", "ownership")
    assert [o.owner for o in owners.owners] == ["urn:li:corpGroup:payments-team"]
    (tags,) = aspects(mcps, "kafka,payments,", "globalTags")
    assert [t.tag for t in tags.tags] == ["urn:li:tag:payments"]


def test_rules_and_field_lineage_name_the_v2_paths_through_nesting_and_a_ref(
        mcps: list[MetadataChangeProposalWrapper]) -> None:
    (schema,) = aspects(mcps, "kafka,payments,", "schemaMetadata")
    paths = {f.fieldPath for f in schema.fields}
    fields = {short(a.customAssertion.field) for a in aspects(mcps, "assertion:", "assertionInfo")}
    assert fields == {f"{ROOT}.[type=string].payment_id", f"{ROOT}.[type=number].amount",
                      f"{ROOT}.[type=Address].billing_address.[type=string].country",
                      f"{ROOT}.[type=object].card.[type=string].last4"}
    assert fields <= paths
    (valid,) = aspects(mcps, "kafka,payments-valid,", "upstreamLineage")
    flows = [(short(f.upstreams[0]), short(f.downstreams[0])) for f in valid.fineGrainedLineages]
    assert len(flows) == len(LEAVES) and all(up == down and up in paths for up, down in flows)
    assert (f"{ROOT}.[type=array].items",) * 2 in flows


def test_columns_map_to_the_field_holding_them_never_to_one_inside_an_array() -> None:
    js = format_for("JSON")
    text = json.dumps({"title": "T", "type": "object", "properties": {
        "bill": {"anyOf": [{"$ref": "customer-address.json"}, {"type": "null"}]},
        "pay": {"oneOf": [{"type": "object", "properties": {"iban": {"type": "string"}}},
                          {"type": "object", "properties": {"pan": {"type": "string"}}}]},
        "lines": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
        "items": {"type": "object", "properties": {"object": {"type": "object", "properties": {"sku": {"type": "string"}}}}}}})
    fields = js.datahub_fields(text, REFS)
    columns = js.datahub_columns(text, fields, REFS)
    assert set(js.columns(text, REFS).values) <= set(columns)
    assert columns["bill"] == "[version=2.0].[type=T].[type=union].bill"
    assert columns["bill.zip"] == "[version=2.0].[type=T].[type=union].[type=Address].bill.[type=string].zip"
    assert columns["pay.pan"] == "[version=2.0].[type=T].[type=union].[type=union_1].pay.[type=string].pan"
    assert columns["lines"] == "[version=2.0].[type=T].[type=array].lines"
    assert columns["items.object.sku"] == "[version=2.0].[type=T].[type=object].items.[type=object].object.[type=string].sku"
    assert not any(c.startswith("lines.") for c in columns), "DataHub's name for an array's items is no column"


def test_emitted_json_schema_estate_passes_datahubs_check_and_imports_into_lite(
        tmp_path: Path, home: dict[str, str]) -> None:  # noqa: F811
    output = emit_passing_datahubs_check(PROJECT, tmp_path)
    lite(home, "import", "--file", str(output))
    schema = get(home, "urn:li:dataset:(urn:li:dataPlatform:kafka,payments,PROD)", "schemaMetadata")
    assert schema["platformSchema"]["com.linkedin.schema.KafkaSchema"] == {"documentSchema": PAYMENT,
                                                                           "documentSchemaType": "JSON"}
    assert f"{ROOT}.[type=Address].billing_address.[type=string].zip" in [f["fieldPath"] for f in schema["fields"]]
    upstream = get(home, "urn:li:dataset:(urn:li:dataPlatform:kafka,payments-valid,PROD)", "upstreamLineage")
    assert len(upstream["fineGrainedLineages"]) == len(LEAVES)


def test_show_and_impact_list_a_json_schema_subject_like_an_avro_one(tmp_path: Path) -> None:
    shown = governance("lineage", "show", "payments", "--project", str(PROJECT), home=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        "kafka:payments  [payments-value]",
        "  upstream: nothing known",
        "  downstream:",
        "    -> kafka:payments-valid  [payments-value]  via sentinel payments (4 rules)",
        "      -> postgres:warehouse.public.payments  via airflow warehouse/payments-loader",
        "    -> kafka:payments-dlq  via sentinel payments (4 rules)"]
    impact = governance("lineage", "impact", "payments-value", "--project", str(PROJECT), home=tmp_path)
    assert impact.returncode == 0, impact.stderr
    assert impact.stdout.splitlines()[:4] == [
        "payments-value is the value schema of kafka:payments",
        "  sentinel payments (4 rules) -> kafka:payments-valid  [payments-value]",
        "    airflow warehouse/payments-loader -> postgres:warehouse.public.payments",
        "  sentinel payments (4 rules) -> kafka:payments-dlq"]


def datahubs_kafka_source(registry_url: str, topic_name: str) -> object:
    """The SchemaMetadata DataHub's own Kafka source (its Confluent schema registry reader) makes of a topic."""
    from datahub.ingestion.source.confluent_schema_registry import ConfluentSchemaRegistry
    from datahub.ingestion.source.kafka.kafka import KafkaSourceConfig, KafkaSourceReport

    config = KafkaSourceConfig.model_validate({"connection": {"bootstrap": "localhost:9", "schema_registry_url": registry_url}})
    return ConfluentSchemaRegistry(config, KafkaSourceReport()).get_schema_metadata(
        topic_name, "urn:li:dataPlatform:kafka", is_subject=False)


def test_registered_json_schema_subjects_reach_datahub_as_datahubs_kafka_source_reads_them(
        registry_url: str, tmp_path: Path) -> None:
    """The governed subject registered with a `$ref` to another subject by reference name, a registry-only
    one too: ids and versions, the registry's text, and the fields DataHub's own Kafka source makes."""
    name = f"pay{uuid.uuid4().hex[:8]}"
    project = renamed_project(PROJECT, tmp_path, "payments", name)
    client = SchemaRegistryClient({"url": registry_url})
    client.register_schema(f"{name}-address", Schema(ADDRESS, "JSON"))
    reference = [SchemaReference("customer-address.json", f"{name}-address", 1)]
    governed_id = client.register_schema(f"{name}-value", Schema(PAYMENT, "JSON", reference))
    client.register_schema(f"{name}-other-value", Schema(PAYMENT, "JSON", reference))
    records = emit_with_registry_subjects(project, registry_url, tmp_path)
    props = kafka_aspect(records, name, "datasetProperties")["customProperties"]
    assert (props["schema_id"], props["schema_version"]) == (str(governed_id), "1")
    stored = client.get_latest_version(f"{name}-value").schema.schema_str
    for topic_name in (name, f"{name}-other"):
        ours = kafka_aspect(records, topic_name, "schemaMetadata")
        theirs = datahubs_kafka_source(registry_url, topic_name)
        assert ours["platformSchema"]["com.linkedin.schema.KafkaSchema"] == {
            "documentSchema": stored, "documentSchemaType": "JSON"} == {
            "documentSchema": theirs.platformSchema.documentSchema, "documentSchemaType": "JSON"}, topic_name
        assert [(f["fieldPath"], f["nativeDataType"], f["nullable"]) for f in ours["fields"]] == [
            (f.fieldPath, f.nativeDataType, f.nullable) for f in theirs.fields], topic_name
