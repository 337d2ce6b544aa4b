"""The `governance` command line: parses arguments and calls the modules that do the work.

Imports of the feature modules happen inside the commands so that
`governance --help` and fast paths such as the CI gate start quickly.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from governance import __version__
from governance.errors import GovernanceError
from governance.extras import missing_as_error, needs, require
from governance.gate import FORMATS
from governance.kafka.settings import CONFIG_ENV

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


kafka_config_option = click.option(
    "--kafka-config",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar=CONFIG_ENV,
    metavar="FILE",
    help="Extra librdkafka properties (SASL, TLS) from a .properties or .yaml file, passed through unchanged.",
)


def kafka_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """--bootstrap-servers and --kafka-config as given (for commands that resolve them later)."""
    command = kafka_config_option(command)
    return click.option(
        "--bootstrap-servers",
        "-b",
        metavar="HOST:PORT[,...]",
        help="Kafka to talk to. Default: $GOVERNANCE_BOOTSTRAP_SERVERS, then the running local stack.",
    )(command)


def kafka_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--bootstrap-servers and --kafka-config, resolved into `settings: KafkaSettings`."""

    @kafka_flags
    @functools.wraps(command)
    def wrapper(*args: Any, bootstrap_servers: str | None, kafka_config: Path | None, **kwargs: Any) -> Any:
        return command(*args, settings=resolve_kafka(bootstrap_servers, kafka_config), **kwargs)

    return wrapper


def registry_option(purpose: str, default: str = "Default: $GOVERNANCE_REGISTRY_URL, then the local stack.") -> Any:
    """--registry URL as `registry_flag`; resolve it with `resolve_registry`."""
    return click.option("--registry", "registry_flag", metavar="URL", help=f"{purpose} {default}")


def resolve_kafka(bootstrap_servers: str | None, kafka_config: Path | None = None, data_dir: Path | None = None) -> Any:
    """The flag, the environment, the config file, then the running local stack."""
    from governance.kafka import resolve_kafka_settings
    from governance.stack.discovery import stack_kafka

    return resolve_kafka_settings(bootstrap_servers, kafka_config, fallback=stack_kafka(data_dir))


def resolve_registry(flag: str | None, data_dir: Path | None = None) -> str:
    """The flag, the environment, then the running local stack's registry."""
    from governance.registry.location import resolve_registry_url
    from governance.stack.discovery import stack_registry

    return resolve_registry_url(flag, fallback=stack_registry(data_dir))


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="GOVERNANCE_STACK_DIR",
    help="Where the stack keeps broker data, logs and its state file. "
    "Default: $XDG_STATE_HOME/governance/stack (~/.local/state/governance/stack).",
)


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="governance")
def cli() -> None:
    """Schema governance and data quality for Apache Kafka.

    \b
    Start here:
      governance stack up        run Apache Kafka locally (fetched once from Maven Central)
      governance demo            the whole product live for a minute, every count checked
      governance kafka check     check the connection to an existing cluster
      governance schemas check   the CI gate: breaking schema changes, against git or a registry
      governance sentinel run    validate a topic's records with GX rules, valid/DLQ routing, KPIs
      governance lineage show    where data comes from and goes, from schemas, rules and lineage/
    """


# -- stack -------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def stack() -> None:
    """A local Apache Kafka cluster (KRaft, loopback only) for demos, development and tests.

    The broker jars come from Maven Central through Maven on first use and are
    cached in ~/.cache/governance. Java 17+ is needed.
    """


@stack.command("up")
@click.option("--brokers", type=click.IntRange(1, 9), help="Number of nodes (each broker+controller). Default 1.")
@click.option("--port", type=click.IntRange(0, 65535), help="First broker's port; 0 picks free ports. Default 9092.")
@click.option("--security", type=click.Choice(["plaintext", "sasl_ssl"]),
              help="sasl_ssl: TLS with a CA the stack makes, and SCRAM-SHA-512 users; clients need the "
                   "client.properties it writes. Fixed when the stack is made. Default plaintext.")
@data_dir_option
@needs("stack")
def stack_up(brokers: int | None, port: int | None, security: str | None, data_dir: Path | None) -> None:
    """Start the local cluster, a schema registry and the steward console beside it (idempotent).

    Prints the bootstrap servers, then the registry URL, then the console URL, and for a
    secured stack the client properties file. The console shows schemas/, rules/ and
    lineage/ of the folder this runs in.

    \b
    Examples:
      governance stack up                      one broker on 127.0.0.1:9092
      governance stack up --brokers 3          three brokers on 9092, 9093, 9094
      governance stack up --security sasl_ssl  TLS and SASL/SCRAM; writes client.properties
    """
    from governance.stack.cluster import LocalStack

    state = LocalStack(data_dir).up(brokers=brokers, port=port, security=security)
    click.echo(state.bootstrap_servers)
    if state.registry is not None:
        click.echo(state.registry.url)
    if state.console is not None:
        click.echo(state.console.url)
    if state.client_properties is not None:
        click.echo(state.client_properties)
        click.echo(f"The cluster speaks SASL_SSL only; clients need {state.client_properties} "
                   "(its CA, user and password):\n"
                   f"  governance kafka check --kafka-config {state.client_properties}\n"
                   f"  export {CONFIG_ENV}={state.client_properties}   (then every command uses it)", err=True)


