"""The live part of `governance demo`: every pipeline in rules/ runs as a sentinel
process while the generator writes to their source topics; a board shows each
pipeline's counts as they happen, and at the end every record the generator wrote
is found exactly once where its kind says it belongs.

The demo reads the valid topics and DLQs itself (`read_committed`, from where they
ended when it started), by the `demo.run` / `demo.seq` headers the sentinel keeps, so
the check does not take the sentinel's word for anything.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping
from typing import Any, TextIO

from governance.demo.generator import RUN_HEADER, SEQ_HEADER, Generator, Kind, Stream, streams_for
from governance.errors import GovernanceError
from governance.kafka.logs import client_logger
from governance.kafka.settings import KafkaSettings
from governance.lineage.results import clear_results, results_file
from governance.sentinel.headers import dead_letter
from governance.sentinel.pipeline import Pipeline, load_pipeline


@dataclass(frozen=True)
class LiveOptions:
    duration: float
    rate: float
    registry_url: str
    rules_dir: Path = Path("rules")
    schemas_dir: Path = Path("schemas")
    log_dir: Path = Path("build/demo")
    kafka_config: Path | None = None
    console_url: str | None = None
    drain_timeout: float = 120.0


@dataclass
class Landed:
    """What the demo's reader found of one run on the pipelines' output topics."""

    valid: dict[str, int] = field(default_factory=dict)  # pipeline -> records on its valid topic
    dlq: dict[str, int] = field(default_factory=dict)
    outcomes: dict[int, tuple[bool, str, frozenset[str], str]] = field(default_factory=dict)  # seq -> what happened
    duplicates: int = 0


@dataclass
class KindResult:
    kind: Kind
    written: int
    as_expected: int
    examples: list[str]


@dataclass
class StreamResult:
    pipeline: str
    topic: str
    valid_topic: str
    written: int
    valid: int
    dlq: int
    kinds: list[KindResult]
    skipped: list[str]

    @property
    def ok(self) -> bool:
        return all(k.as_expected == k.written for k in self.kinds) and self.valid + self.dlq == self.written


@dataclass
class LiveResult:
    run_id: str
    seconds: float
    streams: list[StreamResult]
    duplicates: int
    undelivered: int
    breaking_refused: bool
    sentinel_failures: list[str]

    @property
    def ok(self) -> bool:
        return (all(s.ok for s in self.streams) and self.duplicates == 0 and self.undelivered == 0
                and self.breaking_refused and not self.sentinel_failures)


READY_LINE = "running; Ctrl-C or SIGTERM"


class SentinelProcess:
    """`governance sentinel run` for one pipeline, in its own session so that Ctrl-C reaches the
    demo alone and the demo stops it with SIGTERM (commit, final KPI window, exit 0).

    No `--instance-id`: a static member's departure is noticed only after the session
    timeout, which would hold up the next run's (or the user's own) sentinel for 45 s.

    Its window results go to a file of its own (`--datahub file:`), which the demo
    imports with the lineage: DataHub Lite's store takes one writer at a time."""

    def __init__(self, pipeline: Pipeline, settings: KafkaSettings, options: LiveOptions, run_id: str) -> None:
        self.pipeline = pipeline
        self.log = options.log_dir / f"sentinel-{pipeline.name}.log"
        self.results = results_file(options.log_dir, pipeline.name)
        command = [sys.executable, "-m", "governance", "sentinel", "run", str(pipeline.path),
                   "--bootstrap-servers", settings.bootstrap_servers, "--registry", options.registry_url,
                   "--metrics-port", "0", "--no-status", "--datahub", f"file:{self.results}"]
        if options.kafka_config is not None:
            command += ["--kafka-config", str(options.kafka_config)]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True, env={**os.environ, "TQDM_DISABLE": "1"})

        self._terminated = False

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    @property
    def ready(self) -> bool:
        """Its banner is out: it has checked its rules, topics and registry and is joining its group."""
        try:
            return READY_LINE in self.log.read_text(errors="replace")
        except OSError:
            return False

    def terminate(self) -> None:
        if self.running and not self._terminated:
            self.process.send_signal(signal.SIGTERM)
            self._terminated = True

    def stop(self, timeout: float = 60.0) -> int:
        self.terminate()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def last_lines(self, n: int = 5) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


