"""A bounded sample of a topic from its earliest offsets, decoded as the sentinel decodes it.

Read committed, by a consumer that only assigns and never commits (no group offsets are
left behind). Reading stops at whichever comes first: the end of every partition as it
was when the read began, `max_records`, `max_seconds`, or nothing arriving for
`IDLE_S` (an open transaction holds read_committed back).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from governance.errors import GovernanceError, did_you_mean
from governance.kafka import KafkaSettings
from governance.registry.client import RegistryClient, RegistryClientError, subject_path
from governance.rules.profile import Profile
from governance.sentinel.decode import Decoder, DecodeFailure

IDLE_S = 5.0
VALUE_FORMATS = {"AVRO": "avro", "PROTOBUF": "protobuf", "JSON": "json_schema"}
"""The registry's schemaType -> the sentinel's value_format."""
Progress = Callable[[int, float], None]
"""Told (records read, seconds) about once a second and at the end."""


@dataclass
class Sample:
    topic: str
    partitions: int
    profile: Profile = field(default_factory=Profile)
    read: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    """Why records did not decode -> how many."""
    seconds: float = 0.0
    stopped: str = ""
    """Why reading stopped, in words."""

    @property
    def undecoded(self) -> int:
        return sum(self.failures.values())


def value_format_of(registry_url: str, subject: str) -> str:
    """The sentinel's value_format of the subject's latest schema; a clear error if none is registered there."""
    registry = RegistryClient(registry_url, unreachable_hint="check --registry / $GOVERNANCE_REGISTRY_URL")
    try:
        latest = registry.call("GET", f"/subjects/{subject_path(subject)}/versions/latest")
    except RegistryClientError as e:
        if e.status != 404:
            raise
        subjects = registry.call("GET", "/subjects")
        raise GovernanceError(f"no schema is registered under subject {subject} at {registry.url}"
                              + did_you_mean(subject, subjects if isinstance(subjects, list) else []),
                              hint="give the subject the topic's values are written with (--subject SUBJECT)") from None
    schema_type = latest.get("schemaType") or "AVRO"
    if schema_type not in VALUE_FORMATS:
        raise GovernanceError(f"subject {subject} holds {schema_type} schemas, which the sentinel does not read")
    return VALUE_FORMATS[schema_type]


def partitions_of(settings: KafkaSettings, topic: str) -> int:
    """How many partitions `topic` has; a clear error when Kafka does not answer or has no such topic."""
    from governance.kafka.connect import REFUSED_GRACE_S, first_contact
    from governance.kafka.logs import client_logger

    _, metadata = first_contact(settings, logger=client_logger(), refused_grace=REFUSED_GRACE_S,
                                hint="check --bootstrap-servers / $GOVERNANCE_BOOTSTRAP_SERVERS")
    found = metadata.topics.get(topic)
    if found is None:
        names = [t for t in metadata.topics if not t.startswith("_")]
        raise GovernanceError(f"topic {topic} does not exist on {settings.bootstrap_servers}"
                              + did_you_mean(topic, names), hint="name a topic that holds records")
    return len(found.partitions)


def read_sample(settings: KafkaSettings, topic: str, decoder: Decoder, max_records: int, max_seconds: float,
                progress: Progress) -> Sample:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    from governance.kafka.tail import tail_consumer_config

    sample = Sample(topic, partitions_of(settings, topic))
    consumer = Consumer(tail_consumer_config(settings, f"governance-rules-suggest-{uuid.uuid4().hex[:8]}"))
    try:
        ends = {}
        for p in range(sample.partitions):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if high > low:
                ends[p] = high
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        _read(consumer, sample, decoder, ends, max_records, max_seconds, progress)
    finally:
        consumer.close()
    return sample


def _read(consumer: Any, sample: Sample, decoder: Decoder, ends: dict[int, int], max_records: int,
          max_seconds: float, progress: Progress) -> None:
    from confluent_kafka import TopicPartition

    start = time.monotonic()
    told = last_record = start
    while True:
        now = time.monotonic()
        if not ends:
            sample.stopped = "the end of every partition"
        elif sample.read >= max_records:
            sample.stopped = f"--max-records {max_records:,}"
        elif now - start >= max_seconds:
            sample.stopped = f"--max-seconds {max_seconds:g}"
        elif now - last_record >= IDLE_S:
            sample.stopped = f"nothing more arrived for {IDLE_S:g} s (an open transaction holds read_committed back)"
        if sample.stopped:
            break
        messages = consumer.consume(min(500, max_records - sample.read), 0.2)
        values = [m.value() for m in messages if m.error() is None]
        if values:
            last_record = time.monotonic()
        sample.read += len(values)
        for decoded in decoder.decode_batch(values):
            if isinstance(decoded, DecodeFailure):
                sample.failures[decoded.reason[:160]] += 1
            else:
                sample.profile.add(decoded)
        if messages:
            positions = consumer.position([TopicPartition(sample.topic, p) for p in ends])
            for tp in positions:
                if tp.offset >= ends[tp.partition]:
                    del ends[tp.partition]
        if time.monotonic() - told >= 1.0:
            told = time.monotonic()
            progress(sample.read, told - start)
    sample.seconds = time.monotonic() - start
    progress(sample.read, sample.seconds)
