"""`governance rules suggest`: sample a topic, profile it, propose rules, write them as a
pipeline file or a contract's `ruleSet`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from governance.errors import GovernanceError
from governance.kafka import KafkaSettings
from governance.rules.propose import Proposals, Thresholds, TooSmall, propose
from governance.rules.ruleset import ruleset
from governance.rules.sample import Progress, Sample, read_sample, value_format_of
from governance.rules.write import pipeline_text

Output = Literal["pipeline", "contract"]


@dataclass(frozen=True)
class Limits:
    max_records: int = 10_000
    max_seconds: float = 30.0


def suggest(settings: KafkaSettings, registry_url: str, topic: str, subject: str, output: Output,
            limits: Limits, thresholds: Thresholds, progress: Progress, say: Callable[[str], None]) -> str:
    """The text to write; `say` gets the sample's summary (for stderr)."""
    from governance.sentinel.decode import Decoder

    value_format = value_format_of(registry_url, subject)
    decoder = Decoder(value_format, registry_url, subject)  # type: ignore[arg-type]
    sample = read_sample(settings, topic, decoder, limits.max_records, limits.max_seconds, progress)
    for line in summary(sample, subject):
        say(line)
    try:
        proposals = propose(sample.profile, thresholds)
    except TooSmall as e:
        raise GovernanceError(
            f"{topic}: not proposing rules from {e}: a smaller sample says too little about the data",
            hint=f"raise --max-seconds (read stopped at {sample.stopped}) or --max-records, produce more records "
                 f"to {topic}, or lower --min-records if you know the data") from None
    say(f"proposed {len(proposals.rules)} rules ({sum(r.severity == 'critical' for r in proposals.rules)} critical) "
        f"on {len(sample.profile.fields)} fields")
    if output == "contract":
        return json.dumps(ruleset(proposals, value_format, f"{topic}-dlq"), indent=2, ensure_ascii=False) + "\n"
    return pipeline_text(proposals, topic, subject, value_format, header(sample, subject, thresholds, proposals))


def summary(sample: Sample, subject: str) -> list[str]:
    decoded = sample.profile.records
    lines = [f"read {sample.read:,} records of {sample.topic} ({decoded:,} decoded with {subject}, "
             f"{sample.undecoded:,} not) in {sample.seconds:.1f} s; stopped at {sample.stopped}"]
    for reason, count in sample.failures.most_common(3):
        lines.append(f"  not decoded, {count:,}x: {reason}")
    return lines


def header(sample: Sample, subject: str, t: Thresholds, proposals: Proposals) -> list[str]:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"Proposed by `governance rules suggest {sample.topic}` on {when} from {proposals.records:,} records:",
        f"{sample.topic} from the earliest offsets ({sample.partitions} partitions, read_committed), decoded with "
        f"subject {subject};",
        f"reading stopped at {sample.stopped}; {sample.undecoded:,} records did not decode and are not profiled.",
        f"A range, set, length or pattern rule needs {t.min_values:,} non-null values; a set at most "
        f"{t.max_distinct} values, each seen {t.min_each}+ times;",
        f"ranges are widened by {t.margin:.0%} of the observed span on each side (never to or across 0).",
    ]


def register_hint(registry_url: str, subject: str, file: str) -> str:
    """How to register the subject's latest schema again with the proposed `ruleSet` (a new version)."""
    from governance.registry.client import subject_path

    url = f"{registry_url.rstrip('/')}/subjects/{subject_path(subject)}/versions"
    return (f"to register it with the subject's latest schema as a new version of {subject}:\n"
            f"  curl -s {url}/latest | jq --slurpfile rs {file} '{{schema, schemaType: (.schemaType // \"AVRO\"), "
            f"references: (.references // []), ruleSet: $rs[0]}}' \\\n"
            f"    | curl -s -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' --data @- {url}")
