"""`governance sentinel run`: a pipeline file, Kafka and the registry, wired into one
long-running process (decoder -> GX validator -> exactly-once router -> KPIs)."""

from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol, TextIO

from governance.errors import GovernanceError
from governance.kafka import KafkaSettings
from governance.sentinel.pipeline import Pipeline, Rule


class DlqLimitExceeded(GovernanceError):
    exit_code = 3


class WindowReporter(Protocol):
    """Something that publishes each window's KPI record elsewhere (DataHub), off the routing path."""

    target: Any

    def start(self) -> None: ...

    def window(self, kpi: dict[str, Any]) -> None:
        """Called on the routing thread: must not block."""
        ...

    def stop(self, timeout: float = 5.0) -> None: ...

    def stats(self) -> Any: ...


@dataclass(frozen=True)
class RunOptions:
    registry_url: str | None
    instance_id: str | None = None
    metrics_port: int | None = None
    metrics_host: str = "0.0.0.0"
    idle_exit_s: float | None = None
    live_status: bool | None = None
    """None: a live status line only when the output is a terminal."""
    reporter: WindowReporter | None = None


@dataclass(frozen=True)
class Summary:
    records_in: int
    valid: int
    invalid: int
    routing_seconds: float

    @property
    def rate(self) -> float:
        return self.records_in / self.routing_seconds if self.routing_seconds > 0 else 0.0

    def line(self, pipeline: str) -> str:
        return (f"sentinel {pipeline}: stopped after {self.records_in:,} records ({self.valid:,} valid, "
                f"{self.invalid:,} to the DLQ) in {self.routing_seconds:.1f} s of routing, {self.rate:,.0f} records/s")


def group_id(pipeline: Pipeline) -> str:
    return f"sentinel-{pipeline.name}"


