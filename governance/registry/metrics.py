"""The registry's Prometheus metrics (names agreed in issue 27), one CollectorRegistry per app.

Requests are counted by route template on the event loop thread, which alone calls `RequestMetrics.record`,
in plain ints: a labelled prometheus_client Counter and Histogram cost about 1 us a request (locks), several
per cent of `GET /schemas/ids/{id}`. Gauges whose value lives in the service are read at scrape time.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from governance.formats import SCHEMA_TYPES

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4.encode()
"""As the sentinel's: the text format Prometheus 2 reads."""
UNMATCHED = "unmatched"
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"))
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds; lookups take about a millisecond, a write waiting for an election up to 20 s."""
OUTCOMES = ("compatible", "incompatible", "error")


class RouteStats:
    """One (route, method)'s answers by status and its latency histogram (non-cumulative buckets, +Inf last)."""

    __slots__ = ("statuses", "buckets", "total")

    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}
        self.buckets = [0] * (len(BUCKETS) + 1)
        self.total = 0.0

    def record(self, status: int, seconds: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.buckets[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds


class RequestMetrics:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], RouteStats] = {}

    def stats(self, route: str, method: str) -> RouteStats:
        """`route` is a template such as "/schemas/ids/{id}", or UNMATCHED; a method outside METHODS is "other"."""
        key = (route, method if method in METHODS else "other")
        found = self.routes.get(key)
        if found is None:
            found = self.routes[key] = RouteStats()
        return found

    def families(self) -> Iterator[Metric]:
        requests = CounterMetricFamily("registry_http_requests", "HTTP requests answered, by route template, "
                                       "method and status", labels=("route", "method", "status"))
        durations = HistogramMetricFamily("registry_http_request_duration_seconds", "Time from a request's "
                                          "arrival to its answer sent", labels=("route", "method"))
        for (route, method), stats in list(self.routes.items()):
            for status, count in list(stats.statuses.items()):
                requests.add_metric([route, method, str(status)], count)
            cumulative, buckets = 0, []
            for bound, count in zip((*map(str, BUCKETS), "+Inf"), stats.buckets):
                cumulative += count
                buckets.append((bound, cumulative))
            durations.add_metric([route, method], buckets, stats.total)
        yield requests
        yield durations


@dataclass(frozen=True)
class ServiceGauges:
    """Reads of the running service, each called at scrape time (from a worker thread)."""

    schemas: Callable[[], int]
    subjects: Callable[[], int]
    is_primary: Callable[[], bool]
    primary_known: Callable[[], bool]
    reader_lag: Callable[[], int | None]


class _Collector:
    def __init__(self, requests: RequestMetrics, gauges: ServiceGauges) -> None:
        self.requests = requests
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        yield from self.requests.families()
        g = self.gauges
        yield GaugeMetricFamily("registry_schemas", "Distinct schemas (ids) known", value=g.schemas())
        yield GaugeMetricFamily("registry_subjects", "Live (not deleted) subjects", value=g.subjects())
        yield GaugeMetricFamily("registry_is_primary", "1 if this instance is the primary (the writer)",
                                value=int(g.is_primary()))
        yield GaugeMetricFamily("registry_primary_known", "1 if this instance is the primary or knows its URL",
                                value=int(g.primary_known()))
        lag = GaugeMetricFamily("registry_reader_lag_records", "Records of _schemas written but not yet applied "
                                "here (absent while the end offset is unknown)")
        if (value := g.reader_lag()) is not None:
            lag.add_metric([], value)
        yield lag


class RegistryMetrics:
    """Everything /metrics shows for one app."""

    def __init__(self, gauges: ServiceGauges) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = RequestMetrics()
        self.registry.register(_Collector(self.requests, gauges))
        self.forwarded = Counter("registry_forwarded_writes", "Writes forwarded to the primary, by the primary's "
                                 "HTTP status (\"unreachable\": no answer)", ["status"], registry=self.registry)
        self.checks = Counter("registry_compatibility_checks", "Compatibility judgments (the /compatibility "
                              "endpoints and registrations), by outcome", ["schema_type", "outcome"],
                              registry=self.registry)
        for schema_type in SCHEMA_TYPES:
            for outcome in OUTCOMES:
                self.checks.labels(schema_type, outcome)

    def compatibility_checked(self, schema_type: str, outcome: str) -> None:
        self.checks.labels(schema_type, outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
