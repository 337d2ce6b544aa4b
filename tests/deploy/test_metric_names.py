"""Every metric the shipped rules and dashboard read is one the code exports: a metric renamed or
dropped in governance/ fails here, not silently in an operator's Prometheus.

The exported names are asked of the code, not grepped from it: the sentinel's own collector
(`metrics.families`) runs on a snapshot with every optional part present (a published window
with a window rule, DataHub stats, health), and the registry's `RegistryMetrics` (what app.py
serves at /metrics) is collected, so a family either stops yielding is missing here too (a
string left in a comment or a help text would fool a grep, not this).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client.core import Metric
from prometheus_helpers import metric_names, used_metric_names

from governance.lineage.reporter import ReporterStats
from governance.registry.metrics import RegistryMetrics, ServiceGauges
from governance.sentinel.health import Probe
from governance.sentinel.kpi import KpiWindow, Snapshot, WindowCounts, WindowVerdict
from governance.sentinel.metrics import RuleInfo, families
from governance.sentinel.routing import RouterStats

FROM_PROMETHEUS = {"up"}
"""Series Prometheus writes itself for every target."""


def series_names(metrics: Iterable[Metric]) -> set[str]:
    """The names a family's series are selected by; a histogram's by its family name (its
    _bucket/_sum/_count series are matched to it by `used_metric_names`)."""
    return {f"{family.name}_total" if family.type == "counter" else family.name for family in metrics}


class _Healthy:
    """What `families` reads of a running sentinel's `health.Health`: its verdicts and last commit."""

    last_commit = time.time()

    def healthz(self) -> Probe:
        return Probe(True, {})

    readyz = healthz


def sentinel_exports() -> set[str]:
    counts = WindowCounts(records_in=200, valid=180, invalid=20, schema_failures=6).stats([], 1.0)
    window = KpiWindow("orders", "i-1", 1_700_000_000_000, 1_700_000_060_000, False, counts, counts, 0,
                       (WindowVerdict("mean", True, "1000"),), 0, ())
    snapshot = Snapshot(counts, window, lag=3, started=time.time(), dlq_limit_streak=0)
    return series_names(families("orders", [RuleInfo("zip", "critical")], snapshot, RouterStats(),
                                 ReporterStats(), _Healthy()))  # type: ignore[arg-type]


def registry_exports() -> set[str]:
    metrics = RegistryMetrics(ServiceGauges(schemas=lambda: 1, subjects=lambda: 1, is_primary=lambda: True,
                                            primary_known=lambda: True, reader_lag=lambda: 0))
    return series_names(metrics.registry.collect())


def test_every_metric_a_rule_or_panel_reads_is_exported() -> None:
    exported = sentinel_exports() | registry_exports() | FROM_PROMETHEUS
    missing = {name: sorted(where) for name, where in used_metric_names().items() if name not in exported}
    assert missing == {}, "metrics read by deploy/ but exported by no component"


def test_the_names_are_read_from_promql_not_from_its_labels_or_functions() -> None:
    expr = ('histogram_quantile(0.95, sum by (route, le) (rate(registry_http_request_duration_seconds_bucket'
            '{status=~"5.."}[$__rate_interval]))) > 1e3 and on (instance) (time() - sentinel_last_commit_seconds'
            ' offset 5m) unless ignoring (rule) group_left (severity) pipeline:sentinel_dlq_share:ratio_rate5m')
    assert metric_names(expr) == {"registry_http_request_duration_seconds_bucket", "sentinel_last_commit_seconds",
                                  "pipeline:sentinel_dlq_share:ratio_rate5m"}


def test_the_exports_are_the_series_names_prometheus_stores() -> None:
    assert {"sentinel_records_in_total", "sentinel_window_expectation_success", "sentinel_healthy",
            "sentinel_last_commit_seconds", "sentinel_datahub_failures_total"} <= sentinel_exports()
    assert {"registry_http_requests_total", "registry_http_request_duration_seconds", "registry_forwarded_writes_total",
            "registry_reader_lag_records"} <= registry_exports()
    assert "sentinel_records_in" not in sentinel_exports()
