"""The sentinel's Prometheus endpoint: `GET /metrics` in the text exposition format.

Counters count committed records only, so they agree with the valid and DLQ
topics; they restart from zero with the process, as Prometheus counters do.
Window gauges describe the last published window.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from governance.sentinel.kpi import Snapshot
from governance.sentinel.router import RouterStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class RuleInfo:
    name: str
    severity: str


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value) if isinstance(value, float) else str(value)


class _Family:
    def __init__(self, name: str, kind: str, help_text: str) -> None:
        self.lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        self.name = name

    def add(self, value: float | None, **labels: str) -> None:
        label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        self.lines.append(f"{self.name}{{{label_text}}} {_number(value)}")


def render(pipeline: str, rules: Sequence[RuleInfo], snapshot: Snapshot, stats: RouterStats, datahub: Any = None) -> str:
    """`datahub`: the DataHub reporter's stats (emitted, failures, dropped_windows, pending_windows), if one runs."""
    total = snapshot.total
    p = {"pipeline": pipeline}
    families: list[_Family] = []

    def family(name: str, kind: str, help_text: str) -> _Family:
        f = _Family(name, kind, help_text)
        families.append(f)
        return f

    f = family("sentinel_records_in_total", "counter", "Source records routed in committed transactions.")
    f.add(total.records_in, **p)
    f = family("sentinel_records_total", "counter", "Routed records by outcome: valid topic or DLQ.")
    f.add(total.valid, **p, outcome="valid")
    f.add(total.invalid, **p, outcome="invalid")
    f = family("sentinel_schema_failures_total", "counter", "Records that did not deserialize against the pipeline's subject.")
    f.add(total.schema_failures, **p)
    f = family("sentinel_warning_records_total", "counter", "Valid records that failed a warning rule.")
    f.add(total.warning_records, **p)
    f = family("sentinel_rule_failures_total", "counter", "Records failing each record rule.")
    for rule in rules:
        f.add(total.rule_failures.get(rule.name, 0), **p, rule=rule.name, severity=rule.severity)
    f = family("sentinel_transactions_total", "counter", "Kafka transactions by result.")
    f.add(stats.commits, **p, result="committed")
    f.add(stats.aborts, **p, result="aborted")
    f = family("sentinel_producer_rebuilds_total", "counter", "Producers replaced after being fenced or failing fatally.")
    f.add(stats.producer_rebuilds, **p)
    f = family("sentinel_consumer_lag", "gauge", "Records behind the high watermarks of this process's partitions.")
    f.add(snapshot.lag, **p)
    f = family("sentinel_dlq_limit_streak", "gauge", "Consecutive windows above the dlq_limit ratio.")
    f.add(snapshot.dlq_limit_streak, **p)

    if datahub is not None:
        f = family("sentinel_datahub_aspects_emitted_total", "counter", "Metadata aspects DataHub took from this process.")
        f.add(datahub.emitted, **p)
        f = family("sentinel_datahub_failures_total", "counter", "Attempts to send to DataHub that failed (retried).")
        f.add(datahub.failures, **p)
        f = family("sentinel_datahub_dropped_windows_total", "counter", "Window results dropped while DataHub was unreachable.")
        f.add(datahub.dropped_windows, **p)
        f = family("sentinel_datahub_pending_windows", "gauge", "Window results held for DataHub.")
        f.add(datahub.pending_windows, **p)

    window = snapshot.last_window
    if window is not None:
        counts: dict[str, Any] = window["window"]
        for key, help_text in (
            ("records_in", "Records in the last published window."),
            ("invalid", "Records sent to the DLQ in the last published window."),
            ("invalid_records_per_minute", "Invalid records per minute in the last published window."),
            ("schema_compliance_rate", "Share of records that deserialized, last published window (NaN: no records)."),
            ("dlq_rate", "Share of records sent to the DLQ, last published window (NaN: no records)."),
        ):
            family(f"sentinel_window_{key}", "gauge", help_text).add(counts[key], **p)
        f = family("sentinel_window_end_seconds", "gauge", "End of the last published window, Unix time.")
        f.add(window["window_end"] / 1000, **p)
        f = family("sentinel_window_expectation_success", "gauge", "1 if the window rule held in the last published window.")
        for result in window["window_expectations"]:
            f.add(1 if result["success"] else 0, **p, rule=result["rule"])
    return "\n".join(line for f in families for line in f.lines) + "\n"


class MetricsServer:
    """A small HTTP server on a daemon thread; `port=0` picks a free port."""

    def __init__(self, host: str, port: int, body: Callable[[], str]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404, "only /metrics is served here")
                    return
                data = body().encode()
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
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
