"""bench/ is a package run as `python -m bench.<name>`: every module imports, every
benchmark answers --help, none puts anything on sys.path, and no two import each other.
The benchmarks themselves run only by hand (bench/README.md)."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = sorted(module_name(p) for p in BENCH.rglob("*.py"))
SCRIPTS = sorted(module_name(p) for p in BENCH.rglob("*.py") if 'if __name__ == "__main__":' in p.read_text())


@pytest.mark.parametrize("name", MODULES)
def test_every_bench_module_imports(name: str) -> None:
    importlib.import_module(name)


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_benchmark_runs_as_a_module_and_answers_help(name: str) -> None:
    done = subprocess.run([sys.executable, "-m", name, "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage: "), done.stdout[:500]
    assert "Traceback" not in done.stderr


def test_bench_puts_nothing_on_sys_path() -> None:
    offenders = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in sorted(BENCH.rglob("*.py"))
                 for n, line in enumerate(p.read_text().splitlines(), 1) if "sys.path" in line]
    assert offenders == [], "bench modules import through the package, not sys.path:\n" + "\n".join(offenders)


def test_no_import_cycle_between_bench_modules() -> None:
    """Lazy imports inside functions count too: bench.sentinel imports bench.peers.quix, never back."""
    edges: dict[str, set[str]] = {}
    for path in BENCH.rglob("*.py"):
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "bench":
                targets |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                            for a in node.names}
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.split(".")[0] == "bench"}
        edges[module_name(path)] = targets - {"bench", module_name(path)}

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in sorted(edges.get(node, ())):
                if nxt == start:
                    return [*trail, start]
                if nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = [" -> ".join(c) for name in MODULES if (c := cycle_from(name))]
    assert cycles == [], "bench modules in an import cycle:\n" + "\n".join(cycles)


def test_sentinel_bench_offers_every_format() -> None:
    done = subprocess.run([sys.executable, "-m", "bench.sentinel", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert "--format {avro,protobuf,json_schema}" in done.stdout, done.stdout[:2000]


@pytest.mark.parametrize("broken_rule", [None, 0, 1, 2, 3, 4])
def test_protobuf_payments_round_trip_through_the_sentinels_decoder(broken_rule: int | None) -> None:
    """bench's Protobuf encoder writes what the sentinel reads back: the same record, a null customer included."""
    from bench.common import record
    from bench.payments_proto import PROTO, PROTO_NAME, encoder
    from governance.protobuf import Decoder, parse_schema

    rec = record(1234, broken_rule)
    value = encoder(42)(rec)
    assert value[:6] == b"\x00\x00\x00\x00\x2a\x00"
    name, decoded = Decoder(parse_schema(PROTO, PROTO_NAME)).decode(value[5:])
    assert name == "bench.sentinel.Payment"
    assert decoded == rec


@pytest.mark.parametrize("fmt", ["avro", "protobuf", "json_schema"])
def test_every_format_writes_confluents_header(fmt: str) -> None:
    from bench.common import FORMATS, encoder, record

    assert fmt in FORMATS
    assert encoder(fmt, 42)(record(7, None))[:5] == b"\x00\x00\x00\x00\x2a"


@pytest.mark.parametrize("broken_rule", [None, 0, 1, 2, 3, 4])
def test_json_schema_payments_pass_their_schema_and_read_back(broken_rule: int | None) -> None:
    """Every payment passes bench's JSON Schema (the five rules judge them, not the schema)."""
    import json

    import jsonschema_rs

    from bench.common import JSON_SCHEMA, json_schema_encoder, record

    rec = record(1234, broken_rule)
    decoded = json.loads(json_schema_encoder(42)(rec)[5:])
    assert decoded == rec
    jsonschema_rs.Draft7Validator(JSON_SCHEMA).validate(decoded)
