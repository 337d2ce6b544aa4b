"""Protobuf topics in DataHub's model and in the terminal, proven with DataHub's own code: a golden
MCP file, the fields DataHub's own Kafka source makes for a `.proto` subject, `datahub check
metadata-file`, and the registry's subjects (imports by reference, a descriptor as confluent-kafka's
serializer registers it)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.ingestion.extractor.protobuf_util import ProtobufSchema, protobuf_schema_to_mce_fields
from datahub.ingestion.sink.file import write_metadata_file
from datahub.testing.mce_helpers import check_golden_file

from governance.formats import format_for
from lineage_helpers import (
    aspects, emit_passing_datahubs_check, emit_with_registry_subjects, estate_mcps, governance, kafka_aspect,
    renamed_project)

PROJECT = Path(__file__).parent / "protobuf_project"
GOLDEN = Path(__file__).parent / "golden"
SHIPMENT = (PROJECT / "schemas" / "shipments-value.proto").read_text()
ADDRESS = (PROJECT / "schemas" / "shipping-address.proto").read_text()
COLUMNS = ("shipment_id", "order_id", "destination.street", "destination.city", "destination.zip",
           "destination.country", "shipped_at", "parcels", "weight_kg", "carrier", "tracking_number", "pickup_code",
           "labels")


def datahubs_own_fields(text: str, topic_name: str) -> list:
    """What DataHub's Kafka source (confluent_schema_registry.py) makes of the subject: the file named
    `<topic>-value.proto`, each reference a ProtobufSchema of its import path. (Called once per text in a
    process: it compiles into the process's descriptor pool, where a message defined twice gets no fields.)"""
    return protobuf_schema_to_mce_fields(ProtobufSchema(f"{topic_name}-value.proto", text),
                                         [ProtobufSchema("shipping/address.proto", ADDRESS)])


@pytest.fixture(scope="module")
def mcps() -> list[MetadataChangeProposalWrapper]:
    return estate_mcps(PROJECT)


def test_the_protobuf_estate_matches_the_golden_file(pytestconfig: pytest.Config, tmp_path: Path,
                                                     mcps: list[MetadataChangeProposalWrapper]) -> None:
    output = tmp_path / "protobuf.json"
    write_metadata_file(output, mcps)
    check_golden_file(pytestconfig, output, GOLDEN / "protobuf.json")


def test_a_protobuf_topic_carries_its_proto_text_and_the_fields_datahubs_kafka_source_makes(
        mcps: list[MetadataChangeProposalWrapper]) -> None:
    for topic_name in ("shipments", "shipments-valid"):
        (schema,) = aspects(mcps, f"kafka,{topic_name},", "schemaMetadata")
        assert schema.schemaName == "shipments-value"
        assert schema.platformSchema.documentSchemaType == "PROTOBUF"
        assert schema.platformSchema.documentSchema == SHIPMENT
        ours = [(f.fieldPath, f.nativeDataType, type(f.type.type).__name__, f.nullable) for f in schema.fields]
        theirs = [(f.fieldPath, f.nativeDataType, type(f.type.type).__name__, f.nullable)
                  for f in datahubs_own_fields(SHIPMENT, "shipments")]
        assert ours == theirs and len(ours) == 17
    (props,) = aspects(mcps, "kafka,shipments,", "datasetProperties")
    assert (props.customProperties["subject"], props.customProperties["compatibility"]) == ("shipments-value", "FULL")
    (owners,) = aspects(mcps, "kafka,shipments,", "ownership")
    assert [o.owner for o in owners.owners] == ["urn:li:corpGroup:logistics-team"]
    (tags,) = aspects(mcps, "kafka,shipments,", "globalTags")
    assert [t.tag for t in tags.tags] == ["urn:li:tag:logistics"]


def test_rules_and_field_lineage_name_fields_of_the_topics_schema_a_oneofs_member_too(
        mcps: list[MetadataChangeProposalWrapper]) -> None:
    (schema,) = aspects(mcps, "kafka,shipments,", "schemaMetadata")
    paths = {f.fieldPath for f in schema.fields}
    fields = {a.customAssertion.field.split(",PROD),", 1)[1].rstrip(")") for a in aspects(mcps, "assertion:", "assertionInfo")}
    assert fields == {"[version=2.0].[type=logistics_Shipment].[type=union].tracking.[type=string].tracking_number",
                      "[version=2.0].[type=logistics_Shipment].[type=int].parcels",
                      "[version=2.0].[type=logistics_Shipment].[type=shipping_Address].destination.[type=string].country"}
    assert fields <= paths
    (valid,) = aspects(mcps, "kafka,shipments-valid,", "upstreamLineage")
    flows = [(f.upstreams[0].split(",PROD),", 1)[1][:-1], f.downstreams[0].split(",PROD),", 1)[1][:-1])
             for f in valid.fineGrainedLineages]
    assert len(flows) == len(COLUMNS) and all(up == down and up in paths for up, down in flows)


def test_columns_map_to_datahubs_paths_in_the_files_first_message_whatever_else_the_file_holds() -> None:
    proto = format_for("PROTOBUF")
    text = SHIPMENT + "\nmessage Audit {\n  string shipment_id = 1;\n  optional int64 at = 2;\n}\n"
    refs = {"shipping/address.proto": ADDRESS}
    found = proto.datahub_fields(text, refs)
    audit = "[version=2.0].[type=logistics_Audit].Audit"
    assert [f.fieldPath for f in found if f.fieldPath.startswith(audit)] == [
        audit, f"{audit}.[type=string].shipment_id", f"{audit}.[type=union]._at", f"{audit}.[type=union]._at.[type=long].at"]
    assert not any(f.fieldPath.startswith(audit) for f in proto.datahub_fields(SHIPMENT, refs)), "each file its own fields"
    columns = proto.datahub_columns(text, found, refs)
    assert set(COLUMNS) <= set(columns) and all("[type=logistics_Shipment].Shipment." in p for p in columns.values())
    assert columns["shipment_id"] == "[version=2.0].[type=logistics_Shipment].Shipment.[type=string].shipment_id"
    assert columns["tracking_number"].endswith(".Shipment.[type=union].tracking.[type=string].tracking_number")
    audit = proto.datahub_columns(text.replace("message Shipment", "message Zeta").replace("message Audit", "message Shipment"),
                                  found, refs)
    assert audit == {}, "paths of another first message are not this file's"


def test_emitted_protobuf_estate_passes_datahubs_check(tmp_path: Path) -> None:
    output = emit_passing_datahubs_check(PROJECT, tmp_path)


def test_show_and_impact_list_a_protobuf_subject_like_an_avro_one(tmp_path: Path) -> None:
    shown = governance("lineage", "show", "shipments", "--project", str(PROJECT), home=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        "kafka:shipments  [shipments-value]",
        "  upstream: nothing known",
        "  downstream:",
        "    -> kafka:shipments-valid  [shipments-value]  via sentinel shipments (3 rules)",
        "      -> postgres:warehouse.public.shipments  via airflow warehouse/shipments-loader",
        "    -> kafka:shipments-dlq  via sentinel shipments (3 rules)"]
    impact = governance("lineage", "impact", "shipments-value", "--project", str(PROJECT), home=tmp_path)
    assert impact.returncode == 0, impact.stderr
    assert impact.stdout.splitlines()[:4] == [
        "shipments-value is the value schema of kafka:shipments",
        "  sentinel shipments (3 rules) -> kafka:shipments-valid  [shipments-value]",
        "    airflow warehouse/shipments-loader -> postgres:warehouse.public.shipments",
        "  sentinel shipments (3 rules) -> kafka:shipments-dlq"]


def test_registered_protobuf_subjects_reach_datahub_with_their_ids_and_imports(registry_url: str, tmp_path: Path) -> None:
    """The governed subject registered as text importing another subject; a registry-only one as the
    base64 descriptor confluent-kafka's ProtobufSerializer registers."""
    name = f"ship{uuid.uuid4().hex[:8]}"
    project = renamed_project(PROJECT, tmp_path, "shipments", name)
    client = SchemaRegistryClient({"url": registry_url})
    client.register_schema(f"{name}-address", Schema(ADDRESS, "PROTOBUF"))
    reference = [SchemaReference("shipping/address.proto", f"{name}-address", 1)]
    governed_id = client.register_schema(f"{name}-value", Schema(SHIPMENT, "PROTOBUF", reference))
    descriptor = format_for("PROTOBUF").parse(SHIPMENT, {"shipping/address.proto": ADDRESS}).serialized()
    client.register_schema(f"{name}-other-value", Schema(descriptor, "PROTOBUF", reference))
    records = emit_with_registry_subjects(project, registry_url, tmp_path)
    props = kafka_aspect(records, name, "datasetProperties")["customProperties"]
    assert (props["schema_id"], props["schema_version"]) == (str(governed_id), "1")
    printed = format_for("PROTOBUF").parse(SHIPMENT, {"shipping/address.proto": ADDRESS}).canonical
    assert client.get_latest_version(f"{name}-value").schema.schema_str == printed, "the registry's text, as stored"
    for topic_name, document in ((name, printed), (f"{name}-other", printed)):
        schema = kafka_aspect(records, topic_name, "schemaMetadata")
        assert schema["platformSchema"]["com.linkedin.schema.KafkaSchema"] == {
            "documentSchema": document, "documentSchemaType": "PROTOBUF"}, topic_name
        assert [f["fieldPath"] for f in schema["fields"]] == [
            f.fieldPath for f in datahubs_own_fields(SHIPMENT, "shipments")], topic_name
