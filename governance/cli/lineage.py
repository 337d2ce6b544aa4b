"""`governance lineage emit|show|impact`: lineage and quality in DataHub's model (governance.lineage)."""

from __future__ import annotations

from pathlib import Path

import click

from governance.cli.options import (CONTEXT, KafkaFlags, RegistryFlag, kafka_flags, project_option,
                                    registry_option)
from governance.extras import needs


@click.group("lineage", context_settings=CONTEXT)
def command() -> None:
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


def _stderr(line: str) -> None:
    click.echo(line, err=True)


@command.command("emit")
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
@kafka_flags("Kafka to read topics' partition counts from, and `--to kafka://`'s. Default: "
             "$GOVERNANCE_BOOTSTRAP_SERVERS, then the local stack; without one, no partition counts.")
@click.option("--include-registry-subjects", is_flag=True,
              help="Also publish every other -value subject of the registry as a topic (no lineage).")
@needs("lineage")
def lineage_emit(project: Path, to: str | None, token: str | None, openapi: bool | None, registry: RegistryFlag,
                 env: str, platform_instance: str | None, kafka: KafkaFlags, include_registry_subjects: bool) -> None:
    """Publish the governed estate (schemas/, rules/, lineage/: what `lineage show` and the console
    show) to DataHub, with what the registry knows of it. Emitting the same estate twice changes
    nothing: every aspect is written whole, with stable URNs."""
    from governance.lineage.datahub import DataHubOptions
    from governance.lineage.emit import parse_target
    from governance.lineage.publish import EmitRequest, emit_project

    registry_url = registry.url_or_none()
    target = parse_target(to, token=token, openapi=openapi, registry_url=registry_url,
                          kafka=lambda servers: KafkaFlags(servers or kafka.bootstrap_servers, kafka.kafka_config).settings())
    request = EmitRequest(project, target, registry_url, bool(registry.flag), include_registry_subjects,
                          DataHubOptions(env, platform_instance), kafka.bootstrap_servers)
    for line in emit_project(request, kafka.settings_or_none, note=_stderr):
        click.echo(line)


@command.command("show")
@click.argument("topic", required=False)
@project_option
@kafka_flags("Kafka holding the pipelines' KPI topics, for their latest compliance. "
             "Default: $GOVERNANCE_BOOTSTRAP_SERVERS, then the local stack; without one, no compliance.", config=False)
@registry_option("Registry of the KPI schema.", "Default: as for Kafka.")
@needs("lineage")
def lineage_show(topic: str | None, project: Path, kafka: KafkaFlags, registry: RegistryFlag) -> None:
    """The upstream and downstream graph of TOPIC (a topic name, or platform:name), or of everything,
    with each sentinel pipeline's latest window compliance when Kafka is reachable."""
    from governance.lineage.build import project_estate
    from governance.lineage.show import show

    estate = project_estate(project)
    compliance: dict[str, str] = {}
    if any(job.kind == "sentinel" for job in estate.jobs) and (settings := kafka.settings_or_none()) is not None:
        from governance.lineage.health import latest_compliance

        # without a registry, JSON KPI records (pipelines run without one) are still read
        compliance = latest_compliance(settings, registry.url_or_none(), estate.jobs)
    for line in show(estate, topic, compliance):
        click.echo(line)


@command.command("impact")
@click.argument("subject")
@project_option
def lineage_impact(subject: str, project: Path) -> None:
    """What lies downstream of SUBJECT's topic: pipelines, topics, sinks."""
    from governance.lineage.build import project_estate
    from governance.lineage.show import impact

    for line in impact(project_estate(project), subject):
        click.echo(line)
