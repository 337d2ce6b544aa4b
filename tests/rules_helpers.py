"""The demo's records for rule proposals: each stream's clean kind and the bad kinds a rule can catch
(not the poison that never decodes), from `governance.demo.generator` and the shipped rules/*.yml."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from governance.demo.generator import (Kind, clickstream_kinds, order_kinds, payment_kinds, return_kinds,
                                       shipment_kinds)
from governance.sentinel.pipeline import Rule, load_pipeline

ROOT = Path(__file__).resolve().parent.parent
NOW = 1_764_000_000.0
DEMO_TOPICS = ("user-activity", "orders", "transactions", "shipments", "returns")


def demo_kinds(topic: str) -> tuple[Kind, list[tuple[Kind, str]]]:
    """The clean kind of a demo stream, and each bad kind whose records decode with the field it breaks
    (the column of the shipped rule it fails), as the generator makes them for the shipped pipeline."""
    pipeline = load_pipeline(ROOT / "rules" / f"{topic}.yml", check_rules=False)
    unused = lambda value: b""  # noqa: E731  (serializes only the poison, left out here)
    kinds = {"user-activity": lambda: clickstream_kinds(pipeline), "orders": lambda: order_kinds(pipeline, None),
             "transactions": lambda: payment_kinds(pipeline), "shipments": lambda: shipment_kinds(pipeline, unused),
             "returns": lambda: return_kinds(pipeline, unused, None)}[topic]()[0]
    columns = {rule.name: rule.columns()[0] for rule in pipeline.record_rules}
    bad = [(k, columns[next(iter(k.outcome.rules), k.warning)]) for k in kinds[1:]
           if k.outcome.stage == "validate" or k.warning]
    return kinds[0], bad


def records(kind: Kind, n: int, seed: int) -> list[dict[str, Any]]:
    """`n` values of `kind`, a millisecond apart."""
    rng = random.Random(seed)
    return [kind.make(rng, NOW + i / 1000) for i in range(n)]


def failed_columns(rules: Sequence[Rule], failures: Sequence[Any]) -> set[str]:
    by_name: Mapping[str, Rule] = {r.name: r for r in rules}
    return {c for f in failures for c in by_name[f.rule].columns()}
