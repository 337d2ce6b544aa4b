"""`governance sentinel check|run|replay`: the quality sentinel (governance.sentinel).

`sentinel run` is the process around a `Sentinel`: it owns the signals (SIGINT and SIGTERM
commit the open transaction and stop; a second Ctrl-C abandons it) and where log lines go
(the console, prefixed with the pipeline, and a lost broker said once).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from governance.cli.options import CONTEXT, RegistryFlag, kafka_options, registry_option
from governance.errors import EX_TEMPFAIL, GovernanceError, Transient, Unreachable
from governance.extras import needs, require
from governance.kafka.settings import KafkaSettings

if TYPE_CHECKING:
    from governance.sentinel.pipeline import Pipeline
    from governance.sentinel.service import Sentinel
    from governance.sentinel.status import Console


@click.group("sentinel", context_settings=CONTEXT)
def command() -> None:
    """The quality sentinel: validate every record of a topic with Great Expectations rules,
    route valid ones to a -valid topic and invalid ones to a dead-letter topic, exactly once.

    \b
    A pipeline is a YAML file in rules/ (format: rules/README.md):
      name: orders
      source: orders                 # valid -> orders-valid, invalid -> orders-dlq
      subject: orders-value          # Avro ids registered here are compliant
      expectations:
        - expectation: expect_column_values_to_match_regex
          column: shippingAddress.zip
          regex: "^[0-9]{5}$"

    \b
    Start here:
      governance sentinel check rules/orders.yml    is the file right? (no Kafka needed)
      governance sentinel run rules/orders.yml      run it
    """


@command.command("check")
@click.argument("pipeline_file", metavar="PIPELINE.yml", type=click.Path(path_type=Path, dir_okay=False))
@registry_option("Check rule columns against every registered version of the pipeline's subject.",
                 "Default: $GOVERNANCE_REGISTRY_URL, then the local stack; skipped when none is reachable.")
@needs("sentinel")
def sentinel_check(pipeline_file: Path, registry: RegistryFlag) -> None:
    """Load a pipeline file and print what it would do; every mistake is reported with
    its file and line, exit 2. Nothing is read from Kafka. With a registry, a rule
    column that no registered version of the subject has is a mistake too."""
    from governance.sentinel.columns import check_pipeline_columns
    from governance.sentinel.contracts import describe, subject_contracts
    from governance.sentinel.pipeline import load_pipeline

    p = load_pipeline(pipeline_file)
    click.echo(f"{p.path}: pipeline {p.name}, {len(p.record_rules)} record rules, {len(p.window_rules)} window rules")
    click.echo(f"  {', '.join(p.sources)} ({p.value_format}) -> valid {p.valid_topic}, DLQ {p.dlq_topic}, KPIs {p.kpi_topic}")
    for rule in (*p.record_rules, *p.window_rules):
        kind = "window" if rule in p.window_rules else rule.severity
        click.echo(f"  line {rule.line:<4} [{kind}] {rule.describe()}")
    if p.value_format != "json":
        registry_url = registry.url_or_none()
        if registry_url is None:
            click.echo("  columns not checked: no schema registry (give --registry URL)")
        else:
            try:
                click.echo(f"  columns {check_pipeline_columns(p, registry_url)}")
                click.echo("\n".join(describe(p, subject_contracts(p, registry_url))))
            except GovernanceError as e:
                if registry.flag or not isinstance(e, Unreachable):
                    raise
                click.echo(f"  columns and contracts not checked: {e.message}")
    click.echo("OK")


@command.command("run")
@click.argument("pipeline_file", metavar="PIPELINE.yml", type=click.Path(path_type=Path, dir_okay=False))
@needs("sentinel")
@kafka_options
@registry_option("Schema registry for Avro values and the KPI schema.")
@click.option("--instance-id", metavar="ID",
              help="A stable id per process slot (container, systemd instance): a restart then takes over its "
                   "predecessor's transaction and group membership at once. Default: random per process.")
@click.option("--metrics-port", type=click.IntRange(0, 65535), metavar="PORT",
              help="Serve Prometheus /metrics here (0: a free port). Default: the pipeline's metrics_port, else none.")
@click.option("--metrics-host", default="0.0.0.0", show_default=True, metavar="ADDR", help="Address /metrics listens on.")
@click.option("--idle-exit", type=click.FloatRange(0, min_open=True), metavar="SECONDS",
              help="Stop once nothing has arrived for this long (back-fills, benchmarks). Default: run until stopped.")
@click.option("--status/--no-status", "live_status", default=None,
              help="The live status line. Default: on when stderr is a terminal.")
@click.option("--workers", type=click.IntRange(0, 64), metavar="N",
              help="Worker processes that decode and validate parts of each batch beside this one; Kafka and "
                   "the transactions stay in this process. Default: one per usable core but one, at most 4 "
                   "(0 judges here only).")
@click.option("--datahub", "datahub", envvar="DATAHUB_GMS_URL", metavar="TARGET",
              help="Report the job's lineage at start and every window's assertion results to DataHub: "
                   "http(s)://GMS, kafka://BOOTSTRAP, lite[:PATH] or file:PATH (token: $DATAHUB_GMS_TOKEN). "
                   "Default: $DATAHUB_GMS_URL, else no reporting.")
def sentinel_run(pipeline_file: Path, settings: KafkaSettings, registry: RegistryFlag, instance_id: str | None,
                 metrics_port: int | None, metrics_host: str, idle_exit: float | None, live_status: bool | None,
                 workers: int | None, datahub: str | None) -> None:
    """Run a pipeline until Ctrl-C or SIGTERM (which commit the open transaction first).

    \b
    Reads the source topics in consumer group sentinel-<name>; run more processes
    with the same file to share the partitions. Prints one KPI line per window and
    writes the same KPIs as Avro to the pipeline's KPI topic.

    \b
    DLQ records keep key, value, headers and timestamp, plus headers
    __connect.errors.{topic,partition,offset,stage,exception.class.name,exception.message},
    __sentinel.pipeline and __sentinel.failed.rules (JSON list of {rule, message}); when a
    data-contract rule of the registry failed, Confluent's __rule.{name,mode,subject,topic,exception}.

    \b
    Exit codes: 0 stopped cleanly, 2 a problem to fix (file, settings, another
    process took over the instance id), 3 stopped by the pipeline's dlq_limit
    (without one: the first 1,000 records all went to the DLQ, committed), 75
    worth trying again later: Kafka at start or the registry did not answer,
    Kafka failed fatally, a judge worker died (nothing committed is lost; a
    supervisor should restart it), 130 abandoned with a second Ctrl-C.
    """
    from governance.sentinel.collector import freeze_setup_heap
    from governance.sentinel.pipeline import load_pipeline
    from governance.sentinel.service import RunOptions, Sentinel
    from governance.sentinel.workers import default_workers

    pipeline = load_pipeline(pipeline_file)
    registry_url = _pipeline_registry(pipeline, registry)
    reporter = None
    if datahub:
        require("lineage", "`sentinel run --datahub`")
        from governance.lineage.reporter import pipeline_reporter

        reporter = pipeline_reporter(datahub, pipeline_file, registry_url, settings)
    options = RunOptions(registry_url=registry_url, instance_id=instance_id, metrics_port=metrics_port,
                         metrics_host=metrics_host, idle_exit_s=idle_exit, live_status=live_status, reporter=reporter,
                         workers=default_workers() if workers is None else workers)
    try:
        sentinel = Sentinel.connect(pipeline, settings, options)
        freeze_setup_heap()
        with operator_log(sentinel.console, pipeline.name), stop_on_signals(sentinel):
            sentinel.run()
    except Transient as e:
        e.exit_code = EX_TEMPFAIL
        raise


@command.command("replay")
@click.argument("pipeline_file", metavar="PIPELINE.yml", type=click.Path(path_type=Path, dir_okay=False))
@needs("sentinel")
@kafka_options
@registry_option("Schema registry for Avro values.")
@click.option("--rule", metavar="NAME", help="Only dead letters that failed this rule (its name as in the DLQ headers).")
@click.option("--stage", type=click.Choice(["deserialize", "validate", "produce"]), help="Only dead letters of this stage.")
@click.option("--since", metavar="TIME", help="Only records from this time on (ISO 8601, UTC unless it says; or epoch ms).")
@click.option("--until", metavar="TIME", help="Only records before this time.")
@click.option("--dry-run", is_flag=True, help="Say what would move and why; write nothing.")
def sentinel_replay(pipeline_file: Path, settings: KafkaSettings, registry: RegistryFlag, rule: str | None, stage: str | None,
                    since: str | None, until: str | None, dry_run: bool) -> None:
    """Judge the pipeline's dead letters again, with its rules and registry as they are now, and
    write those that pass to the valid topic (original key, value, timestamp and headers, plus
    __sentinel.replayed.from = dlq/partition/offset). The DLQ keeps everything.

    \b
    Exactly once: a moved record is noted in <dlq>-replayed in the same transaction, and a
    replay skips what is noted there; run it again after a kill, or after the next fix.

    \b
    Examples:
      governance sentinel replay rules/orders.yml --dry-run
      governance sentinel replay rules/orders.yml --rule "expect_column_values_to_match_regex(shippingAddress.zip)"
      governance sentinel replay rules/orders.yml --stage deserialize --since 2026-12-01T08:00
    """
    from governance.sentinel.pipeline import load_pipeline
    from governance.sentinel.replay import ReplayFilter, parse_time, replay

    pipeline = load_pipeline(pipeline_file)
    registry_url = _pipeline_registry(pipeline, registry)
    where = ReplayFilter(rule, stage, parse_time(since) if since else None, parse_time(until) if until else None)
    if rule is not None and not rule.startswith("contract:") and rule not in {r.name for r in pipeline.record_rules}:
        from governance.errors import did_you_mean

        click.echo(f"note: no rule of {pipeline_file} is named {rule!r} now"
                   + did_you_mean(rule, [r.name for r in pipeline.record_rules]), err=True)
    replay(pipeline, settings, registry_url, where, dry_run, sys.stdout)


def _pipeline_registry(pipeline: Pipeline, registry: RegistryFlag) -> str | None:
    """The registry an Avro, Protobuf or JSON Schema pipeline needs; a JSON pipeline runs without one (its KPI records are JSON)."""
    return registry.url() if pipeline.value_format != "json" else registry.url_or_none()


class _ConsoleLog(logging.Handler):
    """The router's and judge's log lines (assignments, retries, recoveries) for the operator."""

    def __init__(self, console: Console, pipeline: str) -> None:
        super().__init__(logging.INFO)
        self.console, self.pipeline = console, pipeline

    def emit(self, record: logging.LogRecord) -> None:
        self.console.line(f"{self.pipeline}: {record.getMessage()}")


@contextmanager
def operator_log(console: Console, pipeline: str) -> Iterator[None]:
    """The sentinel's log lines, and the Kafka clients' (a lost broker said once, not per retry), on `console`."""
    from governance.kafka.broker_watch import watching_brokers

    logger = logging.getLogger("governance.sentinel")
    handler, saved = _ConsoleLog(console, pipeline), (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        with watching_brokers(say=logger.warning, passthrough=handler.emit):
            yield
    finally:
        logger.removeHandler(handler)
        logger.level, logger.propagate = saved


@contextmanager
def stop_on_signals(sentinel: Sentinel) -> Iterator[None]:
    """SIGINT and SIGTERM stop the sentinel after it commits; a second Ctrl-C abandons the transaction."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if sentinel.stopping and signum == signal.SIGINT:
            raise KeyboardInterrupt
        sentinel.stop()
        sentinel.console.line(f"{signal.Signals(signum).name}: committing the open transaction and stopping"
                              + (" (Ctrl-C again to abandon it)" if signum == signal.SIGINT else ""))

    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in previous:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