@stack.command("down")
@click.option("--purge", is_flag=True, help="Also delete the stack's data, logs and state.")
@data_dir_option
@needs("stack")
def stack_down(purge: bool, data_dir: Path | None) -> None:
    """Stop the processes the local stack started, and only those."""
    from governance.stack.cluster import LocalStack

    local = LocalStack(data_dir)
    stopped = local.down(purge=purge)
    what = f"Stopped {len(stopped)} process(es) (brokers and registry)" if stopped else "Nothing was running"
    click.echo(f"{what}; {'removed' if purge else 'kept'} {local.data_dir}.", err=True)


@stack.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@data_dir_option
@needs("stack")
def stack_status(as_json: bool, data_dir: Path | None) -> None:
    """Show whether the local stack runs, where, and its process ids. Exit 1 if it is not running."""
    from governance.stack.cluster import LocalStack

    local = LocalStack(data_dir)
    status = local.status()
    if status is None:
        if as_json:
            click.echo(json.dumps({"running": False, "data_dir": str(local.data_dir), "brokers": []}))
        else:
            click.echo(f"No local stack in {local.data_dir}. Start one with `governance stack up`.")
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(status.to_json(), indent=2))
    else:
        click.echo(f"Kafka {status.state.kafka_version}: {'running' if status.running else 'not running'}")
        click.echo(f"  bootstrap servers  {status.state.bootstrap_servers}")
        if status.state.client_properties is not None:
            click.echo(f"  security           SASL_SSL, SCRAM-SHA-512; clients use --kafka-config "
                       f"{status.state.client_properties}")
        for broker in status.brokers:
            state = f"pid {broker.broker.pid}" if broker.alive else "stopped"
            click.echo(f"  broker {broker.broker.id}           127.0.0.1:{broker.broker.port}  {state}")
        if status.state.registry is not None:
            registry = status.state.registry
            state = f"pid {registry.pid}" if status.registry_alive else "stopped"
            click.echo(f"  schema registry    {registry.url}  {state}")
        if status.state.console is not None:
            console = status.state.console
            state = f"pid {console.pid}" if status.console_alive else "stopped"
            click.echo(f"  console            {console.url}  {state}")
        click.echo(f"  logs               {status.state.log_dir}")
    sys.exit(0 if status.running else 1)


# -- kafka -------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def kafka() -> None:
    """Talk to a Kafka cluster, local or not."""


@kafka.command("check")
@needs("stack")
@kafka_options
def kafka_check(settings: Any) -> None:
    """Check that the cluster answers, and show its brokers.

    \b
    Example, against a secured cluster:
      governance kafka check -b broker1:9093 --kafka-config client.properties
    """
    from governance.kafka.cluster_info import describe_cluster

    info = describe_cluster(settings)
    click.echo(f"Connected to {settings.bootstrap_servers} (from {settings.source}).")
    click.echo(f"  cluster id   {info.cluster_id}")
    click.echo(f"  controller   {info.controller_id}")
    for broker_id, address in sorted(info.brokers.items()):
        click.echo(f"  broker {broker_id:<5} {address}")
    click.echo(f"  topics       {info.topics}")


# -- registry ----------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def registry() -> None:
    """A Confluent-compatible Avro Schema Registry stored in Kafka's _schemas topic."""


@registry.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8081, show_default=True, help="Port to listen on.")
@click.option("--topic", default="_schemas", show_default=True, help="The compacted topic that stores the schemas.")
@click.option("--ssl-certfile", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="Serve HTTPS with this certificate (PEM).")
@click.option("--ssl-keyfile", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="The certificate's private key (PEM).")
@click.option(
    "--users-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Require HTTP basic auth: YAML of `name: {password: HASH, role: read|write|admin}`.",
)
@click.option(
    "--advertised-url",
    metavar="URL",
    help="The URL other instances use to forward writes here. Default: http(s)://HOST:PORT.",
)
@needs("registry")
@kafka_options
def registry_serve(
    settings: Any,
    host: str,
    port: int,
    topic: str,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
    users_file: Path | None,
    advertised_url: str | None,
) -> None:
    """Serve the Schema Registry REST API (Confluent's paths, content type and error codes).

    Run several instances on one topic for availability: Kafka elects one
    primary, which writes; the others serve reads and forward writes to it.

    \b
    Point any Confluent client at it:
      governance registry serve --port 8081
      schema.registry.url=http://127.0.0.1:8081
    """
    from governance.registry.server import ServeOptions, serve

    serve(settings, ServeOptions(host, port, topic, ssl_certfile, ssl_keyfile, users_file, advertised_url))


@registry.command("hash-password")
@click.password_option(help="The password to hash (prompted if not given).")
def registry_hash_password(password: str) -> None:
    """Print a password hash for the registry's --users-file."""
    from governance.registry.auth import hash_password

    click.echo(hash_password(password))


# -- schemas -----------------------------------------------------------------


schemas_dir_option = click.option(
    "--schemas",
    "schemas_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default="schemas",
    show_default=True,
    help="Folder of governed .avsc files (one per subject, named <subject>.avsc) and subjects.yml.",
)


