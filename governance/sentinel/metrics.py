"""The sentinel's Prometheus endpoint: `GET /metrics`, through prometheus_client, and beside it
the probes `GET /healthz` and `GET /readyz` (`health.py`; their verdicts are gauges too).

Counters count committed records only, so they agree with the valid and DLQ
topics; they restart from zero with the process, as Prometheus counters do.
Window gauges describe the last published window. The families are computed from
the KPI tracker's snapshot when Prometheus scrapes (a custom collector), so routing
never updates a metric object per record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from governance.sentinel.kpi import Snapshot
from governance.sentinel.routing import RouterStats

if TYPE_CHECKING:
    from governance.sentinel.health import Health, Probe

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


@dataclass(frozen=True)
class RuleInfo:
    name: str
    severity: str


def _gauge_value(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def families(pipeline: str, rules: Sequence[RuleInfo], snapshot: Snapshot, stats: RouterStats,
             datahub: Any = None, health: Health | None = None) -> Iterator[Metric]:
    """`datahub`: the DataHub reporter's stats (emitted, failures, dropped_windows, pending_windows), if one runs.
    `health`: the running sentinel's probes, whose verdicts the gauges repeat."""
    total = snapshot.total

    def counter(name: str, help_text: str, labels: Sequence[str] = ()) -> CounterMetricFamily:
        return CounterMetricFamily(name, help_text, labels=["pipeline", *labels])

    def gauge(name: str, help_text: str, labels: Sequence[str] = ()) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, help_text, labels=["pipeline", *labels])

    f = counter("sentinel_records_in_total", "Source records routed in committed transactions.")
    f.add_metric([pipeline], total.records_in)
    yield f
    f = counter("sentinel_records_total", "Routed records by outcome: valid topic or DLQ.", ["outcome"])
    f.add_metric([pipeline, "valid"], total.valid)
    f.add_metric([pipeline, "invalid"], total.invalid)
    yield f
    f = counter("sentinel_schema_failures_total", "Records that did not deserialize against the pipeline's subject.")
    f.add_metric([pipeline], total.schema_failures)
    yield f
    f = counter("sentinel_warning_records_total", "Valid records that failed a warning rule.")
    f.add_metric([pipeline], total.warning_records)
    yield f
    f = counter("sentinel_tombstones_total", "Null values passed to the valid topic as deletes (compacted sources).")
    f.add_metric([pipeline], total.tombstones)
    yield f
    f = counter("sentinel_rule_failures_total", "Records failing each record rule.", ["rule", "severity"])
    for rule in rules:
        f.add_metric([pipeline, rule.name, rule.severity], total.rule_failures.get(rule.name, 0))
    yield f
    f = counter("sentinel_transactions_total", "Kafka transactions by result.", ["result"])
    f.add_metric([pipeline, "committed"], stats.commits)
    f.add_metric([pipeline, "aborted"], stats.aborts)
    yield f
    f = counter("sentinel_producer_rebuilds_total", "Producers replaced after being fenced or failing fatally.")
    f.add_metric([pipeline], stats.producer_rebuilds)
    yield f
    g = gauge("sentinel_consumer_lag", "Records behind the high watermarks of this process's partitions.")
    g.add_metric([pipeline], _gauge_value(snapshot.lag))
    yield g
    g = gauge("sentinel_dlq_limit_streak", "Consecutive windows above the dlq_limit ratio.")
    g.add_metric([pipeline], snapshot.dlq_limit_streak)
    yield g

    if health is not None:
        g = gauge("sentinel_last_commit_seconds", "Unix time of the last committed transaction.")
        if health.last_commit is not None:
            g.add_metric([pipeline], health.last_commit)
        yield g
        g = gauge("sentinel_healthy", "1 while GET /healthz answers 200: the routing makes progress or is idle.")
        g.add_metric([pipeline], 1 if health.healthz().ok else 0)
        yield g
        g = gauge("sentinel_ready", "1 while GET /readyz answers 200: partitions assigned, producer initialised.")
        g.add_metric([pipeline], 1 if health.readyz().ok else 0)
        yield g

    if datahub is not None:
        f = counter("sentinel_datahub_aspects_emitted_total", "Metadata aspects DataHub took from this process.")
        f.add_metric([pipeline], datahub.emitted)
        yield f
        f = counter("sentinel_datahub_failures_total", "Attempts to send to DataHub that failed (retried).")
        f.add_metric([pipeline], datahub.failures)
        yield f
        f = counter("sentinel_datahub_dropped_windows_total", "Window results dropped while DataHub was unreachable.")
        f.add_metric([pipeline], datahub.dropped_windows)
        yield f
        g = gauge("sentinel_datahub_pending_windows", "Window results held for DataHub.")
        g.add_metric([pipeline], datahub.pending_windows)
        yield g

    window = snapshot.last_window
    if window is None:
        return
    counts = window.window
    for key, help_text in (
        ("records_in", "Records in the last published window."),
        ("invalid", "Records sent to the DLQ in the last published window."),
        ("invalid_records_per_minute", "Invalid records per minute in the last published window."),
        ("valid_share", "Share of records that passed the schema and every critical rule (reached the valid topic), "
                        "last published window (NaN: no records)."),
        ("schema_conformant_share", "Share of records that deserialized against the subject, whatever the rules said, "
                                    "last published window (NaN: no records)."),
        ("schema_compliance_rate", "Deprecated: the same value as sentinel_window_schema_conformant_share, "
                                   "kept for alerts and dashboards written against it."),
        ("dlq_rate", "Share of records sent to the DLQ, last published window (NaN: no records)."),
    ):
        g = gauge(f"sentinel_window_{key}", help_text)
        g.add_metric([pipeline], _gauge_value(getattr(counts, key)))
        yield g
    g = gauge("sentinel_window_end_seconds", "End of the last published window, Unix time.")
    g.add_metric([pipeline], window.window_end / 1000)
    yield g
    g = gauge("sentinel_window_expectation_success", "1 if the window rule held in the last published window.", ["rule"])
    for verdict in window.window_expectations:
        g.add_metric([pipeline, verdict.rule], 1 if verdict.success else 0)
    yield g


