"""A simple judge and input records for the routing engine's tests."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable

from confluent_kafka import Message, Producer

from governance.kafka import KafkaSettings
from governance.sentinel.router import Verdict

# Recent on purpose: records stamped older than the broker's retention (7 days)
# are deleted from the source topic before the router reads them.
BASE_TS = int(time.time() * 1000) - 1_000_000


def judge(messages: list[Message]) -> list[Verdict]:
    """b"bad..." fails validation, b"poison..." fails to deserialize, the rest is valid."""
    verdicts = []
    for message in messages:
        value = message.value() or b""
        if value.startswith(b"bad"):
            verdicts.append(Verdict(False, "validate", (("not_bad", f"value {value[:12]!r} starts with bad"),)))
        elif value.startswith(b"poison"):
            verdicts.append(Verdict(False, "deserialize", (), "ValueError", "cannot decode poison"))
        else:
            verdicts.append(Verdict(True))
    return verdicts


def record(i: int) -> tuple[bytes, bytes, list[tuple[str, bytes]], int]:
    """Key, value, headers and timestamp of input record i: every 37th is bad, every 101st poison."""
    if i % 101 == 0:
        value = f"poison-{i}".encode()
    elif i % 37 == 0:
        value = f"bad-{i}".encode()
    else:
        value = f"ok-{i}".encode()
    return f"k{i}".encode(), value, [("seq", str(i).encode())], BASE_TS + i


def expected_split(n: int) -> tuple[set[bytes], set[bytes]]:
    valid, invalid = set(), set()
    for i in range(n):
        _, value, _, _ = record(i)
        (invalid if value.startswith((b"bad", b"poison")) else valid).add(value)
    return valid, invalid


def produce_inputs(settings: KafkaSettings, topic: str, indices: Iterable[int]) -> None:
    producer = Producer(settings.client_config(enable_idempotence=True, linger_ms=20, acks="all"))
    for i in indices:
        key, value, headers, ts = record(i)
        while True:
            try:
                producer.produce(topic, value, key, headers=headers, timestamp=ts)
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(60) == 0


def duplicates(values: Iterable[bytes]) -> dict[bytes, int]:
    return {v: c for v, c in Counter(values).items() if c > 1}


def failed_rules(headers: dict[str, bytes]) -> list[dict[str, str]]:
    return json.loads(headers["__sentinel.failed.rules"])
