"""`governance rules suggest`: quality rules proposed from a sample of a topic (governance.rules)."""

from __future__ import annotations

from pathlib import Path

import click

from governance.cli.options import CONTEXT, RegistryFlag, kafka_options, registry_option
from governance.extras import needs
from governance.kafka.settings import KafkaSettings


@click.group("rules", context_settings=CONTEXT)
def command() -> None:
    """Quality rules proposed from the data itself, for a person to review."""


@command.command("suggest")
@click.argument("topic")
@needs("sentinel")
@kafka_options
@registry_option("Schema registry the topic's values are registered in.")
@click.option("--subject", metavar="SUBJECT", help="The subject of the topic's values. Default: TOPIC-value.")
@click.option("--max-records", type=click.IntRange(1), default=10_000, show_default=True, metavar="N",
              help="Read at most this many records.")
@click.option("--max-seconds", type=click.FloatRange(0, min_open=True), default=30.0, show_default=True,
              metavar="S", help="Read for at most this long.")
@click.option("--min-records", type=click.IntRange(1), default=100, show_default=True, metavar="N",
              help="Refuse to propose from fewer decoded records.")
@click.option("--min-values", type=click.IntRange(1), default=50, show_default=True, metavar="N",
              help="Non-null values a field needs for a range, set, length or pattern rule.")
@click.option("--margin", type=click.FloatRange(0), default=0.1, show_default=True, metavar="SHARE",
              help="Widen each observed range by this share of its span on each side (never to or across 0).")
@click.option("--as", "output", type=click.Choice(["pipeline", "contract"]), default="pipeline", show_default=True,
              help="A sentinel pipeline file, or the subject's data contract: a Confluent ruleSet of CEL rules.")
@click.option("-o", "--output-file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Write here. Default: stdout.")
def rules_suggest(topic: str, settings: KafkaSettings, registry: RegistryFlag, subject: str | None,
                  max_records: int, max_seconds: float, min_records: int, min_values: int, margin: float,
                  output: str, output_file: Path | None) -> None:
    """Read a sample of TOPIC from its earliest offsets, profile every field and propose rules:
    not null, a range, a set of values, lengths, a pattern, each under a comment saying what
    was observed and why its severity. Progress and a summary go to stderr.

    \b
    Fewer than --min-records decoded records: nothing is proposed, exit 2.

    \b
    Examples:
      governance rules suggest transactions -o rules/transactions.yml
      governance sentinel check rules/transactions.yml
      governance rules suggest transactions --as contract -o transactions-ruleset.json
    """
    from governance.rules.propose import Thresholds
    from governance.rules.suggest import Limits, register_hint, suggest

    registry_url = registry.url()
    say = lambda line: click.echo(line, err=True)  # noqa: E731
    text = suggest(settings, registry_url, topic, subject or f"{topic}-value", output,  # type: ignore[arg-type]
                   Limits(max_records, max_seconds), Thresholds(min_records, min_values, margin=margin),
                   lambda n, s: say(f"sampling {topic}: {n:,} records read in {s:.1f} s"), say)
    if output_file is None:
        click.echo(text, nl=False)
    else:
        output_file.write_text(text, encoding="utf-8")
        say(f"wrote {output_file}")
    if output == "contract":
        say(register_hint(registry_url, subject or f"{topic}-value", str(output_file or "ruleset.json")))
    else:
        say(f"check it with: governance sentinel check {output_file or 'FILE'}")