class Reader:
    """A read_committed reader of every pipeline's valid topic and DLQ, from their ends at start."""

    def __init__(self, settings: KafkaSettings, pipelines: list[Pipeline], run_id: str) -> None:
        from confluent_kafka import Consumer, TopicPartition

        from governance.kafka.tail import end_offsets, tail_consumer_config

        self.run_id = run_id.encode()
        self.landed = Landed()
        self._where: dict[str, tuple[str, bool]] = {}
        for p in pipelines:
            self._where[p.valid_topic] = (p.name, True)
            self._where[p.dlq_topic] = (p.name, False)
            self.landed.valid.setdefault(p.name, 0)
            self.landed.dlq.setdefault(p.name, 0)
        self.consumer = Consumer(tail_consumer_config(settings, f"governance-demo-reader-{run_id}"))
        assignment = [TopicPartition(topic, partition, high) for topic in self._where
                      for partition, high in end_offsets(self.consumer, topic).items()]
        self.consumer.assign(assignment)

    def poll(self, timeout: float = 0.0) -> None:
        for message in self.consumer.consume(2000, timeout):
            if message.error() is None:
                self._take(message)

    def _take(self, message: Any) -> None:
        headers = dict(message.headers() or ())
        if headers.get(RUN_HEADER) != self.run_id:
            return
        seq = int(headers[SEQ_HEADER])
        pipeline, valid = self._where[message.topic()]
        landed = self.landed
        if seq in landed.outcomes:
            landed.duplicates += 1
            return
        if valid:
            landed.valid[pipeline] += 1
            landed.outcomes[seq] = (True, "", frozenset(), "")
            return
        landed.dlq[pipeline] += 1
        dead = dead_letter(headers.items())
        landed.outcomes[seq] = (False, dead.stage, frozenset(dead.rules), dead.exception_message)

    def close(self) -> None:
        self.consumer.close()


class Board:
    """Per-pipeline counts, redrawn in place on a terminal, a line every ten seconds otherwise."""

    def __init__(self, out: TextIO, pipelines: list[Pipeline], streams: list[Stream]) -> None:
        self.out = out
        self.tty = out.isatty()
        self.pipelines = pipelines
        self.written = {s.pipeline.name: s.tally for s in streams}
        self._drawn = 0
        self._last = 0.0

    def draw(self, landed: Landed, sentinels: dict[str, SentinelProcess], phase: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < (0.5 if self.tty else 10.0):
            return
        self._last = now
        lines = [f"  {phase}",
                 f"  {'pipeline':<18}{'written':>9}{'valid':>9}{'DLQ':>8}{'in flight':>11}{'valid share':>13}  sentinel"]
        for p in self.pipelines:
            tally = self.written.get(p.name)
            written = tally.generated if tally else 0
            valid, dlq = landed.valid.get(p.name, 0), landed.dlq.get(p.name, 0)
            rate = f"{100 * valid / (valid + dlq):.1f} %" if valid + dlq else "-"
            sentinel = sentinels.get(p.name)
            state = "running" if sentinel is not None and sentinel.running else "stopped"
            lines.append(f"  {p.name:<18}{written:>9,}{valid:>9,}{dlq:>8,}{max(0, written - valid - dlq):>11,}"
                         f"{rate:>13}  {state}")
        self._erase()
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        self._drawn = len(lines) if self.tty else 0

    def note(self, text: str) -> None:
        """A line above the board, which is redrawn under it."""
        self._erase()
        self.out.write(f"  {text}\n")
        self._last = 0.0

    def _erase(self) -> None:
        if self.tty and self._drawn:
            self.out.write(f"\x1b[{self._drawn}F\x1b[J")
        self._drawn = 0


def run_live(settings: KafkaSettings, options: LiveOptions, out: TextIO) -> LiveResult:
    """Run the live demo for `options.duration` seconds, then check every record; Ctrl-C stops it cleanly."""
    from confluent_kafka import Producer

    from governance.sentinel import topics

    run_id = uuid.uuid4().hex[:10]
    pipelines = _pipelines(options.rules_dir)
    _create_sources(settings, pipelines)
    for pipeline in pipelines:
        topics.prepare(settings, pipeline)
    streams = streams_for(pipelines, options.rate, options.schemas_dir, options.registry_url)
    options.log_dir.mkdir(parents=True, exist_ok=True)
    clear_results(options.log_dir)
    reader = Reader(settings, pipelines, run_id)
    producer = Producer(settings.client_config(enable_idempotence=True, linger_ms=20, logger=client_logger()))
    generator = Generator(producer, streams, run_id)
    board = Board(out, pipelines, streams)
    sentinels: dict[str, SentinelProcess] = {}
    started = time.monotonic()
    breaking, refused = "", False
    out.write(f"  run {run_id}: {options.rate:,.0f} records/s for {options.duration:,.0f} s into "
              f"{', '.join(s.topic for s in streams) or 'no topic'}; sentinel logs in {options.log_dir}/\n")
    for stream in streams:
        for name in stream.skipped:
            out.write(f"  note: {stream.pipeline.path} has no critical rule for `{name}`; the generator leaves it out\n")
    if options.console_url:
        out.write(f"  watch it in the console: {options.console_url}\n")
    previous_handler = _ctrl_c_at_checkpoints()
    try:
        for pipeline in pipelines:
            sentinels[pipeline.name] = SentinelProcess(pipeline, settings, options, run_id)
        _await_ready(sentinels, board)
        started = time.monotonic()
        deadline = started + options.duration
        breaking_at = started + options.duration / 3
        while time.monotonic() < deadline:
            generator.tick()
            reader.poll(0.02)
            _check_alive(sentinels)
            if not breaking and time.monotonic() >= breaking_at:
                breaking, refused = _breaking_producer(options)
                board.note(breaking)
            board.draw(reader.landed, sentinels, f"live: {time.monotonic() - started:,.0f} of {options.duration:,.0f} s")
        if not breaking:
            breaking, refused = _breaking_producer(options)
            board.note(breaking)
        undelivered = generator.flush(60)
        drain_until = time.monotonic() + options.drain_timeout
        expected = sum(s.tally.generated for s in streams)
        while len(reader.landed.outcomes) < expected and time.monotonic() < drain_until:
            reader.poll(0.2)
            _check_alive(sentinels)
            board.draw(reader.landed, sentinels, "writing stopped; waiting for the sentinels to route the rest")
        failures = _stop(sentinels)
        reader.poll(0.5)
        board.draw(reader.landed, sentinels, f"done after {time.monotonic() - started:,.0f} s", force=True)
    except BaseException:
        generator.flush(10)
        _stop(sentinels)
        reader.close()
        raise
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGINT, previous_handler)
    reader.close()
    return LiveResult(run_id, time.monotonic() - started, compare(streams, generator.truth, reader.landed),
                      reader.landed.duplicates, undelivered + generator.failed_deliveries, refused, failures)


