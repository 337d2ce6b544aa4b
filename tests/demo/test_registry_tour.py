"""The demo registers the schemas as `governance schemas register` does: levels from subjects.yml first."""

from __future__ import annotations

from pathlib import Path

from gate_cases import ID
from gate_helpers import record
from registry_helpers import http

from governance.demo.registry_tour import WalkthroughResult, register_schemas


def test_the_demo_sets_each_declared_level(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    orders, plain = f"{unique_name}-orders", f"{unique_name}-plain"
    (tmp_path / f"{orders}.avsc").write_text(record([ID]))
    (tmp_path / f"{plain}.avsc").write_text(record([ID], name="Plain"))
    (tmp_path / "subjects.yml").write_text(f"{orders}:\n  compatibility: FULL_TRANSITIVE\n")

    result = WalkthroughResult()
    register_schemas(registry_url, tmp_path, result)

    assert result.levels == [f"{orders} FULL_TRANSITIVE (was BACKWARD)"]
    assert sorted(s for s, _, _ in result.registered) == [orders, plain]
    assert http("GET", f"{registry_url}/config/{orders}") == (200, {"compatibilityLevel": "FULL_TRANSITIVE"})