@cli.group(context_settings=CONTEXT)
def schemas() -> None:
    """The CI gate: stop breaking Avro schema changes before they merge.

    \b
    schemas/<subject>.avsc   one schema per subject, e.g. schemas/orders-value.avsc
    schemas/subjects.yml     optional, per subject:
                               orders-value:
                                 compatibility: FULL_TRANSITIVE
                                 references: [{name: com.example.Address, subject: address-value, version: 1}]
                               old-subject-value:
                                 allow_delete: true

    \b
    Exit codes: 0 compatible, 1 breaking changes found, 2 anything else
    (bad arguments, unreadable files, missing git ref, registry unreachable).
    """


@schemas.command("check")
@click.option("--against", "against", metavar="GIT_REF", help="Check against the schemas in git at this ref (no server).")
@registry_option("Check against this registry.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people; json, one object per finding per line; junit XML; github annotations.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--verbose", "-v", is_flag=True,
              help="One finding per earlier version a field breaks against (default: one per broken field, "
                   "naming the versions).")
@schemas_dir_option
def schemas_check(against: str | None, registry_flag: str | None, fmt: str, output: Path | None, verbose: bool,
                  schemas_dir: Path) -> None:
    """Check every schema in schemas/ for changes that break consumers.

    With --against, each changed subject is checked with our engine against
    its history in git: the version at the ref, or for *_TRANSITIVE levels
    every version committed up to the ref (refused in a shallow clone, which
    lacks them: fetch with `fetch-depth: 0`). New subjects pass; a deleted one
    breaks unless subjects.yml says `allow_delete: true`. With --registry
    (or neither), each registered subject is checked at the level subjects.yml
    declares: by the registry's compatibility endpoint when the registry
    enforces that level, else by our engine against the registry's versions,
    with a warning. New subjects pass (their references come from the local
    files); a deleted one breaks as in git mode.

    \b
    Examples:
      governance schemas check --against origin/main
      governance schemas check --against HEAD~1 --format github
      governance schemas check --registry http://registry:8081 --format junit -o schemas.xml
    """
    from governance.workspace import load_workspace
    from governance.gate.report import render, render_error

    def write(report: str) -> None:
        if output is not None:
            try:
                output.write_text(report + "\n", encoding="utf-8")
            except OSError as e:
                raise GovernanceError(f"cannot write the report to {output}: {e.strerror}",
                                      hint="give -o a path in a folder that exists and is writable") from None
        elif report:
            click.echo(report)

    if against and registry_flag:
        raise click.UsageError("give --against GIT_REF or --registry URL, not both")
    try:
        workspace = load_workspace(schemas_dir)
        if against:
            from governance.gate.git_check import check_against_git

            outcome = check_against_git(workspace, against)
        else:
            from governance.gate.registry_check import check_against_registry

            outcome = check_against_registry(workspace, resolve_registry(registry_flag))
    except GovernanceError as e:  # also in the CI format, so that the pull request shows why there is no verdict
        try:
            write(render_error(e, fmt))
        except GovernanceError as unwritten:
            click.secho(f"error: {unwritten.message}", fg="red", err=True)
        raise
    if not outcome.ok:
        outcome.impacts = _downstream_impacts(schemas_dir, {f.subject for f in outcome.findings})
    for warning in outcome.warnings:
        click.echo(f"warning: {warning.message}", err=True)
    write(render(outcome, fmt, verbose))
    sys.exit(0 if outcome.ok else 1)


def _downstream_impacts(schemas_dir: Path, subjects: set[str]) -> dict[str, str]:
    """Who reads each broken subject, from rules/ and lineage/ beside schemas/ (no DataHub, no GX)."""
    from governance.lineage.build import Sources, build_estate
    from governance.lineage.show import impact_chain

    project = schemas_dir.resolve().parent
    try:
        estate = build_estate(Sources(schemas_dir, project / "rules", project / "lineage"))
    except GovernanceError as e:
        click.echo(f"note: downstream impact not shown: {e.message}", err=True)
        return {}
    impacts = {}
    for subject in subjects:
        ref = estate.subject_topic(subject)
        if ref is not None and (chain := impact_chain(estate, ref)):
            impacts[subject] = chain
    return impacts


@schemas.command("register")
@registry_option("Registry to write to.")
@click.option("--dry-run", is_flag=True, help="Say what would be registered; register nothing.")
@schemas_dir_option
def schemas_register(registry_flag: str | None, dry_run: bool, schemas_dir: Path) -> None:
    """Set each subject's level from subjects.yml, and register every subject whose
    schema the registry does not have yet.

    An unchanged schema makes no new version. A subject whose schema is
    incompatible under its level is refused (nothing registered for it, exit 1);
    the others are still registered.

    \b
    Examples:
      governance schemas register --dry-run
      governance schemas register --registry https://user:pass@registry:8081
    """
    from governance.workspace import load_workspace
    from governance.gate.register import register_all
    from governance.gate.report import render
    from governance.gate.findings import Outcome

    url = resolve_registry(registry_flag)
    actions, refused = register_all(load_workspace(schemas_dir), url, dry_run=dry_run)
    for a in actions:
        detail = f" version {a.version} id {a.schema_id}" if a.version is not None else ""
        click.echo(f"{a.what:<15} {a.subject}{detail}{a.note}")
    if refused:
        click.echo(render(Outcome(refused, len(actions), len(actions), f"registry {url}"), "text"))
    sys.exit(1 if any(a.what == "refused" for a in actions) else 0)


