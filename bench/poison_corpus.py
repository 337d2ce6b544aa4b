"""Poison of every kind, for bench/poison.py and its small twin tests/sentinel/test_poison_at_scale.py.

Record i of a topic of n is decided by i alone, so a reader can say where each one
belongs from its key (`<kind>-<i>`) without keeping what was written:

- the twelve kinds of bad bytes the decoder tests know (wrong magic byte, JSON,
  an unknown id, another subject's id, truncated, header only, trailing garbage, a
  corrupt length, random bytes, too short, empty, null), plus an id whose schema was
  deleted from the registry: the DLQ at stage `deserialize`;
- records of one megabyte (a note of a million characters breaks note-length):
  the DLQ at stage `validate`, whole;
- records with a thousand headers: every other one valid (to the valid topic with
  all thousand), the rest with a negative amount (to the DLQ, the thousand kept);
- the rest: the bench's payments (bench/common.py), one in twenty breaking one of its five rules.

`ratio` of the records are poison, spread evenly and taking the kinds in turn;
`big` of them (not more: each is a megabyte) are the one-megabyte kind.
"""

from __future__ import annotations

import io
import json
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bench.common import SCHEMA, record, send

DESERIALIZE_KINDS = (
    "wrong-magic", "json", "unknown-id", "foreign-id", "deleted-id", "truncated", "header-only",
    "trailing-garbage", "corrupt-length", "random-bytes", "too-short", "empty", "null",
)  # fmt: skip
KINDS = (*DESERIALIZE_KINDS, "thousand-headers")
BIG = "one-megabyte"
BIG_BYTES = 1_000_000
HEADERS = 1_000


@dataclass(frozen=True)
class Ids:
    """Schema ids the corpus writes: ours, one of another subject, one deleted since."""

    schema: int
    foreign: int
    deleted: int


@dataclass(frozen=True)
class Expected:
    destination: str  # "valid" or "dlq"
    stage: str | None = None  # the DLQ's __connect.errors.stage
    headers: int = 0  # how many of the record's own headers


