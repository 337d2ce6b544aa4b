"""`governance demo` from start to end: the local stack unless a cluster is given, then each part
in turn (Kafka, registry, live, lineage), each saying what it checked."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from governance.errors import GovernanceError
from governance.kafka.settings import KafkaSettings

RESULTS_DIR = Path("build/demo")


@dataclass(frozen=True)
class DemoOptions:
    duration: float
    rate: float
    records: int
    schemas_dir: Path
    rules_dir: Path
    data_dir: Path | None
    cluster_given: bool
    """-b or $GOVERNANCE_BOOTSTRAP_SERVERS: no local stack; the registry part only with a registry given."""
    registry_given: bool


class LiveInterrupted(Exception):
    """Ctrl-C in the live part, after the generator and sentinels stopped cleanly."""


def run_demo_tour(options: DemoOptions, kafka: Callable[[], KafkaSettings], registry: Callable[[], str],
                  out: TextIO) -> bool:
    """Every part of the demo; True when each checked out. `kafka()` and `registry()` find them
    once the local stack is up."""
    from governance.demo.registry_tour import run_walkthrough
    from governance.demo.smoke import run_demo

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    console_url, console_note = start_local_stack(options) if not options.cluster_given else (None, "")
    settings = kafka()
    say(f"Kafka: {settings.bootstrap_servers} (from {settings.source})")
    result = run_demo(settings, options.records)
    say(f"  topic                        {result.topic}")
    say(f"  written, committed txn       {result.committed}")
    say(f"  written, aborted txn         {result.aborted}")
    say(f"  read back (read_committed)   {result.read}")
    say(f"  aborted records seen         {result.aborted_seen}")
    say(f"  {'OK' if result.ok else 'FAILED'} in {result.seconds:.1f}s")
    ok = result.ok

    if options.cluster_given and not options.registry_given:
        say("Schema registry: skipped (pass --registry URL to include it, and the live part with it).")
    else:
        registry_url = registry()
        say(f"Schema registry: {registry_url}")
        walk = run_walkthrough(settings, registry_url, options.schemas_dir)
        for setting in walk.settings:
            say(f"  {setting}")
        for subject, schema_id, version in walk.registered:
            say(f"  registered {subject:<28} id {schema_id:<4} version {version}")
        say(f"  Avro records via Confluent serializers   {walk.received_equal}/{walk.sent} read back equal")
        say("  adding a required field `email` to user-activity-value would break consumers:")
        for message in walk.breaking_change_messages:
            say(f"    {message}")
        say(f"  {'OK' if walk.ok else 'FAILED'}")
        ok = ok and walk.ok
        if options.duration > 0:
            ok = run_live_part(settings, registry_url, options, console_url, out) and ok
        publish_lineage(registry_url, RESULTS_DIR if options.duration > 0 else None, say)
    if console_url:
        say(f"Console: {console_url} (open it in a browser{console_note})")
    if not options.cluster_given:
        say("The stack and console keep running; `./run stack down` stops them.")
    return ok


def start_local_stack(options: DemoOptions) -> tuple[str | None, str]:
    """Start the local stack (idempotent); its console's URL, and a note when that console shows
    another folder (where `stack up` first ran) than the one the demo runs in."""
    from governance.stack.cluster import LocalStack

    LocalStack(options.data_dir).up()
    status = LocalStack(options.data_dir).status()
    if status is None or not status.console_alive or status.state.console is None:
        return None, ""
    shown, here = Path(status.state.console.project).resolve(), options.schemas_dir.resolve().parent
    if shown == here:
        return status.state.console.url, ""
    return status.state.console.url, (f"; it shows {shown}, not {here}: `governance console --port 0` here shows "
                                      "this folder's schemas, rules and lineage")


def run_live_part(settings: KafkaSettings, registry_url: str, options: DemoOptions, console_url: str | None,
                  out: TextIO) -> bool:
    from governance.demo.live import LiveOptions, report, run_live

    print(f"Live: a sentinel for each pipeline in {options.rules_dir}/, records for {options.duration:,.0f} s "
          "(Ctrl-C stops early)", file=out, flush=True)
    # settings.config_file: --kafka-config, or a secured local stack's client properties
    live_options = LiveOptions(options.duration, options.rate, registry_url, options.rules_dir, options.schemas_dir,
                               kafka_config=settings.config_file, console_url=console_url)
    try:
        live = run_live(settings, live_options, out)
    except KeyboardInterrupt:
        raise LiveInterrupted("Interrupted: the generator and the sentinels stopped (each sentinel committed what it "
                              "had routed); the stack and console keep running (`./run stack down` stops them).") from None
    report(live, out)
    print(f"  {'OK' if live.ok else 'FAILED'} in {live.seconds:.0f}s", file=out, flush=True)
    return live.ok


def publish_lineage(registry_url: str, results_dir: Path | None, say: Callable[[str], None]) -> None:
    """Publish the project's lineage, and the demo's sentinels' window results from `results_dir`, to a file
    and to DataHub Lite (and to DataHub when $DATAHUB_GMS_URL says)."""
    from governance.lineage.build import project_estate
    from governance.lineage.datahub import Mapper
    from governance.lineage.emit import GMS_ENV, parse_target
    from governance.lineage.publish import publish

    say("Lineage:")
    if not Path("lineage").is_dir():
        say("  skipped: run the demo from the project folder (it reads schemas/, rules/ and lineage/)")
        return
    try:
        mcps = Mapper(project_estate(Path("."), registry_url)).mcps()
    except GovernanceError as e:
        say(f"  not published: {e.message}")
        return
    if results_dir is not None:
        from governance.lineage.results import PREFIX, read_results

        results = read_results(sorted(results_dir.glob(f"{PREFIX}*.json")))
        mcps += results.mcps
        say(f"  {len(results.mcps)} assertion results of {results.windows} sentinel windows from "
            f"{len(results.files)} file(s) in {results_dir}/" + "".join(f"; unread: {p}" for p in results.problems))
    targets = ["file:build/lineage.json", "lite"] + ([os.environ[GMS_ENV]] if os.environ.get(GMS_ENV) else [])
    for text in targets:
        target = parse_target(text, registry_url=registry_url)
        try:
            publish(target, mcps)
            say(f"  {len(mcps)} aspects -> {target.describe()}")
        except Exception as e:  # a demo goes on without one target
            say(f"  {target.describe()}: not published ({getattr(e, 'message', e)})")
    say("  look at it: ./run lineage show orders, or datahub lite ls /streaming/kafka/instances/default/topics")
