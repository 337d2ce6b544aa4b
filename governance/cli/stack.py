"""`governance stack up|down|status`: the local cluster (governance.stack)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from governance.cli.options import CONTEXT, data_dir_option
from governance.extras import needs
from governance.kafka.settings import CONFIG_ENV


@click.group("stack", context_settings=CONTEXT)
def command() -> None:
    """A local Apache Kafka cluster (KRaft, loopback only) for demos, development and tests.

    The broker jars come from Maven Central through Maven on first use and are
    cached in ~/.cache/governance. Java 17+ is needed.
    """


@command.command("up")
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


@command.command("down")
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


@command.command("status")
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
        for line in status.describe():
            click.echo(line)
    sys.exit(0 if status.running else 1)