class Corpus:
    def __init__(self, n: int, ids: Ids, ratio: float = 0.2, big: int = 200) -> None:
        import fastavro

        self.n, self.ids, self.ratio, self.big = n, ids, ratio, min(big, n)
        self._schema = fastavro.parse_schema(SCHEMA)
        self._poison = round(n * ratio)
        self._big_every = n // self.big if self.big else 0

    def kind(self, i: int) -> str | None:
        """None for an ordinary payment."""
        if self._big_every and i % self._big_every == self._big_every // 2 and i // self._big_every < self.big:
            return BIG
        slot = (i + 1) * self._poison // self.n
        if slot != i * self._poison // self.n:
            return KINDS[slot % len(KINDS)]
        return None

    def key(self, i: int) -> bytes:
        return f"{self.kind(i) or 'payment'}-{i}".encode()

    def broken_rule(self, i: int) -> int | None:
        """The rule an ordinary payment breaks: one in twenty, each rule in turn."""
        return (i // 20) % 5 if i % 20 == 0 else None

    def message(self, i: int) -> tuple[bytes, bytes | None, list[tuple[str, bytes]] | None]:
        """(key, value, headers) of record i."""
        kind = self.kind(i)
        key = self.key(i)
        if kind is None:
            return key, self._avro(record(i, self.broken_rule(i))), None
        if kind == BIG:
            rec = record(i, None)
            rec["note"] = ""
            overhead = len(self._avro(rec))
            rec["note"] = "x" * (BIG_BYTES - overhead - 2)  # its length takes three bytes, not one
            value = self._avro(rec)
            return key, value, None
        if kind == "thousand-headers":
            headers = [(f"h{j}", str(j).encode()) for j in range(HEADERS)]
            return key, self._avro(record(i, None if i % 2 == 0 else 2)), headers
        return key, self._bad(kind, i), None

    def expected(self, key: bytes) -> Expected:
        kind, _, index = key.decode().rpartition("-")
        i = int(index)
        if kind == "payment":
            return Expected("valid") if self.broken_rule(i) is None else Expected("dlq", "validate")
        if kind == BIG:
            return Expected("dlq", "validate")
        if kind == "thousand-headers":
            return Expected("valid", None, HEADERS) if i % 2 == 0 else Expected("dlq", "validate", HEADERS)
        return Expected("dlq", "deserialize")

    def counts(self) -> dict[str, int]:
        """How many records of each kind (and `payment`) the corpus holds."""
        counts: dict[str, int] = {}
        for i in range(self.n):
            kind = self.kind(i) or "payment"
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def _avro(self, rec: dict[str, Any], schema_id: int | None = None) -> bytes:
        import fastavro

        buf = io.BytesIO()
        buf.write(b"\x00" + struct.pack(">I", self.ids.schema if schema_id is None else schema_id))
        fastavro.schemaless_writer(buf, self._schema, rec)
        return buf.getvalue()

    def _bad(self, kind: str, i: int) -> bytes | None:
        good = self._avro(record(i, None))
        return {
            "wrong-magic": lambda: b"\x01" + good[1:],
            "json": lambda: json.dumps({"id": f"pay-{i:08d}"}).encode(),
            "unknown-id": lambda: b"\x00" + struct.pack(">I", 999_999) + good[5:],
            "foreign-id": lambda: self._avro(record(i, None), self.ids.foreign),
            "deleted-id": lambda: self._avro(record(i, None), self.ids.deleted),
            "truncated": lambda: good[:-3],
            "header-only": lambda: good[:5],
            "trailing-garbage": lambda: good + b"\x00\x01",
            "corrupt-length": lambda: good[:5] + b"\x7f" + good[6:],
            "random-bytes": lambda: good[:5] + os.urandom(3) + b"\xff" * 20,
            "too-short": lambda: b"\x00\x00",
            "empty": lambda: b"",
            "null": lambda: None,
        }[kind]()


def check(corpus: Corpus, valid: Iterable[Any], dlq: Iterable[Any]) -> list[str]:
    """Every record of the corpus exactly once where it belongs (confluent_kafka Messages
    read with read_committed); returns the problems, at most a few of each sort."""
    problems: list[str] = []
    seen: set[bytes] = set()

    def problem(text: str) -> None:
        if len(problems) < 20:
            problems.append(text)

    for destination, messages in (("valid", valid), ("dlq", dlq)):
        for m in messages:
            key = m.key()
            if key in seen:
                problem(f"{key.decode()} twice")
                continue
            seen.add(key)
            want = corpus.expected(key)
            if want.destination != destination:
                problem(f"{key.decode()} in {destination}, expected {want.destination}")
                continue
            headers = m.headers() or []
            own = [h for h in headers if not h[0].startswith(("__connect.", "__sentinel."))]
            if len(own) != want.headers:
                problem(f"{key.decode()} has {len(own)} of its own headers, expected {want.headers}")
            if destination == "dlq":
                stage = dict(headers).get("__connect.errors.stage", b"").decode()
                if stage != want.stage:
                    problem(f"{key.decode()} in the DLQ at stage {stage!r}, expected {want.stage!r}")
            if key.startswith(BIG.encode()) and len(m.value() or b"") != BIG_BYTES:
                problem(f"{key.decode()} is {len(m.value() or b'')} bytes, expected {BIG_BYTES}")
    missing = corpus.n - len(seen)
    if missing:
        problem(f"{missing} record(s) missing")
    return problems


def produce(bootstrap: str, topic: str, corpus: Corpus, progress: Any = None) -> None:
    from confluent_kafka import Producer

    producer = Producer({
        "bootstrap.servers": bootstrap, "linger.ms": 50, "batch.size": 1_000_000, "acks": "all",
        "compression.type": "lz4", "queue.buffering.max.messages": 500_000, "message.max.bytes": 2_000_000,
    })  # fmt: skip
    for i in range(corpus.n):
        key, value, headers = corpus.message(i)
        send(producer, topic, value, key, headers=headers)
        if progress is not None and (i + 1) % 200_000 == 0:
            producer.poll(0)
            progress(i + 1)
    left = producer.flush(300)
    if left:
        raise RuntimeError(f"{left} records still undelivered after 300 s")
