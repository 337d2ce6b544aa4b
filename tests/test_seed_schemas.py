"""The seed schemas in schemas/ are valid Avro and say what the docs say they say."""

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


def test_seed_has_the_three_example_subjects() -> None:
    assert {p.stem for p in SCHEMAS.glob("*.avsc")} >= {"user-activity-value", "transactions-value", "orders-value"}


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
    assert result.stdout.startswith("OK: 3 subject(s)")
