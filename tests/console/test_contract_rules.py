"""The console's DLQ browser over a pipeline whose subject has a data contract: the contract rules
live in the registry, not in the project's files, yet the rule filter offers them (from the KPIs)
and finds the dead letters each sent there."""

from __future__ import annotations

import html
import re
import urllib.request
from pathlib import Path

from console.test_pages import Console
from sentinel.test_contracts import V2_FROM, critical_of, setup, write_pipeline
from sentinel_helpers import Sentinel

from governance.kafka import KafkaSettings


def test_the_dlq_rule_filter_offers_the_contract_rules_and_finds_their_dead_letters(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path) -> None:
    n = 100
    assert n <= V2_FROM  # all written with version 1
    source, _ = setup(kafka, registry_url, unique_name, n, partitions=1)
    (tmp_path / "rules").mkdir()
    pipeline = write_pipeline(tmp_path / "rules", unique_name, source)
    sentinel = Sentinel(pipeline, kafka, registry_url, "--idle-exit", "3", "--workers", "0")
    assert sentinel.process.wait(180) == 0, sentinel.output
    console = Console(tmp_path, kafka, registry_url)
    try:
        page = _get(f"{console.url}/pipelines/{unique_name}/dlq")
        offered = re.findall(r"<option\s*(?:selected)?\s*>([^<]+)</option>", page)
        assert {"contract:positive", "contract:cap", "contract:currency", "qty_max"} <= set(offered), offered
        filtered = _get(f"{console.url}/pipelines/{unique_name}/dlq?rule=contract:positive")
        positive = sum(1 for i in range(n) if "contract:positive" in critical_of(i))
        assert f"{positive} records match rule contract:positive" in html.unescape(re.sub(r"<[^>]+>", "", filtered))
    finally:
        console.stop()


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()
