"""The seed schemas in schemas/ are valid Avro, Protobuf or JSON Schema and say what the docs say they say."""

from __future__ import annotations

import io
import json
from pathlib import Path

import fastavro
import pytest

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.avsc")), ids=lambda p: p.name)
def test_seed_schema_parses_as_avro(path: Path) -> None:
    fastavro.parse_schema(json.loads(path.read_text()))


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.proto")), ids=lambda p: p.name)
def test_seed_schema_compiles_as_protobuf(path: Path) -> None:
    from governance.protobuf import parse_schema

    parse_schema(path.read_text(), path.name)


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.json")), ids=lambda p: p.name)
def test_seed_schema_is_a_json_schema_its_draft_accepts(path: Path) -> None:
    from governance.formats import format_for

    format_for("JSON").parse(path.read_text())


def test_seed_has_the_five_example_subjects() -> None:
    assert {p.stem for p in SCHEMAS.glob("*.avsc")} >= {"user-activity-value", "transactions-value", "orders-value"}
    assert {p.stem for p in SCHEMAS.glob("*.proto")} >= {"shipments-value"}
    assert {p.stem for p in SCHEMAS.glob("*.json")} >= {"returns-value"}


def test_shipments_is_protobuf_with_a_well_known_type_and_every_column_its_pipeline_names() -> None:
    from governance.protobuf import field_paths, find_message, parse_schema
    from governance.sentinel.pipeline import load_pipeline

    schema = parse_schema((SCHEMAS / "shipments-value.proto").read_text(), "shipments-value.proto")
    shipment = find_message(schema)
    assert shipment.full_name == "com.example.logistics.Shipment"
    assert shipment.fields_by_name["shippedAt"].message_type.full_name == "google.protobuf.Timestamp"
    assert shipment.fields_by_name["trackingUrl"].has_presence, "optional: the warning rule's not_null reads absence"
    pipeline = load_pipeline(SCHEMAS.parent / "rules" / "shipments.yml", check_rules=False)
    assert (pipeline.value_format, pipeline.subject) == ("protobuf", "shipments-value")
    columns = {c for rule in pipeline.record_rules for c in rule.columns()}
    assert "parcel.weightGrams" in columns and columns <= set(field_paths(schema))


def test_returns_is_json_schema_with_a_ref_a_pii_tag_and_every_column_its_pipeline_names() -> None:
    from governance.formats import format_for
    from governance.sentinel.pipeline import load_pipeline

    text = (SCHEMAS / "returns-value.json").read_text()
    raw = json.loads(text)
    assert raw["properties"]["refund"] == {"$ref": "#/definitions/Money"}
    assert raw["properties"]["customer"]["properties"]["email"]["confluent:tags"] == ["PII"]
    tagged = [f.fieldPath for f in format_for("JSON").datahub_fields(text) if f.globalTags]
    assert [path.rsplit(".", 1)[-1] for path in tagged] == ["email"]
    pipeline = load_pipeline(SCHEMAS.parent / "rules" / "returns.yml", check_rules=False)
    assert (pipeline.value_format, pipeline.subject) == ("json_schema", "returns-value")
    columns = {c for rule in pipeline.record_rules for c in rule.columns()}
    assert {"refund.amountCents", "customer.email"} <= columns <= format_for("JSON").columns(text).values


def test_user_activity_defaults_page_views_to_one() -> None:
    schema = fastavro.parse_schema(json.loads((SCHEMAS / "user-activity-value.avsc").read_text()))
    fields = {f["name"]: f for f in schema["fields"]}
    assert set(fields) == {"userId", "eventTime", "action", "pageViewCount"}
    assert fields["eventTime"]["type"]["logicalType"] == "timestamp-millis"
    # A record written without pageViewCount reads back with the default.
    writer = {k: v for k, v in schema.items() if k != "fields"} | {
        "fields": [f for f in schema["fields"] if f["name"] != "pageViewCount"]
    }
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, writer, {"userId": "u1", "eventTime": 0, "action": "view"})
    buffer.seek(0)
    assert fastavro.schemaless_reader(buffer, writer, schema)["pageViewCount"] == 1


def test_seed_schemas_pass_the_gate_against_head() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "governance", "schemas", "check", "--against", "HEAD"],
                            cwd=SCHEMAS.parent, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: 5 subject(s)")
