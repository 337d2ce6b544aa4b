"""Importing the JSON Schema domain costs nothing: no validator library loads until it is used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_is_standard_library_only() -> None:
    code = ("import sys, governance.json_schema as js; js.parse_schema; js.check_compatibility; js.field_paths; "
            "js.decode_body; print(sorted(m for m in ('jsonschema', 'jsonschema_rs', 'fastjsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_module_is_under_500_lines() -> None:
    for module in (ROOT / "governance" / "json_schema").glob("*.py"):
        assert len(module.read_text().splitlines()) < 500, module.name


def test_a_missing_validator_library_is_named_in_one_line() -> None:
    code = ("import sys; sys.modules['jsonschema'] = None; sys.modules['jsonschema_rs'] = None\n"
            "from governance.json_schema import parse_schema\n"
            "from governance.errors import GovernanceError\n"
            "try:\n    parse_schema('{}')\nexcept GovernanceError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ("checking a JSON Schema against its draft needs the Python package jsonschema>=4.18, "
                                  "which is not installed: pip install 'jsonschema>=4.18'")