@schemas.command("diff")
@click.argument("subject")
@click.option("--from", "from_", metavar="V", help='Version to compare from: a number, "latest" or "local". Default: latest.')
@click.option("--to", metavar="V", help='Version to compare to: a number, "latest" or "local". Default: local.')
@click.option("--against", metavar="GIT_REF", help="Take versions from git history up to this ref instead of a registry.")
@registry_option("Registry to read versions from.")
@schemas_dir_option
def schemas_diff(subject: str, from_: str | None, to: str | None, against: str | None, registry_flag: str | None,
                 schemas_dir: Path) -> None:
    """Show what changed in SUBJECT between two versions, field by field.

    Versions are the registry's, or with --against the distinct contents of
    schemas/SUBJECT.avsc in git history (1 = oldest); "local" is the file now.

    \b
    Examples:
      governance schemas diff orders-value                      registry latest -> local file
      governance schemas diff orders-value --from 1 --to 2
      governance schemas diff orders-value --against origin/main
    """
    from governance.formats import InvalidSchemaError
    from governance.gate import diff
    from governance.workspace import load_workspace
    from governance.gate.parse import reference_texts

    local_path = schemas_dir / f"{subject}.avsc"
    local = local_path.read_text(encoding="utf-8") if local_path.exists() else None
    workspace = load_workspace(schemas_dir) if schemas_dir.is_dir() else None
    references = reference_texts(workspace, subject, workspace.texts) if workspace is not None else {}
    if against:
        versions = diff.versions_from_git(schemas_dir, subject, against)
    else:
        url = resolve_registry(registry_flag)
        versions = diff.versions_from_registry(url, subject)
    (before_label, before), (after_label, after) = diff.pick(versions, local, from_, "latest"), diff.pick(versions, local, to, "local")
    if not against:
        numbers = [label.removeprefix("version ") for label in (before_label, after_label)]
        references = {**references, **diff.registry_references(url, subject, numbers)}
    try:
        lines = diff.structural_diff(before, after, references)
    except InvalidSchemaError as e:
        raise GovernanceError(f"{subject}: {before_label} or {after_label} is not a valid schema: {e.message}") from None
    click.echo(f"{subject}: {before_label} -> {after_label}")
    for line in lines or ["  no structural changes"]:
        click.echo(f"  {line}" if not line.startswith("  ") else line)


# -- demo --------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def sentinel() -> None:
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


@sentinel.command("check")
@click.argument("pipeline_file", metavar="PIPELINE.yml", type=click.Path(path_type=Path, dir_okay=False))
@registry_option("Check rule columns against every registered version of the pipeline's subject.",
                 "Default: $GOVERNANCE_REGISTRY_URL, then the local stack; skipped when none is reachable.")
@needs("sentinel")
def sentinel_check(pipeline_file: Path, registry_flag: str | None) -> None:
    """Load a pipeline file and print what it would do; every mistake is reported with
    its file and line, exit 2. Nothing is read from Kafka. With a registry, a rule
    column that no registered version of the subject has is a mistake too."""
    from governance.errors import GovernanceError
    from governance.sentinel.columns import check_pipeline_columns
    from governance.sentinel.pipeline import load_pipeline

    p = load_pipeline(pipeline_file)
    click.echo(f"{p.path}: pipeline {p.name}, {len(p.record_rules)} record rules, {len(p.window_rules)} window rules")
    click.echo(f"  {', '.join(p.sources)} ({p.value_format}) -> valid {p.valid_topic}, DLQ {p.dlq_topic}, KPIs {p.kpi_topic}")
    for rule in (*p.record_rules, *p.window_rules):
        kind = "window" if rule in p.window_rules else rule.severity
        click.echo(f"  line {rule.line:<4} [{kind}] {rule.describe()}")
    if p.value_format == "avro":
        try:
            registry_url = resolve_registry(registry_flag)
        except GovernanceError:
            registry_url = None
        if registry_url is None:
            click.echo("  columns not checked: no schema registry (give --registry URL)")
        else:
            try:
                click.echo(f"  columns {check_pipeline_columns(p, registry_url)}")
            except GovernanceError as e:
                if registry_flag or not e.message.startswith("cannot reach"):
                    raise
                click.echo(f"  columns not checked: {e.message}")
    click.echo("OK")