def run(pipeline: Pipeline, settings: KafkaSettings, options: RunOptions, out: TextIO = sys.stderr) -> Summary:
    from confluent_kafka import KafkaException

    from governance.sentinel import topics
    from governance.sentinel.columns import check_pipeline_columns
    from governance.sentinel.decode import Decoder
    from governance.sentinel.judge import BatchTally, SentinelJudge
    from governance.sentinel.kpi import AvroKpiEncoder, DlqLimit, KpiTracker
    from prometheus_client import CollectorRegistry

    from governance.sentinel.metrics import MetricsServer, RuleInfo, SentinelCollector
    from governance.sentinel.router import DeadLetterRefused, Router, RouterConfig, RouterStats
    from governance.sentinel.status import Console, StatusLine, window_line
    from governance.sentinel.validate import RecordValidator, WindowValidator

    console = Console(out, out.isatty() if options.live_status is None else options.live_status)
    instance = options.instance_id or uuid.uuid4().hex[:12]
    if pipeline.value_format == "json":
        columns = "JSON values have no schema: a rule column that no record of a window has is reported per window"
    else:
        columns = check_pipeline_columns(pipeline, options.registry_url) if options.registry_url else None
    created = topics.prepare(settings, pipeline)
    kpi_schema_id = topics.register_kpi_schema(options.registry_url, pipeline) if options.registry_url else None

    record_validator = RecordValidator(pipeline.record_rules)
    window_validator = WindowValidator(pipeline.window_rules) if pipeline.window_rules else None
    window_columns = tuple(dict.fromkeys(c for r in pipeline.window_rules for c in r.columns()))
    # Avro columns were checked against the registered schemas; JSON ones are watched per window.
    watched = tuple(dict.fromkeys(c for r in (*pipeline.record_rules, *pipeline.window_rules) for c in r.columns())
                    ) if pipeline.value_format == "json" else ()
    dlq_limit = DlqLimit(pipeline.dlq_limit_ratio, pipeline.dlq_limit_windows) if pipeline.dlq_limit_ratio is not None else None
    tracker = KpiTracker(
        pipeline.name, instance, pipeline.kpi_topic if kpi_schema_id is not None else None, pipeline.window_seconds,
        [r.name for r in pipeline.record_rules],
        encode=AvroKpiEncoder(kpi_schema_id) if kpi_schema_id is not None else None,
        window_judge=(lambda rows: [(r.rule, r.success, r.observed_value) for r in window_validator.validate(rows)])
        if window_validator is not None else None,
        dlq_limit=dlq_limit,
        watched_columns=watched,
    )
    first_record: list[float] = []
    last_record = [time.monotonic()]

    def on_batch(tally: BatchTally) -> None:
        now = time.monotonic()
        if not first_record:
            first_record.append(now)
        last_record[0] = now
        tracker.observe(tally)

    decoder = Decoder(pipeline.value_format, options.registry_url, pipeline.subject)
    judge = SentinelJudge(decoder, record_validator, window_columns, on_batch, watched_columns=watched)
    config = RouterConfig(
        sources=pipeline.sources, valid_topic=pipeline.valid_topic, dlq_topic=pipeline.dlq_topic,
        group_id=group_id(pipeline), pipeline_name=pipeline.name, transactional_id_prefix=group_id(pipeline),
        commit_every_records=pipeline.commit_every_records, commit_every_ms=pipeline.commit_every_ms,
        guarantee=pipeline.guarantee, instance_id=options.instance_id,
        batch_size=min(pipeline.commit_every_records, 10_000),
    )
    router = Router(settings, config, judge, outbox=tracker)
    tracker.lag = router.lag
    stop = threading.Event()
    reporter = options.reporter

    def on_window(record: dict) -> None:
        if record["window"]["records_in"] or not record["final"]:
            console.line(window_line(pipeline.name, record))
        if reporter is not None:
            reporter.window(record)

    tracker.on_window = on_window
    tracker.on_trip = stop.set

    port = options.metrics_port if options.metrics_port is not None else pipeline.metrics_port
    metrics = None
    if port is not None:
        rules = [RuleInfo(r.name, r.severity) for r in pipeline.record_rules]
        registry = CollectorRegistry(auto_describe=False)
        registry.register(SentinelCollector(pipeline.name, rules, tracker.snapshot, router.stats,
                                            reporter.stats if reporter else None))
        try:
            metrics = MetricsServer(options.metrics_host, port, registry)
        except OSError as e:
            raise GovernanceError(f"cannot serve /metrics on port {port}: {e.strerror or e}",
                                  hint="pick another port with --metrics-port (0 picks a free one)") from None

    console.line(_banner(pipeline, settings, options, instance, created, kpi_schema_id, metrics.url if metrics else None,
                         columns))
    status = StatusLine(console, pipeline.name, tracker.snapshot)
    last_commit = [0.0]
    routed = [0]

    def on_commit(stats: RouterStats) -> None:
        if stats.committed.records_in > routed[0]:  # not a commit of KPI records alone
            routed[0] = stats.committed.records_in
            last_commit[0] = time.monotonic()

    logger = logging.getLogger("governance.sentinel")
    log_handler, saved_logger = _ConsoleLog(console, pipeline.name), (logger.level, logger.propagate)
    logger.addHandler(log_handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    previous = _install_signals(stop, console)
    # GX and pandas leave a large heap of long-lived objects; without this every
    # full collection walks all of it, which cost a quarter of the routing rate.
    gc.collect()
    gc.freeze()
    idle = _IdleWatch(stop, router.assigned, last_record, options.idle_exit_s) if options.idle_exit_s else None
    try:
        if metrics:
            metrics.start()
        if reporter is not None:
            reporter.start()
        status.start()
        if idle:
            idle.start()
        router.run(stop, on_commit=on_commit)
    except KafkaException as e:
        raise GovernanceError(f"{pipeline.name}: Kafka failed in a way the sentinel cannot recover from: {e.args[0].str()}",
                              hint="nothing uncommitted was kept; check the brokers and the client settings "
                                   "(--kafka-config), then restart") from None
    except DeadLetterRefused as e:
        raise GovernanceError(f"{pipeline.name}: {e}", hint=f"raise max.message.bytes of {pipeline.dlq_topic} "
                              "(or fix the setting it names), then restart; nothing uncommitted was kept") from None
    finally:
        status.stop()
        if reporter is not None:
            reporter.stop()
        if metrics:
            metrics.stop()
        _restore_signals(previous)
        logger.removeHandler(log_handler)
        logger.level, logger.propagate = saved_logger

    committed = router.stats().committed
    seconds = last_commit[0] - first_record[0] if first_record and last_commit[0] > first_record[0] else 0.0
    summary = Summary(committed.records_in, committed.valid, committed.invalid, seconds)
    console.line(summary.line(pipeline.name))
    if dlq_limit is not None and dlq_limit.tripped:
        raise DlqLimitExceeded(
            f"{pipeline.name}: more than {dlq_limit.ratio:.0%} of records were invalid in {dlq_limit.streak} windows "
            f"in a row (last window {dlq_limit.last_ratio:.1%}); stopped instead of flooding {pipeline.dlq_topic}. "
            "Everything read so far is routed and committed.",
            hint=f"look at the DLQ headers for the failing rules, fix the producer of {', '.join(pipeline.sources)} "
                 f"or the rules, then restart; `dlq_limit` in {pipeline.path} sets the limit")
    return summary


def _banner(pipeline: Pipeline, settings: KafkaSettings, options: RunOptions, instance: str,
            created: list[str], kpi_schema_id: int | None, metrics_url: str | None, columns: str | None) -> str:
    def rule_line(rule: Rule, kind: str) -> str:
        return f"    line {rule.line:<4} [{kind}] {rule.describe()}"

    lines = [
        f"sentinel {pipeline.name} ({pipeline.path})",
        f"  kafka      {settings.bootstrap_servers} (from {settings.source}), group {group_id(pipeline)}, "
        f"instance {instance}, {pipeline.guarantee.replace('_', '-')}",
        f"  registry   {options.registry_url or 'none'}",
        f"  reads      {', '.join(pipeline.sources)} as {pipeline.value_format}"
        + (f", compliant if registered under {pipeline.subject}" if pipeline.value_format == "avro" else ""),
        f"  writes     valid -> {pipeline.valid_topic}, invalid -> {pipeline.dlq_topic}, KPIs -> "
        + (f"{pipeline.kpi_topic} (schema id {kpi_schema_id})" if kpi_schema_id is not None else "none (no registry)"),
        f"  commits    every {pipeline.commit_every_records:,} records or {pipeline.commit_every_ms:,} ms; "
        f"windows of {pipeline.window_seconds} s"
        + (f"; stops after {pipeline.dlq_limit_windows} windows above {pipeline.dlq_limit_ratio:.0%} invalid"
           if pipeline.dlq_limit_ratio is not None else ""),
    ]
    if columns:
        lines.append(f"  columns    {columns}")
    if created:
        lines.append(f"  created    {', '.join(created)}")
    if metrics_url:
        lines.append(f"  metrics    {metrics_url}")
    if options.reporter is not None:
        lines.append(f"  datahub    job lineage now, assertion results every window -> {options.reporter.target.describe()}")
    lines.append(f"  record rules ({len(pipeline.record_rules)}):")
    lines += [rule_line(r, r.severity) for r in pipeline.record_rules] or ["    none: every record that deserializes is valid"]
    if pipeline.window_rules:
        lines.append(f"  window rules ({len(pipeline.window_rules)}):")
        lines += [rule_line(r, "window") for r in pipeline.window_rules]
    lines.append("  running; Ctrl-C or SIGTERM commits the open transaction and stops")
    return "\n".join(lines)


class _ConsoleLog(logging.Handler):
    """The router's and judge's log lines (assignments, retries, recoveries) for the operator."""

    def __init__(self, console: object, pipeline: str) -> None:
        super().__init__(logging.INFO)
        self.console, self.pipeline = console, pipeline

    def emit(self, record: logging.LogRecord) -> None:
        self.console.line(f"{self.pipeline}: {record.getMessage()}")  # type: ignore[attr-defined]


class _IdleWatch:
    """Stops the sentinel once it has been assigned partitions and read nothing for a while."""

    def __init__(self, stop: threading.Event, assigned: threading.Event, last_record: list[float], seconds: float) -> None:
        self.stop, self.assigned, self.last_record, self.seconds = stop, assigned, last_record, seconds
        self._thread = threading.Thread(target=self._run, name="idle-exit", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self.assigned.wait(0.2):
            if self.stop.is_set():
                return
        since = time.monotonic()
        while not self.stop.wait(0.2):
            quiet = time.monotonic() - max(since, self.last_record[0])
            if quiet >= self.seconds:
                self.stop.set()


def _install_signals(stop: threading.Event, console: object) -> dict[int, object]:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        console.line(f"{signal.Signals(signum).name}: committing the open transaction and stopping"  # type: ignore[attr-defined]
                     + (" (Ctrl-C again to abandon it)" if signum == signal.SIGINT else ""))

    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in previous:
        signal.signal(s, handler)
    return previous


def _restore_signals(previous: dict[int, object]) -> None:
    for s, h in previous.items():
        signal.signal(s, h)  # type: ignore[arg-type]
