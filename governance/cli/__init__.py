"""The `governance` command line: parses arguments and calls the modules that do the work.

One module per command group; options several commands share are declared once in
`options.py`. Imports of the feature modules happen inside the commands so that
`governance --help` and fast paths such as the CI gate start quickly.
"""

from __future__ import annotations

import sys

import click

from governance import __version__
from governance.cli import console, demo, kafka, lineage, registry, rules, schemas, sentinel, stack
from governance.cli.options import CONTEXT
from governance.errors import GovernanceError
from governance.extras import missing_as_error


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
      governance rules suggest   rules proposed from a sample of a topic, for review
      governance lineage show    where data comes from and goes, from schemas, rules and lineage/
    """


for module in (stack, kafka, registry, schemas, sentinel, rules, lineage, console, demo):
    cli.add_command(module.command)


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