@sentinel.command("run")
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
def sentinel_run(pipeline_file: Path, settings: Any, registry_flag: str | None, instance_id: str | None,
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
    __sentinel.pipeline and __sentinel.failed.rules (JSON list of {rule, message}).

    \b
    Exit codes: 0 stopped cleanly, 2 a problem to fix (file, Kafka, registry),
    3 stopped by the pipeline's dlq_limit (without one: the first 1,000 records
    all went to the DLQ, committed), 130 abandoned with a second Ctrl-C.
    """
    import gc

    from governance.sentinel.pipeline import load_pipeline
    from governance.sentinel.service import RunOptions, Sentinel
    from governance.sentinel.workers import default_workers

    pipeline = load_pipeline(pipeline_file)
    registry_url = _pipeline_registry(pipeline, registry_flag)
    reporter = _datahub_reporter(datahub, pipeline_file, registry_url, settings) if datahub else None
    options = RunOptions(registry_url=registry_url, instance_id=instance_id, metrics_port=metrics_port,
                         metrics_host=metrics_host, idle_exit_s=idle_exit, live_status=live_status, reporter=reporter,
                         workers=default_workers() if workers is None else workers)
    sentinel = Sentinel(pipeline, settings, options)
    # From here on this process only routes. Set-up (and Great Expectations with pandas, when the
    # rules need them here) left a heap of long-lived objects; without freezing it, every full
    # collection walks all of it, which cost a quarter of the routing rate with GX loaded. A program
    # that embeds a Sentinel decides this for itself.
    gc.collect()
    gc.freeze()
    sentinel.run()


@sentinel.command("replay")
@click.argument("pipeline_file", metavar="PIPELINE.yml", type=click.Path(path_type=Path, dir_okay=False))
@needs("sentinel")
@kafka_options
@registry_option("Schema registry for Avro values.")
@click.option("--rule", metavar="NAME", help="Only dead letters that failed this rule (its name as in the DLQ headers).")
@click.option("--stage", type=click.Choice(["deserialize", "validate", "produce"]), help="Only dead letters of this stage.")
@click.option("--since", metavar="TIME", help="Only records from this time on (ISO 8601, UTC unless it says; or epoch ms).")
@click.option("--until", metavar="TIME", help="Only records before this time.")
@click.option("--dry-run", is_flag=True, help="Say what would move and why; write nothing.")
def sentinel_replay(pipeline_file: Path, settings: Any, registry_flag: str | None, rule: str | None, stage: str | None,
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
    registry_url = _pipeline_registry(pipeline, registry_flag)
    where = ReplayFilter(rule, stage, parse_time(since) if since else None, parse_time(until) if until else None)
    if rule is not None and rule not in {r.name for r in pipeline.record_rules}:
        from governance.errors import did_you_mean

        click.echo(f"note: no rule of {pipeline_file} is named {rule!r} now"
                   + did_you_mean(rule, [r.name for r in pipeline.record_rules]), err=True)
    replay(pipeline, settings, registry_url, where, dry_run, sys.stdout)


def _pipeline_registry(pipeline: Any, registry_flag: str | None) -> str | None:
    """The registry an Avro pipeline needs; a JSON pipeline runs without one (its KPI records are JSON)."""
    try:
        return resolve_registry(registry_flag)
    except GovernanceError:
        if pipeline.value_format == "avro":
            raise
        return None


def _datahub_reporter(datahub: str, pipeline_file: Path, registry_url: str | None, settings: Any) -> Any:
    require("lineage", "`sentinel run --datahub`")
    from governance.lineage.build import pipeline_estate
    from governance.lineage.datahub import Mapper
    from governance.kafka.settings import KafkaSettings
    from governance.lineage.emit import parse_target
    from governance.lineage.reporter import DataHubReporter

    def kafka(servers: str | None) -> Any:  # the sentinel's own cluster comes with its client properties
        return settings if servers in (None, settings.bootstrap_servers) else KafkaSettings(servers, source="--datahub")

    target = parse_target(datahub, registry_url=registry_url, kafka=kafka)
    mapper = Mapper(pipeline_estate(pipeline_file, registry_url))
    (job,) = [j for j in mapper.estate.jobs if j.kind == "sentinel"]
    return DataHubReporter(target, mapper.mcps, lambda kpi: mapper.window_results(job, kpi))


@cli.group(context_settings=CONTEXT)
def lineage() -> None:
    """Lineage and quality in DataHub's model: topics with their schemas, sentinel pipelines
    as jobs between raw, valid and dead-letter topics, declared flows around Kafka
    (lineage/*.yml, Kafka Connect configs) and every rule as an assertion.

    \b
    Start here:
      governance lineage show                       the whole graph in the terminal
      governance lineage show orders                one topic: upstream and downstream
      governance lineage impact orders-value        what a schema change could break
      governance lineage emit --to lite             into DataHub Lite (no server needed)
      governance lineage emit --to http://gms:8080  into a DataHub server
    """


project_option = click.option(
    "--project", type=click.Path(path_type=Path, file_okay=False, exists=True), default=".", show_default=True,
    help="The folder holding schemas/, rules/ and lineage/.")


def _estate(project: Path, registry_url: str | None, registry_subjects: bool = False) -> Any:
    from governance.lineage.build import Sources, build_estate

    return build_estate(Sources(project / "schemas", project / "rules", project / "lineage", registry_url, registry_subjects))


@lineage.command("emit")
@project_option
@click.option("--to", "to", metavar="TARGET",
              help="file:PATH, lite[:PATH], http(s)://GMS or kafka://BOOTSTRAP (kafka:// alone: the Kafka of -b, "
                   "--kafka-config or the local stack). Default: $DATAHUB_GMS_URL, "
                   "else file:build/lineage.json.")
@click.option("--token", envvar="DATAHUB_GMS_TOKEN", metavar="TOKEN", help="DataHub access token (REST). Default: $DATAHUB_GMS_TOKEN.")
@click.option("--openapi/--restli", "openapi", default=None,
              help="REST: DataHub's OpenAPI endpoint or Rest.li's ingestProposal. Default: as the server says.")
@registry_option("Read the registered schemas (ids, versions, levels) from here; the Kafka target also keeps "
                 "DataHub's Avro schemas here.", "Default: $GOVERNANCE_REGISTRY_URL, then the local stack, else schemas/ only.")
@click.option("--env", default="PROD", show_default=True, help="DataHub environment (fabric) of the datasets.")
@click.option("--platform-instance", metavar="NAME", help="DataHub platform instance of this Kafka cluster.")
@click.option("--bootstrap-servers", "-b", metavar="HOST:PORT[,...]",
              help="Kafka to read topics' partition counts from, and `--to kafka://`'s. Default: "
                   "$GOVERNANCE_BOOTSTRAP_SERVERS, then the local stack; without one, no partition counts.")
@kafka_config_option
@click.option("--include-registry-subjects", is_flag=True,
              help="Also publish every other -value subject of the registry as a topic (no lineage).")
@needs("lineage")
def lineage_emit(project: Path, to: str | None, token: str | None, openapi: bool | None, registry_flag: str | None,
                 env: str, platform_instance: str | None, bootstrap_servers: str | None,
                 kafka_config: Path | None, include_registry_subjects: bool) -> None:
    """Publish the governed estate (schemas/, rules/, lineage/: what `lineage show` and the console
    show) to DataHub, with what the registry knows of it. Emitting the same estate twice changes
    nothing: every aspect is written whole, with stable URNs."""
    from collections import Counter

    from governance.lineage.datahub import DataHubOptions, Mapper
    from governance.lineage.emit import open_emitter, parse_target

    try:
        registry_url: str | None = resolve_registry(registry_flag)
    except GovernanceError:
        registry_url = None
    target = parse_target(to, token=token, openapi=openapi, registry_url=registry_url,
                          kafka=lambda servers: resolve_kafka(servers or bootstrap_servers, kafka_config))
    asked = registry_url if registry_flag or target.kind == "kafka" else _reachable(registry_url)
    if include_registry_subjects and asked is None:
        raise GovernanceError("--include-registry-subjects needs a schema registry that answers",
                              hint="pass --registry URL or set $GOVERNANCE_REGISTRY_URL")
    estate = _estate(project, asked, include_registry_subjects)
    if asked is None:
        click.echo("note: no schema registry reached: the declared levels of schemas/ are published, "
                   "without the registry's ids, versions and levels", err=True)
    for warning in estate.level_warnings():
        click.echo(f"warning: {warning}", err=True)
    _add_partitions(estate, bootstrap_servers, kafka_config)
    mcps = Mapper(estate, DataHubOptions(env, platform_instance)).mcps()
    emitter = open_emitter(target)
    try:
        emitter.emit(mcps)
    finally:
        emitter.close()
    kinds = Counter(mcp.entityType for mcp in mcps)
    click.echo(f"emitted {len(mcps)} aspects to {target.describe()}: "
               + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())))
    click.echo(f"  {sum(1 for r in estate.datasets if r.platform == 'kafka')} topics, "
               f"{sum(1 for r in estate.datasets if r.platform != 'kafka')} other datasets, {len(estate.jobs)} jobs, "
               f"{sum(len(j.assertions) for j in estate.jobs)} assertions")


def _add_partitions(estate: Any, bootstrap_servers: str | None, kafka_config: Path | None) -> None:
    from governance.lineage.build import add_partitions

    try:
        settings = resolve_kafka(bootstrap_servers, kafka_config)
    except GovernanceError:
        if kafka_config:
            raise
        return
    if not add_partitions(estate, settings, timeout=5) and bootstrap_servers:
        raise GovernanceError(f"cannot reach Kafka at {bootstrap_servers} for the topics' partition counts",
                              hint="check --bootstrap-servers, or leave it out")


def _reachable(url: str | None) -> str | None:
    """The registry if it answers; lineage from schemas/ alone otherwise."""
    if url is None:
        return None
    import urllib.request

    try:
        urllib.request.urlopen(url + "/subjects", timeout=2).close()
        return url
    except OSError:
        return None


@lineage.command("show")
@click.argument("topic", required=False)
@project_option
@click.option("--bootstrap-servers", "-b", metavar="HOST:PORT[,...]",
              help="Kafka holding the pipelines' KPI topics, for their latest compliance. "
                   "Default: $GOVERNANCE_BOOTSTRAP_SERVERS, then the local stack; without one, no compliance.")
@registry_option("Registry of the KPI schema.", "Default: as for Kafka.")
@needs("lineage")
def lineage_show(topic: str | None, project: Path, bootstrap_servers: str | None, registry_flag: str | None) -> None:
    """The upstream and downstream graph of TOPIC (a topic name, or platform:name), or of everything,
    with each sentinel pipeline's latest window compliance when Kafka is reachable."""
    from governance.lineage.show import show

    estate = _estate(project, None)
    for line in show(estate, topic, _compliance(estate, bootstrap_servers, registry_flag)):
        click.echo(line)


def _compliance(estate: Any, bootstrap_servers: str | None, registry_flag: str | None) -> dict[str, str]:

    if not any(job.kind == "sentinel" for job in estate.jobs):
        return {}
    try:
        settings = resolve_kafka(bootstrap_servers, None)
    except GovernanceError:
        return {}
    try:
        registry_url: str | None = resolve_registry(registry_flag)
    except GovernanceError:
        registry_url = None  # JSON KPI records (pipelines run without a registry) are still read
    from governance.lineage.health import latest_compliance

    return latest_compliance(settings, registry_url, estate.jobs)


@lineage.command("impact")
@click.argument("subject")
@project_option
def lineage_impact(subject: str, project: Path) -> None:
    """What lies downstream of SUBJECT's topic: pipelines, topics, sinks."""
    from governance.lineage.show import impact

    for line in impact(_estate(project, None), subject):
        click.echo(line)


@cli.command("console", context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8090, show_default=True, help="Port to listen on.")
@project_option
@click.option("--bootstrap-servers", "-b", metavar="HOST:PORT[,...]",
              help="Kafka with the pipelines' KPI and DLQ topics. Default: $GOVERNANCE_BOOTSTRAP_SERVERS, then the local stack.")
@kafka_config_option
@registry_option("The schema registry.")
@click.option("--users-file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The registry's users file: every page then needs HTTP basic credentials with at least role read.")
@needs("console")
def console(host: str, port: int, project: Path, bootstrap_servers: str | None, kafka_config: Path | None,
            registry_flag: str | None, users_file: Path | None) -> None:
    """A read-only web console for data stewards: pipeline health, subjects and their versions,
    KPI charts, a dead-letter browser and the lineage graph. Ctrl-C stops it."""
    import uvicorn

    from governance.console.app import ConsoleConfig, create_app

    try:
        settings = resolve_kafka(bootstrap_servers, kafka_config)
    except GovernanceError as e:
        if bootstrap_servers or kafka_config:
            raise
        click.echo(f"note: no Kafka ({e.message}); KPIs and dead letters are not shown", err=True)
        settings = None
    try:
        registry_url: str | None = resolve_registry(registry_flag)
    except GovernanceError as e:
        if registry_flag:
            raise
        click.echo(f"note: no schema registry ({e.message}); subjects are not shown", err=True)
        registry_url = None
    app = create_app(ConsoleConfig(project.resolve(), registry_url, settings, users_file))
    click.echo(f"console on http://{host}:{port}/ (project {project.resolve()}, Kafka "
               f"{settings.bootstrap_servers if settings else 'none'}, registry {registry_url or 'none'})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@cli.command(context_settings=CONTEXT)
@click.option("--duration", type=click.FloatRange(0), default=60, show_default=True, metavar="SECONDS",
              help="How long the live part writes records; 0 skips it.")
@click.option("--rate", type=click.FloatRange(1, 50_000), default=150, show_default=True, metavar="RECORDS/S",
              help="Records per second the live part writes, split between clickstream, orders and payments.")
@click.option("--records", type=click.IntRange(1), default=10_000, show_default=True,
              help="Records the Kafka check writes in its committed transaction.")
@kafka_flags
@registry_option("Schema registry to use with a cluster of your own.",
                 "Default: $GOVERNANCE_REGISTRY_URL, then the local stack's.")
@schemas_dir_option
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path, file_okay=False), default="rules",
              show_default=True, help="Folder of pipeline files: the live part runs a sentinel for each.")
@data_dir_option
@needs("all")
def demo(
    duration: float,
    rate: float,
    records: int,
    bootstrap_servers: str | None,
    kafka_config: Path | None,
    registry_flag: str | None,
    schemas_dir: Path,
    rules_dir: Path,
    data_dir: Path | None,
) -> None:
    """The whole product, live: starts the local stack (Kafka, registry, console) unless a
    cluster is given, and checks every part it shows.

    \b
    1. Kafka: RECORDS records in a committed transaction and a tenth as many in
       an aborted one, read back by a read_committed consumer.
    2. Registry: sets each subject's level from schemas/subjects.yml and
       registers schemas/*.avsc (as `schemas register`), sends Avro through Confluent's
       serializers, and asks about a breaking change.
    3. Live, for DURATION seconds: a generator writes a clickstream, orders and
       card payments with about 5% bad records of several kinds; a sentinel per
       pipeline in rules/ routes them; a producer's breaking schema is refused.
       Then every record is looked up on the valid topics and DLQs and checked
       against what the generator knows it wrote. Ctrl-C stops it cleanly.
    4. Lineage, with every sentinel window's assertion results: published to
       build/lineage.json and DataHub Lite (and to DataHub when $DATAHUB_GMS_URL is set).

    The stack and console keep running afterwards; `governance stack down` stops them.
    """
    import os

    from governance.demo.registry_tour import run_walkthrough
    from governance.demo.smoke import run_demo
    from governance.kafka.settings import BOOTSTRAP_ENV
    from governance.registry.location import REGISTRY_ENV
    from governance.stack.cluster import LocalStack

    bootstrap_servers = bootstrap_servers or os.environ.get(BOOTSTRAP_ENV)
    registry_flag = registry_flag or os.environ.get(REGISTRY_ENV)
    console_url, console_note = None, ""
    if not bootstrap_servers:
        LocalStack(data_dir).up()
        status = LocalStack(data_dir).status()
        if status is not None and status.console_alive and status.state.console is not None:
            console_url = status.state.console.url
            shown, here = Path(status.state.console.project).resolve(), schemas_dir.resolve().parent
            if shown != here:  # the stack's console shows where `stack up` first ran
                console_note = (f"; it shows {shown}, not {here}: `governance console --port 0` here shows this "
                                "folder's schemas, rules and lineage")
    settings = resolve_kafka(bootstrap_servers, kafka_config, data_dir)
    click.echo(f"Kafka: {settings.bootstrap_servers} (from {settings.source})")
    result = run_demo(settings, records)
    click.echo(f"  topic                        {result.topic}")
    click.echo(f"  written, committed txn       {result.committed}")
    click.echo(f"  written, aborted txn         {result.aborted}")
    click.echo(f"  read back (read_committed)   {result.read}")
    click.echo(f"  aborted records seen         {result.aborted_seen}")
    click.echo(f"  {'OK' if result.ok else 'FAILED'} in {result.seconds:.1f}s")
    ok = result.ok

    if bootstrap_servers and not registry_flag:
        click.echo("Schema registry: skipped (pass --registry URL to include it, and the live part with it).")
    else:
        registry_url = resolve_registry(registry_flag, data_dir)
        click.echo(f"Schema registry: {registry_url}")
        walk = run_walkthrough(settings, registry_url, schemas_dir)
        for level in walk.levels:
            click.echo(f"  level set  {level}")
        for subject, schema_id, version in walk.registered:
            click.echo(f"  registered {subject:<28} id {schema_id:<4} version {version}")
        click.echo(f"  Avro records via Confluent serializers   {walk.received_equal}/{walk.sent} read back equal")
        click.echo("  adding a required field `email` to user-activity-value would break consumers:")
        for message in walk.breaking_change_messages:
            click.echo(f"    {message}")
        click.echo(f"  {'OK' if walk.ok else 'FAILED'}")
        ok = ok and walk.ok
        if duration > 0:
            # settings.config_file: --kafka-config, or a secured local stack's client properties
            ok = _demo_live(settings, registry_url, duration, rate, schemas_dir, rules_dir, settings.config_file,
                            console_url) and ok
        _demo_lineage(registry_url, Path("build/demo") if duration > 0 else None)
    if console_url:
        click.echo(f"Console: {console_url} (open it in a browser{console_note})")
    if not bootstrap_servers:
        click.echo("The stack and console keep running; `./run stack down` stops them.")
    sys.exit(0 if ok else 1)


def _demo_live(settings: Any, registry_url: str, duration: float, rate: float, schemas_dir: Path, rules_dir: Path,
               kafka_config: Path | None, console_url: str | None) -> bool:
    from governance.demo.live import LiveOptions, report, run_live

    click.echo(f"Live: a sentinel for each pipeline in {rules_dir}/, records for {duration:,.0f} s (Ctrl-C stops early)")
    options = LiveOptions(duration, rate, registry_url, rules_dir, schemas_dir, kafka_config=kafka_config,
                          console_url=console_url)
    try:
        live = run_live(settings, options, sys.stdout)
    except KeyboardInterrupt:
        click.echo("Interrupted: the generator and the sentinels stopped (each sentinel committed what it had "
                   "routed); the stack and console keep running (`./run stack down` stops them).", err=True)
        sys.exit(130)
    report(live, sys.stdout)
    click.echo(f"  {'OK' if live.ok else 'FAILED'} in {live.seconds:.0f}s")
    return live.ok


def _demo_lineage(registry_url: str, results_dir: Path | None) -> None:
    """Publish the project's lineage, and the demo's sentinels' window results from `results_dir`, to a file
    and to DataHub Lite (and to DataHub when $DATAHUB_GMS_URL says)."""
    import os

    from governance.lineage.build import Sources, build_estate
    from governance.lineage.datahub import Mapper
    from governance.lineage.emit import open_emitter, parse_target

    click.echo("Lineage:")
    if not Path("lineage").is_dir():
        click.echo("  skipped: run the demo from the project folder (it reads schemas/, rules/ and lineage/)")
        return
    try:
        mcps = Mapper(build_estate(Sources(Path("schemas"), Path("rules"), Path("lineage"), registry_url))).mcps()
    except GovernanceError as e:
        click.echo(f"  not published: {e.message}")
        return
    if results_dir is not None:
        from governance.lineage.results import PREFIX, read_results

        results = read_results(sorted(results_dir.glob(f"{PREFIX}*.json")))
        mcps += results.mcps
        click.echo(f"  {len(results.mcps)} assertion results of {results.windows} sentinel windows from "
                   f"{len(results.files)} file(s) in {results_dir}/" + "".join(f"; unread: {p}" for p in results.problems))
    targets = ["file:build/lineage.json", "lite"] + ([os.environ["DATAHUB_GMS_URL"]] if os.environ.get("DATAHUB_GMS_URL") else [])
    for text in targets:
        target = parse_target(text, registry_url=registry_url)
        try:
            emitter = open_emitter(target)
            try:
                emitter.emit(mcps)
            finally:
                emitter.close()
            click.echo(f"  {len(mcps)} aspects -> {target.describe()}")
        except Exception as e:  # a demo goes on without one target
            click.echo(f"  {target.describe()}: not published ({getattr(e, 'message', e)})")
    click.echo("  look at it: ./run lineage show orders, or datahub lite ls /streaming/kafka/instances/default/topics")


def main() -> None:
    try:
        with missing_as_error():
            cli.main(standalone_mode=False)
    except GovernanceError as exc:
        click.secho(f"error: {exc.message}", fg="red", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)


if __name__ == "__main__":
    main()
