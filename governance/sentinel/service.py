"""`governance sentinel run`: a pipeline file, Kafka and the registry, wired into one
long-running process (decoder -> GX validator -> exactly-once router -> KPIs)."""

from __future__ import annotations

import errno
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from governance.errors import GovernanceError, Transient
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
    workers: int = 0
    """Processes that judge parts of each batch beside this one (`governance.sentinel.workers`)."""


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


@dataclass(frozen=True)
class Preparation:
    """What `prepare` found out and set up in Kafka and the registry for a pipeline."""

    columns: str | None
    """How the rule columns were checked (the banner's `columns` line); None: not checked."""
    created: list[str]
    kpi_schema_id: int | None
    pass_tombstones: frozenset[str]
    contracts: tuple[Any, ...] = ()
    """The data contracts of the subject's versions (`contracts.VersionContract`), as the banner says them."""


def prepare(pipeline: Pipeline, settings: KafkaSettings, options: RunOptions) -> Preparation:
    """Check the rule columns against the registered schemas, create the topics that are missing,
    register the KPI schema and learn which sources are compacted (a `GovernanceError` says what
    is wrong)."""
    from governance.sentinel import topics
    from governance.sentinel.columns import check_pipeline_columns
    from governance.sentinel.contracts import subject_contracts

    contracts: list[Any] = []
    if pipeline.value_format == "json":
        columns = "JSON values have no schema: a rule column that no record of a window has is reported per window"
    else:
        columns = check_pipeline_columns(pipeline, options.registry_url) if options.registry_url else None
        contracts = subject_contracts(pipeline, options.registry_url) if options.registry_url else []
    created = topics.prepare(settings, pipeline)
    kpi_schema_id = topics.register_kpi_schema(options.registry_url, pipeline) if options.registry_url else None
    return Preparation(columns, created, kpi_schema_id, _tombstone_sources(pipeline, settings), tuple(contracts))


def _tombstone_sources(pipeline: Pipeline, settings: KafkaSettings) -> frozenset[str]:
    """Sources whose null values are deletes to pass on: all or none when the pipeline says
    `tombstones`, else the compacted ones (change-data-capture, table-like topics)."""
    from governance.kafka.limits import read_limits

    if pipeline.tombstones is not None:
        return frozenset(pipeline.sources) if pipeline.tombstones == "pass" else frozenset()
    limits = read_limits(settings, pipeline.sources)
    return frozenset(name for name, topic in limits.topics.items() if topic.compacted)


