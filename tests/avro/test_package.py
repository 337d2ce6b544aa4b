"""governance.avro is pure standard library and cheap to import: the CLI and the registry load it on every start."""

from __future__ import annotations

import subprocess
import sys

import pytest

from governance.avro import InvalidSchemaError, parse_schema


def test_importing_pulls_in_no_heavy_packages() -> None:
    probe = (
        "import sys, governance.avro; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('avro', 'fastavro', 'pandas', 'confluent_kafka')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_public_names() -> None:
    import governance.avro

    assert set(governance.avro.__all__) == {
        "Finding", "InvalidSchemaError", "Level", "ParsedSchema", "check_compatibility", "parse_schema",
        "reader_writer_findings",
    }


def test_absurdly_deep_nesting_is_an_invalid_schema_not_a_crash() -> None:
    depth = 2 * sys.getrecursionlimit()  # a library may raise the limit (cel-python sets 2500)
    text = '{"type": "array", "items": ' * depth + '"int"' + "}" * depth
    with pytest.raises(InvalidSchemaError, match="nested too deeply"):
        parse_schema(text)


def test_parsing_is_cached_by_text() -> None:
    text = '{"type": "record", "name": "Cached", "fields": []}'
    assert parse_schema(text) is parse_schema(text)
