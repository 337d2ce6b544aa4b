"""`governance kafka check`: first contact with a cluster (governance.kafka)."""

from __future__ import annotations

import click

from governance.cli.options import CONTEXT, kafka_options
from governance.extras import needs
from governance.kafka.settings import KafkaSettings


@click.group("kafka", context_settings=CONTEXT)
def command() -> None:
    """Talk to a Kafka cluster, local or not."""


@command.command("check")
@needs("stack")
@kafka_options
def kafka_check(settings: KafkaSettings) -> None:
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