class Sentinel:
    """A pipeline wired to Kafka and the registry, each part an attribute: decoder ->
    validators (judge) -> exactly-once router -> KPI tracker, with metrics, the console
    and an optional DataHub reporter beside them. `Sentinel.connect` prepares Kafka and the
    registry and builds one; `run()` routes until `stop()`, `--idle-exit` or the dlq_limit.
    Signals and where log lines go are the embedding program's (`governance sentinel run`)."""

    @classmethod
    def connect(cls, pipeline: Pipeline, settings: KafkaSettings, options: RunOptions,
                out: TextIO = sys.stderr) -> Sentinel:
        """`prepare` the pipeline's topics and schemas, build the sentinel and bind its /metrics port."""
        sentinel = cls(pipeline, settings, options, prepare(pipeline, settings, options), out)
        try:
            sentinel.metrics = sentinel._metrics_server()
        except GovernanceError:
            if sentinel.pool is not None:
                sentinel.pool.close()
            raise
        return sentinel

    def __init__(self, pipeline: Pipeline, settings: KafkaSettings, options: RunOptions, prepared: Preparation,
                 out: TextIO = sys.stderr) -> None:
        """No network I/O: `connect` prepares Kafka and the registry, and the router connects in `run()`."""
        from governance.sentinel.collector import CommitCollector
        from governance.sentinel.contracts import rule_severities
        from governance.sentinel.health import Bounds, Health
        from governance.sentinel.judge import JudgeSpec
        from governance.sentinel.kpi import AvroKpiEncoder, DlqLimit, FirstRecordsLimit, KpiTracker, json_kpi
        from governance.sentinel.metrics import RuleInfo
        from governance.sentinel.router import Router, RouterConfig
        from governance.sentinel.status import Console, StatusLine
        from governance.sentinel.validate import WindowValidator
        from governance.sentinel.valid_subject import valid_subject

        self.pipeline, self.settings, self.options = pipeline, settings, options
        self.console = Console(out, out.isatty() if options.live_status is None else options.live_status)
        self.instance = options.instance_id or uuid.uuid4().hex[:12]
        self.columns, self.created = prepared.columns, prepared.created
        self.kpi_schema_id, self.pass_tombstones = prepared.kpi_schema_id, prepared.pass_tombstones
        self.contracts = prepared.contracts
        self.contract_rules = rule_severities(prepared.contracts)
        """Each contract rule's severity (`contract:<name>`): those of the versions at start, and of any later one."""

        self.window_validator = WindowValidator(pipeline.window_rules) if pipeline.window_rules else None
        window_columns = tuple(dict.fromkeys(c for r in pipeline.window_rules for c in r.columns()))
        # Registered schemas' columns were checked against them; plain JSON ones are watched per window.
        watched = tuple(dict.fromkeys(c for r in (*pipeline.record_rules, *pipeline.window_rules) for c in r.columns())
                        ) if pipeline.value_format == "json" else ()
        self.dlq_limit = (DlqLimit(pipeline.dlq_limit_ratio, pipeline.dlq_limit_windows)
                          if pipeline.dlq_limit_ratio is not None else None)
        self.first_records = FirstRecordsLimit(pipeline.dlq_limit_first_records)
        window_validator = self.window_validator
        self.tracker = KpiTracker(
            pipeline.name, self.instance, pipeline.kpi_topic,
            pipeline.window_seconds, [r.name for r in pipeline.record_rules] + list(self.contract_rules),
            # Without a registry (JSON pipelines) the same record is written as JSON.
            encode=AvroKpiEncoder(self.kpi_schema_id) if self.kpi_schema_id is not None else json_kpi,
            window_judge=(lambda rows: [(r.rule, r.success, r.observed_value) for r in window_validator.validate(rows)])
            if window_validator is not None else None,
            dlq_limit=self.dlq_limit,
            watched_columns=watched,
        )
        spec = JudgeSpec.of(pipeline.record_rules, value_format=pipeline.value_format,
                            registry_url=options.registry_url, subject=pipeline.subject, window_columns=window_columns,
                            watched_columns=watched, pass_tombstones=self.pass_tombstones,
                            valid_subject=valid_subject(pipeline.valid_topic, pipeline.subject),
                            contract_rules=pipeline.contract_rules)
        self.rule_infos = [RuleInfo(r.name, r.severity) for r in pipeline.record_rules] + [
            RuleInfo(name, severity) for name, severity in self.contract_rules.items()]
        """What /metrics labels each record rule with; a later schema version's contract rules join it."""
        self.collector = CommitCollector()
        self.pool = None
        if options.workers:
            from governance.sentinel.workers import JudgePool

            self.pool = JudgePool(spec, options.workers, on_batch=self._on_batch)
        self.judge = self.pool or spec.build(on_batch=self._on_batch)
        self.router = Router(settings, RouterConfig(
            sources=pipeline.sources, valid_topic=pipeline.valid_topic, dlq_topic=pipeline.dlq_topic,
            group_id=group_id(pipeline), pipeline_name=pipeline.name, transactional_id_prefix=group_id(pipeline),
            commit_every_records=pipeline.commit_every_records, commit_every_ms=pipeline.commit_every_ms,
            guarantee=pipeline.guarantee, instance_id=options.instance_id,
            batch_size=min(pipeline.commit_every_records, 10_000),
        ), self.judge, outbox=self.tracker)
        self.tracker.lag = self.router.lag
        self.health = Health(pipeline.name, self.router, Bounds.of(self.router.config, self.router.bounded.grace_s),
                             self.pool.dead if self.pool is not None else None)
        self.router.on_event = self.health.on_event
        self.reporter = options.reporter
        self._stop = threading.Event()
        self.tracker.on_window = self._on_window
        self.tracker.on_trip = self._stop.set
        self.metrics: Any = None
        self.status = StatusLine(self.console, pipeline.name, self.tracker.snapshot)
        self.first_record_at: float | None = None
        self.last_record_at = time.monotonic()
        self.last_commit_at = 0.0
        self._routed = 0
        self._told_foreign = False

    def stop(self) -> None:
        """Commit the open transaction and return from `run()` (from any thread)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- what the parts tell the sentinel ---------------------------------------

    def _on_batch(self, tally: Any) -> None:
        now = time.monotonic()
        if self.first_record_at is None:
            self.first_record_at = now
        self.last_record_at = now
        self.tracker.observe(tally)
        new = [rule for rule in tally.rule_failures if rule.startswith("contract:") and rule not in self.contract_rules]
        if new:
            self._learn_contract_rules(new)
        if tally.foreign_subjects and not self._told_foreign:
            self._told_foreign = True
            (other, count), *_ = sorted(tally.foreign_subjects.items(), key=lambda item: -item[1])
            logging.getLogger("governance.sentinel").warning(
                "%s record(s) of a batch carry schema ids of subject %s, not %s (`subject` in %s): they go to the "
                "DLQ at stage deserialize; is `subject` right?", f"{count:,}", other, self.pipeline.subject,
                self.pipeline.path)

    def _learn_contract_rules(self, new: list[str]) -> None:
        """Records failed contract rules of a version registered since the start: read the subject's
        contracts again for their severity (on /metrics), and say which rules are enforced now."""
        from governance.sentinel.contracts import describe, rule_severities, subject_contracts
        from governance.sentinel.metrics import RuleInfo

        assert self.options.registry_url is not None
        try:
            contracts = subject_contracts(self.pipeline, self.options.registry_url)
        except GovernanceError as e:  # the judge enforces them already; only their labels are missing
            logging.getLogger("governance.sentinel").warning("cannot read the contracts of %s again: %s",
                                                             self.pipeline.subject, e.message)
            contracts = []
        else:
            self.console.line("\n".join([f"sentinel {self.pipeline.name}: a version of {self.pipeline.subject} "
                                          "registered since the start has data-contract rules",
                                          *describe(self.pipeline, contracts)]))
        known = rule_severities(contracts)
        for name in dict.fromkeys([*known, *new]):
            if name not in self.contract_rules:
                self.contract_rules[name] = known.get(name, "unknown")
                self.rule_infos.append(RuleInfo(name, self.contract_rules[name]))

    def _on_window(self, record: Any) -> None:
        """A KpiWindow whose transaction committed."""
        from governance.sentinel.status import window_line

        if record.window.records_in or not record.final:
            self.console.line(window_line(self.pipeline.name, record, self.pipeline.subject))
        if self.reporter is not None:
            self.reporter.window(record.as_avro())  # as a reader of the KPI topic gets it

    def _on_commit(self, stats: Any) -> None:
        self.collector.after_commit()
        self.health.committed()
        if stats.committed.records_in > self._routed:  # not a commit of KPI records alone
            self._routed = stats.committed.records_in
            self.last_commit_at = time.monotonic()
            if self.first_records.observe(stats.committed.records_in, stats.committed.valid):
                self._stop.set()

    def _metrics_server(self) -> Any:
        from prometheus_client import CollectorRegistry

        from governance.sentinel.metrics import MetricsServer, SentinelCollector

        from_file = self.options.metrics_port is None
        port = self.pipeline.metrics_port if from_file else self.options.metrics_port
        if port is None:
            return None
        registry = CollectorRegistry(auto_describe=False)
        registry.register(SentinelCollector(self.pipeline.name, self.rule_infos,
                                            self.tracker.snapshot, self.router.stats,
                                            self.reporter.stats if self.reporter else None, self.health))
        try:
            return MetricsServer(self.options.metrics_host, port, registry,
                                 {"/healthz": self.health.healthz, "/readyz": self.health.readyz})
        except OSError as e:
            where = f"metrics_port in {self.pipeline.path}" if from_file else "--metrics-port"
            raise GovernanceError(
                f"cannot serve /metrics on {self.options.metrics_host}:{port} ({where}): {e.strerror or e}"
                + (" by another process on this host (a second sentinel?)" if e.errno == errno.EADDRINUSE else ""),
                hint="give each process on a host its own port with --metrics-port PORT, or --metrics-port 0 "
                     "for a free one (the banner's `metrics` line says which)") from None

    # -- running ------------------------------------------------------------------

    def run(self) -> Summary:
        from confluent_kafka import KafkaException

        from governance.kafka.fencing import InstanceTakenOver
        from governance.sentinel.refusals import DeadLetterRefused

        pipeline, console, metrics, reporter = self.pipeline, self.console, self.metrics, self.reporter
        console.line(_banner(pipeline, self.settings, self.options, self.instance, self.created, self.kpi_schema_id,
                             metrics.url if metrics else None, self.columns, self.pass_tombstones, self.contracts))
        taken_over: InstanceTakenOver | None = None
        idle = (_IdleWatch(self._stop, self.router.assigned, lambda: self.last_record_at, self.options.idle_exit_s)
                if self.options.idle_exit_s else None)
        try:
            if metrics:
                metrics.start()
            if reporter is not None:
                reporter.start()
            self.status.start()
            if idle:
                idle.start()
            with self.collector, self.health.routing():
                self.router.run(self._stop, on_commit=self._on_commit)
        except KafkaException as e:
            raise Transient(f"{pipeline.name}: Kafka failed in a way the sentinel cannot recover from: {e.args[0].str()}",
                                  hint="nothing uncommitted was kept; check the brokers and the client settings "
                                       "(--kafka-config), then restart") from None
        except DeadLetterRefused as e:
            raise GovernanceError(f"{pipeline.name}: {e}", hint=f"raise max.message.bytes of {pipeline.dlq_topic} "
                                  "(or fix the setting it names), then restart; nothing uncommitted was kept") from None
        except InstanceTakenOver as e:
            taken_over = e
        finally:
            self.status.stop()
            if self.pool is not None:
                self.pool.close()
            if reporter is not None:
                reporter.stop()
            if metrics:
                metrics.stop()

        committed = self.router.stats().committed
        first = self.first_record_at
        seconds = self.last_commit_at - first if first is not None and self.last_commit_at > first else 0.0
        summary = Summary(committed.records_in, committed.valid, committed.invalid, seconds)
        console.line(summary.line(pipeline.name))
        if taken_over is not None:
            raise GovernanceError(
                f"{pipeline.name}: {taken_over}. This process stopped; the other one goes on with the partitions "
                "and reads again what was not committed here, so nothing is lost or written twice.",
                hint="give each `sentinel run` of this pipeline its own --instance-id (one per container or systemd "
                     "slot), or leave --instance-id out for a random one")
        if self.first_records.tripped:
            raise self._first_records_tripped(summary)
        limit = self.dlq_limit
        if limit is not None and limit.tripped:
            raise DlqLimitExceeded(
                f"{pipeline.name}: more than {limit.ratio:.0%} of records were invalid in {limit.streak} windows "
                f"in a row (last window {limit.last_ratio:.1%}); stopped instead of flooding {pipeline.dlq_topic}. "
                "Everything read so far is routed and committed.",
                hint=f"look at the DLQ headers for the failing rules, fix the producer of {', '.join(pipeline.sources)} "
                     f"or the rules, then restart; `dlq_limit` in {pipeline.path} sets the limit")
        return summary


    def _first_records_tripped(self, summary: Summary) -> DlqLimitExceeded:
        pipeline, total = self.pipeline, self.tracker.snapshot().total
        if total.foreign_subjects:
            other, count = max(total.foreign_subjects.items(), key=lambda item: item[1])
            why = (f"{count:,} carry schema ids of subject {other}, not {pipeline.subject}: "
                   f"is `subject` right (line {pipeline.subject_line})")
        elif total.schema_failures >= total.invalid:
            why = "none of them deserialized (stage deserialize); the DLQ headers say why"
        else:
            rule, count = max(total.rule_failures.items(), key=lambda item: item[1], default=("?", 0))
            why = f"{count:,} failed rule {rule}: is the rule right?"
        return DlqLimitExceeded(
            f"{pipeline.name}: the first {summary.records_in:,} records all went to {pipeline.dlq_topic} "
            f"(dlq_limit: first_records {pipeline.dlq_limit_first_records:,}); {why}. Stopped instead of flooding "
            "the DLQ; everything read so far is routed and committed.",
            hint=f"fix {pipeline.path} or the producer of {', '.join(pipeline.sources)}, restart, and move the dead "
                 "letters back with `governance sentinel replay`; `dlq_limit: {first_records: 0}` turns this check off")


def run(pipeline: Pipeline, settings: KafkaSettings, options: RunOptions, out: TextIO = sys.stderr) -> Summary:
    """Connect a `Sentinel` and run it until it stops."""
    return Sentinel.connect(pipeline, settings, options, out).run()


def _banner(pipeline: Pipeline, settings: KafkaSettings, options: RunOptions, instance: str,
            created: list[str], kpi_schema_id: int | None, metrics_url: str | None, columns: str | None,
            pass_tombstones: frozenset[str] = frozenset(), contracts: tuple[Any, ...] = ()) -> str:
    def rule_line(rule: Rule, kind: str) -> str:
        return f"    line {rule.line:<4} [{kind}] {rule.describe()}"

    lines = [
        f"sentinel {pipeline.name} ({pipeline.path})",
        f"  kafka      {settings.bootstrap_servers} (from {settings.source}), group {group_id(pipeline)}, "
        f"instance {instance}, {pipeline.guarantee.replace('_', '-')}",
        f"  registry   {options.registry_url or 'none'}",
        f"  reads      {', '.join(pipeline.sources)} as {pipeline.value_format}"
        + (f", compliant if registered under {pipeline.subject}" if pipeline.value_format != "json" else ""),
        f"  writes     valid -> {pipeline.valid_topic}, invalid -> {pipeline.dlq_topic}, KPIs -> "
        + (f"{pipeline.kpi_topic} (schema id {kpi_schema_id})" if kpi_schema_id is not None
           else f"{pipeline.kpi_topic} (JSON: no registry for the Avro KPI schema)"),
        "  tombstones " + (
            f"null values from {', '.join(sorted(pass_tombstones))} pass to {pipeline.valid_topic} as deletes"
            + (" (`tombstones: pass`)" if pipeline.tombstones else " (compacted source)")
            + ("; from the others to the DLQ" if set(pass_tombstones) != set(pipeline.sources) else "")
            if pass_tombstones else "null values go to the DLQ (stage deserialize)"
            + (" (`tombstones: dlq`)" if pipeline.tombstones else "")),
        f"  commits    every {pipeline.commit_every_records:,} records or {pipeline.commit_every_ms:,} ms; "
        f"windows of {pipeline.window_seconds} s"
        + (f"; stops after {pipeline.dlq_limit_windows} windows above {pipeline.dlq_limit_ratio:.0%} invalid"
           if pipeline.dlq_limit_ratio is not None else "")
        + (f"; stops if its first {pipeline.dlq_limit_first_records:,} records all go to the DLQ"
           if pipeline.dlq_limit_first_records else ""),
        f"  judges     {_judges(options.workers)}",
    ]
    if columns:
        lines.append(f"  columns    {columns}")
    if created:
        lines.append(f"  created    {', '.join(created)}")
    if metrics_url:
        lines.append(f"  metrics    {metrics_url} (probes: /healthz, /readyz)")
    if options.reporter is not None:
        lines.append(f"  datahub    job lineage now, assertion results every window -> {options.reporter.target.describe()}")
    lines.append(f"  record rules ({len(pipeline.record_rules)}):")
    lines += [rule_line(r, r.severity) for r in pipeline.record_rules] or ["    none: every record that deserializes is valid"]
    if pipeline.window_rules:
        lines.append(f"  window rules ({len(pipeline.window_rules)}):")
        lines += [rule_line(r, "window") for r in pipeline.window_rules]
    if pipeline.value_format != "json" and options.registry_url:
        from governance.sentinel.contracts import describe

        lines += describe(pipeline, contracts)
    lines.append("  running; Ctrl-C or SIGTERM commits the open transaction and stops")
    return "\n".join(lines)


def _judges(workers: int) -> str:
    from governance.sentinel.workers import MIN_SPLIT

    if not workers:
        return "every batch in this process (--workers 0)"
    return (f"batches of {MIN_SPLIT:,}+ records split between this process and {workers} worker "
            f"process{'es' if workers > 1 else ''} (--workers)")


class _IdleWatch:
    """Stops the sentinel once it has been assigned partitions and read nothing for a while."""

    def __init__(self, stop: threading.Event, assigned: threading.Event, last_record: Callable[[], float],
                 seconds: float) -> None:
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
            quiet = time.monotonic() - max(since, self.last_record())
            if quiet >= self.seconds:
                self.stop.set()
