"""`governance console`: the steward's read-only web console (governance.console)."""

from __future__ import annotations

from pathlib import Path

import click

from governance.cli.options import CONTEXT, KafkaFlags, RegistryFlag, kafka_flags, project_option, registry_option
from governance.extras import needs


@click.command("console", context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8090, show_default=True, help="Port to listen on.")
@project_option
@kafka_flags("Kafka with the pipelines' KPI and DLQ topics. Default: $GOVERNANCE_BOOTSTRAP_SERVERS, then the local stack.")
@registry_option("The schema registry.")
@click.option("--users-file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The registry's users file: every page then needs HTTP basic credentials with at least role read.")
@needs("console")
def command(host: str, port: int, project: Path, kafka: KafkaFlags, registry: RegistryFlag,
            users_file: Path | None) -> None:
    """A read-only web console for data stewards: pipeline health, subjects and their versions,
    KPI charts, a dead-letter browser and the lineage graph. Ctrl-C stops it."""
    import uvicorn

    from governance.console.app import ConsoleConfig, create_app

    settings = kafka.settings_or_none(
        note=lambda why: click.echo(f"note: no Kafka ({why}); KPIs and dead letters are not shown", err=True))
    registry_url = registry.url_or_none(
        note=lambda why: click.echo(f"note: no schema registry ({why}); subjects are not shown", err=True))
    app = create_app(ConsoleConfig(project.resolve(), registry_url, settings, users_file))
    click.echo(f"console on http://{host}:{port}/ (project {project.resolve()}, Kafka "
               f"{settings.bootstrap_servers if settings else 'none'}, registry {registry_url or 'none'})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
