"""`governance demo`: the whole product, live (governance.demo)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from governance.cli.options import (CONTEXT, KafkaFlags, RegistryFlag, data_dir_option, kafka_flags,
                                    registry_option, schemas_dir_option)
from governance.extras import needs


@click.command("demo", context_settings=CONTEXT)
@click.option("--duration", type=click.FloatRange(0), default=60, show_default=True, metavar="SECONDS",
              help="How long the live part writes records; 0 skips it.")
@click.option("--rate", type=click.FloatRange(1, 50_000), default=150, show_default=True, metavar="RECORDS/S",
              help="Records per second the live part writes, split between the streams of the seed's five pipelines.")
@click.option("--records", type=click.IntRange(1), default=10_000, show_default=True,
              help="Records the Kafka check writes in its committed transaction.")
@kafka_flags()
@registry_option("Schema registry to use with a cluster of your own.",
                 "Default: $GOVERNANCE_REGISTRY_URL, then the local stack's.")
@schemas_dir_option
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path, file_okay=False), default="rules",
              show_default=True, help="Folder of pipeline files: the live part runs a sentinel for each.")
@data_dir_option
@needs("all")
def command(duration: float, rate: float, records: int, kafka: KafkaFlags, registry: RegistryFlag,
            schemas_dir: Path, rules_dir: Path, data_dir: Path | None) -> None:
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
    from governance.demo.run import DemoOptions, LiveInterrupted, run_demo_tour
    from governance.kafka.settings import BOOTSTRAP_ENV
    from governance.registry.location import REGISTRY_ENV

    # A cluster or registry named in the environment counts as given, as a flag does.
    kafka = KafkaFlags(kafka.bootstrap_servers or os.environ.get(BOOTSTRAP_ENV), kafka.kafka_config)
    registry = RegistryFlag(registry.flag or os.environ.get(REGISTRY_ENV))
    options = DemoOptions(duration, rate, records, schemas_dir, rules_dir, data_dir,
                          cluster_given=bool(kafka.bootstrap_servers), registry_given=bool(registry.flag))
    try:
        ok = run_demo_tour(options, lambda: kafka.settings(data_dir), lambda: registry.url(data_dir), sys.stdout)
    except LiveInterrupted as e:
        click.echo(str(e), err=True)
        sys.exit(130)
    sys.exit(0 if ok else 1)