class SentinelCollector:
    """A prometheus_client collector: `collect()` reads the running sentinel's state at scrape time."""

    def __init__(self, pipeline: str, rules: Sequence[RuleInfo], snapshot: Callable[[], Snapshot],
                 stats: Callable[[], RouterStats], datahub: Callable[[], Any] | None = None,
                 health: Health | None = None) -> None:
        self._args = pipeline, rules
        self._snapshot, self._stats, self._datahub, self._health = snapshot, stats, datahub, health

    def collect(self) -> Iterator[Metric]:
        yield from families(*self._args, self._snapshot(), self._stats(), self._datahub() if self._datahub else None,
                            self._health)


def render(pipeline: str, rules: Sequence[RuleInfo], snapshot: Snapshot, stats: RouterStats, datahub: Any = None) -> str:
    """The exposition text of one snapshot."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SentinelCollector(pipeline, rules, lambda: snapshot, lambda: stats,
                                        (lambda: datahub) if datahub is not None else None))
    return generate_latest(registry).decode()


class MetricsServer:
    """prometheus_client's threaded WSGI server on a daemon thread, serving `registry` at /metrics and
    each of `probes` (path -> verdict) as JSON, 200 or 503 (404 elsewhere); `port=0` picks a free port."""

    def __init__(self, host: str, port: int, registry: CollectorRegistry,
                 probes: Mapping[str, Callable[[], Probe]] | None = None) -> None:
        import threading
        from wsgiref.simple_server import WSGIRequestHandler, make_server

        from prometheus_client.exposition import ThreadingWSGIServer

        probes = dict(probes or {})
        served = ", ".join(["/metrics", *probes])

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            path = environ.get("PATH_INFO")
            if path == "/metrics":
                body, status, content_type = generate_latest(registry), "200 OK", CONTENT_TYPE
            elif path in probes:
                probe = probes[path]()
                body = (json.dumps(probe.body) + "\n").encode()
                status = "200 OK" if probe.ok else "503 Service Unavailable"
                content_type = "application/json"
            else:
                start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
                return [f"not served here; served: {served}\n".encode()]
            start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                                    ("Cache-Control", "no-store")])
            return [body]

        class Quiet(WSGIRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = make_server(host, port, app, ThreadingWSGIServer, handler_class=Quiet)
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics", daemon=True)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}/metrics"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