def _pipelines(rules_dir: Path) -> list[Pipeline]:
    files = sorted(rules_dir.glob("*.yml")) + sorted(rules_dir.glob("*.yaml"))
    if not files:
        raise GovernanceError(f"no pipeline files in {rules_dir}/", hint="run the demo from the project folder")
    return [load_pipeline(f, check_rules=False) for f in files]


def _create_sources(settings: KafkaSettings, pipelines: list[Pipeline]) -> None:
    from confluent_kafka.admin import AdminClient

    from governance.kafka.topics import TopicSpec, create_topics

    admin = AdminClient(settings.client_config(logger=client_logger()))
    existing = admin.list_topics(timeout=30).topics
    create_topics(admin, [TopicSpec(t, 3) for t in sorted({s for p in pipelines for s in p.sources} - set(existing))])


def _await_ready(sentinels: dict[str, SentinelProcess], board: Board, timeout: float = 180.0) -> None:
    """Start the clock once every sentinel has loaded its rules (Great Expectations takes seconds to import)."""
    since = time.monotonic()
    board.note(f"starting {len(sentinels)} sentinel(s): {', '.join(sentinels)}")
    while not all(s.ready for s in sentinels.values()):
        _check_alive(sentinels)
        if time.monotonic() - since > timeout:
            late = [name for name, s in sentinels.items() if not s.ready]
            raise GovernanceError(f"the sentinel(s) for {', '.join(late)} did not start within {timeout:.0f} s",
                                  hint=f"see their logs in {next(iter(sentinels.values())).log.parent}/")
        time.sleep(0.2)
    board.note(f"sentinels ready after {time.monotonic() - since:.1f} s")


_CTRL_C = threading.Event()


def _ctrl_c_at_checkpoints() -> Any:
    """Make Ctrl-C raise KeyboardInterrupt at the next `_check_alive`, not inside a Kafka client
    call: confluent-kafka can turn a KeyboardInterrupt raised during `Producer.poll` into
    "SystemError: ... returned NULL without setting an exception". Returns the handler it replaced."""
    if threading.current_thread() is not threading.main_thread():
        return None
    _CTRL_C.clear()
    return signal.signal(signal.SIGINT, lambda signum, frame: _CTRL_C.set())


def _check_alive(sentinels: dict[str, SentinelProcess]) -> None:
    if _CTRL_C.is_set():
        _CTRL_C.clear()
        raise KeyboardInterrupt
    for name, sentinel in sentinels.items():
        if not sentinel.running:
            raise GovernanceError(
                f"the sentinel for {name} stopped (exit {sentinel.process.returncode}):\n{sentinel.last_lines()}",
                hint=f"its whole log is {sentinel.log}")


