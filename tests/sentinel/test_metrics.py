"""The /metrics endpoint speaks Prometheus' text format, checked with prometheus_client's parser."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from governance.sentinel.kpi import KpiWindow, Snapshot, WindowCounts, WindowVerdict
from governance.sentinel.metrics import MetricsServer, RuleInfo, SentinelCollector, render
from governance.sentinel.routing import RouterStats

RULES = [RuleInfo('zip "quoted" \\ rule', "critical"), RuleInfo("coupon", "warning")]


def snapshot(last_window: KpiWindow | None = None) -> Snapshot:
    total = WindowCounts(records_in=100, valid=90, invalid=10, schema_failures=3, warning_records=4,
                         rule_failures={'zip "quoted" \\ rule': 7})
    return Snapshot(total, last_window, lag=12, started=time.time(), dlq_limit_streak=1)


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_counters_and_gauges_parse_with_their_labels() -> None:
    m = samples(render("orders", RULES, snapshot(), RouterStats(commits=5, aborts=1)))
    p = ("pipeline", "orders")
    assert m[("sentinel_records_in_total", frozenset({p}))] == 100
    assert m[("sentinel_records_total", frozenset({p, ("outcome", "invalid")}))] == 10
    assert m[("sentinel_rule_failures_total", frozenset({p, ("rule", 'zip "quoted" \\ rule'), ("severity", "critical")}))] == 7
    assert m[("sentinel_rule_failures_total", frozenset({p, ("rule", "coupon"), ("severity", "warning")}))] == 0
    assert m[("sentinel_transactions_total", frozenset({p, ("result", "aborted")}))] == 1
    assert m[("sentinel_consumer_lag", frozenset({p}))] == 12
    assert not any(name.startswith("sentinel_window_") for name, _ in m)


def test_window_gauges_describe_the_last_published_window() -> None:
    empty = WindowCounts().stats([], 1.0)  # no records: no rates
    window = KpiWindow("orders", "i-1", 1_700_000_000_000, 1_700_000_060_000, False, empty, empty, 0,
                       (WindowVerdict("mean", False, "89.0"),), 0, ())
    m = samples(render("orders", RULES, snapshot(window), RouterStats()))
    p = ("pipeline", "orders")
    assert m[("sentinel_window_records_in", frozenset({p}))] == 0
    for name in ("valid_share", "schema_conformant_share", "schema_compliance_rate"):
        rate = m[(f"sentinel_window_{name}", frozenset({p}))]
        assert rate != rate  # NaN: no records, no rate
    assert m[("sentinel_window_expectation_success", frozenset({p, ("rule", "mean")}))] == 0
    assert m[("sentinel_window_end_seconds", frozenset({p}))] == 1_700_000_060


def test_the_server_answers_metrics_and_404_elsewhere() -> None:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SentinelCollector("orders", RULES, snapshot, RouterStats))
    server = MetricsServer("127.0.0.1", 0, registry)
    server.start()
    try:
        with urllib.request.urlopen(server.url, timeout=5) as response:
            assert samples(response.read().decode())[("sentinel_records_in_total", frozenset({("pipeline", "orders")}))] == 100
            assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(server.url.replace("/metrics", "/other"), timeout=5)
        assert error.value.code == 404
    finally:
        server.stop()


def test_the_two_shares_have_their_own_gauges_and_the_former_name_keeps_its_value() -> None:
    counts = WindowCounts(records_in=200, valid=180, invalid=20, schema_failures=6).stats([], 1.0)
    window = KpiWindow("orders", "i-1", 1_700_000_000_000, 1_700_000_060_000, False, counts, counts, 0, (), 0, ())
    m = samples(render("orders", RULES, snapshot(window), RouterStats()))
    p = frozenset({("pipeline", "orders")})
    assert m[("sentinel_window_valid_share", p)] == pytest.approx(0.9)
    assert m[("sentinel_window_schema_conformant_share", p)] == pytest.approx(0.97)
    assert m[("sentinel_window_schema_compliance_rate", p)] == pytest.approx(0.97)
