"""Compatibility checking of a wide, long-lived subject.

    .venv/bin/python -m bench.avro_compat [--fields 1000] [--versions 100] [--repeat 5]

Builds a record of 1,000 fields and 100 versions of it, each adding a field
with a default, then times a BACKWARD_TRANSITIVE check of a new version against
all 100 (the registry does this on every registration to such a subject).
Prints the best of a few runs in milliseconds (target: under 200 ms), beside
the same 100 checks by Apache Avro's Python checker
(avro.compatibility.ReaderWriterCompatibilityChecker) as the baseline, and the
time to parse the 101 schemas.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Callable

from governance.avro import Level, check_compatibility, parse_schema

_TYPES: list[object] = [
    "int",
    "long",
    "string",
    ["null", "string"],
    {"type": "long", "logicalType": "timestamp-millis"},
    {"type": "array", "items": "double"},
    {"type": "map", "values": ["null", "long"]},
    "boolean",
]


def wide_record(fields: int, added: int) -> str:
    """The subject's schema after `added` evolutions: `fields` base fields plus `added` fields with defaults."""
    base = [{"name": f"f{i}", "type": _TYPES[i % len(_TYPES)]} for i in range(fields)]
    base[10] = {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SHIPPED"]}}
    base[20] = {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
        {"name": "street", "type": "string"}, {"name": "zip", "type": "string"}]}}
    extra = [{"name": f"added{i}", "type": ["null", "string"], "default": None} for i in range(added)]
    return json.dumps({"type": "record", "name": "Order", "namespace": "com.acme", "fields": base + extra})


def best_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def bench(fields: int = 1000, versions: int = 100, repeat: int = 5) -> float:
    """Milliseconds for one BACKWARD_TRANSITIVE check of a new version against `versions` versions."""
    texts = [wide_record(fields, added) for added in range(versions + 1)]
    start = time.perf_counter()
    parsed = [parse_schema(text) for text in texts]
    parse_ms = (time.perf_counter() - start) * 1000
    history = list(enumerate(parsed[:-1], start=1))
    new = parsed[-1]

    findings = check_compatibility(new, history, Level.BACKWARD_TRANSITIVE)
    assert findings == [], findings
    ours = best_ms(lambda: check_compatibility(new, history, Level.BACKWARD_TRANSITIVE), repeat)

    import avro.schema
    from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        theirs_parsed = [avro.schema.parse(text) for text in texts]
        theirs_parse_ms = (time.perf_counter() - start) * 1000

    def theirs_check() -> None:
        for old in reversed(theirs_parsed[:-1]):
            result = ReaderWriterCompatibilityChecker().get_compatibility(theirs_parsed[-1], old)
            assert result.compatibility is SchemaCompatibilityType.compatible

    theirs = best_ms(theirs_check, min(repeat, 2))

    print(f"subject: {fields}-field record, {versions} versions, each adding a field with a default")
    print(f"BACKWARD_TRANSITIVE check of version {versions + 1} against all {versions}:")
    print(f"  governance.avro          {ours:9.1f} ms   (target < 200 ms)")
    print(f"  avro (Apache, Python)    {theirs:9.1f} ms   ({theirs / ours:.0f}x slower)")
    print(f"parsing the {versions + 1} schemas:")
    print(f"  governance.avro          {parse_ms:9.1f} ms")
    print(f"  avro (Apache, Python)    {theirs_parse_ms:9.1f} ms")
    return ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bench(args.fields, args.versions, args.repeat)


if __name__ == "__main__":
    main()