def _stop(sentinels: dict[str, SentinelProcess]) -> list[str]:
    for sentinel in sentinels.values():  # all at once: each commits its last transaction
        sentinel.terminate()
    failures = []
    for name, sentinel in sentinels.items():
        code = sentinel.stop()
        if code != 0:
            failures.append(f"sentinel {name} exited {code}; see {sentinel.log}")
    return failures


def _breaking_producer(options: LiveOptions) -> tuple[str, bool]:
    """A producer that changes `totalCents` from long to string and tries to register it."""
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    subject = "orders-value"
    path = options.schemas_dir / f"{subject}.avsc"
    if not path.is_file():
        return f"breaking producer: skipped ({path} is missing)", True
    schema = json.loads(path.read_text())
    for f in schema["fields"]:
        if f["name"] == "totalCents":
            f["type"] = "string"
    client = SchemaRegistryClient({"url": options.registry_url})
    try:
        registered = client.register_schema(subject, Schema(json.dumps(schema), "AVRO"))
    except SchemaRegistryError as e:
        refused = e.http_status_code == 409
        why = e.error_message
        if refused:
            from governance.demo.registry_tour import incompatibility_sentences

            try:
                why = "; ".join(incompatibility_sentences(options.registry_url, subject, json.dumps(schema))) or why
            except (OSError, ValueError):
                pass  # the refusal stands; Confluent's own message says why
        return (f"a producer tried to register {subject} with totalCents as a string: "
                f"{'refused' if refused else 'failed'} ({e.http_status_code}): {why}"), refused
    return (f"a producer registered a breaking {subject} (id {registered}): the subject's compatibility "
            "level let it through"), False


def compare(streams: list[Stream], truth: Mapping[int, tuple[Stream, Kind]], landed: Landed) -> list[StreamResult]:
    """Each stream's kinds: how many were written, and how many landed exactly where their outcome says."""
    by_kind: dict[tuple[str, str], KindResult] = {}
    for stream in streams:
        for kind in stream.kinds:
            by_kind[(stream.topic, kind.label)] = KindResult(kind, 0, 0, [])
    for seq, (stream, kind) in truth.items():
        result = by_kind[(stream.topic, kind.label)]
        result.written += 1
        outcome = landed.outcomes.get(seq)
        if outcome is not None and kind.outcome.matches(*outcome):
            result.as_expected += 1
        elif len(result.examples) < 3:
            result.examples.append(f"record {seq}: " + ("not found on the valid topic or the DLQ" if outcome is None
                                                        else _describe(outcome)))
    return [StreamResult(s.pipeline.name, s.topic, s.pipeline.valid_topic, s.tally.generated, landed.valid.get(s.pipeline.name, 0),
                         landed.dlq.get(s.pipeline.name, 0),
                         [by_kind[(s.topic, k.label)] for k in s.kinds], s.skipped) for s in streams]


def _describe(outcome: tuple[bool, str, frozenset[str], str]) -> str:
    valid, stage, rules, message = outcome
    if valid:
        return "on the valid topic"
    return f"in the DLQ at stage {stage}" + (f", rules {sorted(rules)}" if rules else "") + (f": {message}" if message else "")


def report(result: LiveResult, out: TextIO) -> None:
    """The counts, checked against the generator's truth, kind by kind."""
    out.write("  counts (the generator's truth; what the demo found on the valid topics and DLQs):\n")
    for stream in result.streams:
        mark = "OK" if stream.ok else "MISMATCH"
        out.write(f"  {stream.pipeline}: written {stream.written:,} = {stream.valid:,} valid + {stream.dlq:,} to the DLQ"
                  f"  {mark}\n")
        for k in stream.kinds:
            where = (f"on {stream.valid_topic}" if k.kind.outcome.valid else f"in the DLQ, {k.kind.outcome.why}")
            warning = f", a warning of {k.kind.warning}" if k.kind.warning else ""
            out.write(f"    {k.kind.label:<48}{k.written:>7,} written {k.as_expected:>7,} {where}{warning}\n")
            for example in k.examples:
                out.write(f"      {example}\n")
    out.write(f"  duplicates {result.duplicates}, undelivered {result.undelivered}, breaking schema "
              f"{'refused by the registry' if result.breaking_refused else 'NOT refused'}\n")
    for failure in result.sentinel_failures:
        out.write(f"  {failure}\n")
