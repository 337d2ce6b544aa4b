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
