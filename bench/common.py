"""The bench's payments and the Kafka around them, shared by every benchmark.

The ten-field Payment schema (Avro, and the same as a JSON Schema; as Protobuf in bench/payments_proto.py)
and its records (one in five rules broken on demand), registering it (with or without path c's CEL rule set),
encoding them in each of FORMATS, producing a topic of them, and reading topics back with read_committed.
Standard library only at import: the Quix Streams peer imports SCHEMA in a venv without the project.
"""

from __future__ import annotations

import io
import json
import struct
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Payment",
    "namespace": "bench.sentinel",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "customer", "type": ["null", "string"], "default": None},
        {"name": "amount", "type": "double"},
        {"name": "status", "type": "string"},
        {"name": "note", "type": "string"},
        {"name": "currency", "type": "string"},
        {"name": "quantity", "type": "int"},
        {"name": "createdAt", "type": "long"},
        {"name": "country", "type": "string"},
        {"name": "express", "type": "boolean"},
    ],
}

JSON_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Payment",
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "customer": {"type": ["null", "string"]},
        "amount": {"type": "number"},
        "status": {"type": "string"},
        "note": {"type": "string"},
        "currency": {"enum": ["EUR", "USD", "GBP", "CHF"]},
        "quantity": {"type": "integer", "minimum": 1},
        "createdAt": {"type": "integer"},
        "country": {"type": "string", "minLength": 2, "maxLength": 2},
        "express": {"type": "boolean"},
    },
    "required": ["id", "amount", "status", "note", "currency", "quantity", "createdAt", "country", "express"],
    "additionalProperties": False,
}
"""SCHEMA as a JSON Schema (`--format json_schema`): every record() passes it (the five rules judge them), with
a few constraints of its own so that validating a record is real work."""

FORMATS = ("avro", "protobuf", "json_schema")
"""The payments' encodings, each in Confluent's wire format (`encoder`)."""

# The five checks of bench/sentinel-pipeline.yml, in CEL, for Confluent's rule executor.
CEL_RULES = [
    ("id-format", "message.id.matches('^pay-[0-9]{8}$')"),
    ("customer-not-null", "message.customer != null"),
    ("amount-range", "message.amount >= 0.0 && message.amount <= 100000.0"),
    ("status-known", "message.status in ['NEW', 'PAID', 'SHIPPED', 'REFUNDED']"),
    ("note-length", "size(message.note) >= 1 && size(message.note) <= 64"),
]

STATUSES = ("NEW", "PAID", "SHIPPED", "REFUNDED")
CURRENCIES = ("EUR", "USD", "GBP", "CHF")
COUNTRIES = ("DE", "FR", "US", "GB", "NL", "SE", "IT")


def record(i: int, broken_rule: int | None) -> dict[str, Any]:
    """Record i; broken_rule (0-4) names the one rule it fails, None: it passes all five."""
    rec = {
        "id": f"pay-{i:08d}",
        "customer": f"cust-{i % 9973}",
        "amount": (i * 37 % 1_000_000) / 100.0,
        "status": STATUSES[i % 4],
        "note": f"order note {i % 1000}",
        "currency": CURRENCIES[i % 4],
        "quantity": 1 + i % 20,
        "createdAt": 1_760_000_000_000 + i,
        "country": COUNTRIES[i % 7],
        "express": i % 2 == 0,
    }
    if broken_rule == 0:
        rec["id"] = f"PAY_{i}"
    elif broken_rule == 1:
        rec["customer"] = None
    elif broken_rule == 2:
        rec["amount"] = -1.0 - i % 100
    elif broken_rule == 3:
        rec["status"] = "LOST"
    elif broken_rule == 4:
        rec["note"] = "x" * 80
    return rec


def invalid_count(n: int, ratio: float) -> int:
    return round(n * ratio)


def register_schema(registry: str, subject: str, dlq_topic: str) -> int:
    """The schema with the CEL rule set (path c) under `subject`; returns its id."""
    rules = [
        {
            "name": name,
            "kind": "CONDITION",
            "mode": "WRITEREAD",
            "type": "CEL",
            "expr": expr,
            "params": {"dlq.topic": dlq_topic},
            "onFailure": "DLQ",
        }
        for name, expr in CEL_RULES
    ]
    body = {"schemaType": "AVRO", "schema": json.dumps(SCHEMA), "ruleSet": {"domainRules": rules}}
    req = urllib.request.Request(
        f"{registry.rstrip('/')}/subjects/{subject}/versions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        schema_id = json.load(resp)["id"]
    # The data-contract path needs the rule set back with the schema: check it is stored.
    with urllib.request.urlopen(f"{registry.rstrip('/')}/schemas/ids/{schema_id}?subject={subject}", timeout=30) as resp:
        stored = json.load(resp)
    if len((stored.get("ruleSet") or {}).get("domainRules") or []) != len(rules):
        raise SystemExit(f"the registry did not keep the rule set of schema {schema_id}: {stored}")
    return schema_id


def register_plain(registry: str, subject: str) -> int:
    """The payment schema alone (no rule set) under `subject`; returns its id."""
    request = urllib.request.Request(f"{registry.rstrip('/')}/subjects/{subject}/versions", method="POST",
                                     data=json.dumps({"schema": json.dumps(SCHEMA)}).encode(),
                                     headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(json.load(response)["id"])


def register_json_schema(registry: str, subject: str) -> int:
    """JSON_SCHEMA under `subject`; returns its id."""
    body = {"schemaType": "JSON", "schema": json.dumps(JSON_SCHEMA)}
    request = urllib.request.Request(f"{registry.rstrip('/')}/subjects/{subject}/versions", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(json.load(response)["id"])


def send(producer: Any, topic: str, value: bytes | None, key: bytes | None, **kwargs: Any) -> None:
    """`producer.produce`, waiting for room when its queue is full."""
    while True:
        try:
            producer.produce(topic, value, key, **kwargs)
            return
        except BufferError:
            producer.poll(0.05)


def avro_encoder(schema_id: int) -> Callable[[dict[str, Any]], bytes]:
    """A function from a record to its Confluent wire-format Avro value under `schema_id`."""
    import fastavro

    parsed = fastavro.parse_schema(SCHEMA)
    header = b"\x00" + struct.pack(">I", schema_id)
    buf = io.BytesIO()
    writer = fastavro.schemaless_writer

    def encode(rec: dict[str, Any]) -> bytes:
        buf.seek(0)
        buf.truncate()
        writer(buf, parsed, rec)
        return header + buf.getvalue()

    return encode


def json_schema_encoder(schema_id: int) -> Callable[[dict[str, Any]], bytes]:
    """A function from a record to its Confluent wire-format JSON Schema value under `schema_id`: the
    header, then the record as confluent-kafka's JSONSerializer writes it (`json.dumps`), without its
    per-record validation."""
    header = b"\x00" + struct.pack(">I", schema_id)
    return lambda rec: header + json.dumps(rec).encode()


def encoder(fmt: str, schema_id: int) -> Callable[[dict[str, Any]], bytes]:
    """The encoder of the payments in `fmt` (one of FORMATS) under `schema_id`."""
    if fmt == "protobuf":
        from bench.payments_proto import encoder as protobuf_encoder

        return protobuf_encoder(schema_id)
    return {"avro": avro_encoder, "json_schema": json_schema_encoder}[fmt](schema_id)


def produce(bootstrap: str, topic: str, schema_id: int, n: int, ratio: float,
            encode: Callable[[dict[str, Any]], bytes] | None = None) -> int:
    """n records, `ratio` of them invalid (evenly spread, each rule broken in turn); returns the invalid count.
    Encoded as Avro under `schema_id` unless `encode` is given (`encoder`)."""
    from confluent_kafka import Producer

    encode = encode or avro_encoder(schema_id)
    bad = invalid_count(n, ratio)
    producer = Producer({
        "bootstrap.servers": bootstrap, "linger.ms": 50, "batch.size": 1_000_000, "acks": "all",
        "compression.type": "lz4", "queue.buffering.max.messages": 500_000,
    })  # fmt: skip
    now = int(time.time() * 1000)
    started = time.monotonic()
    broken = 0
    for i in range(n):
        # Record i is invalid when the running count floor((i+1)*bad/n) steps up: evenly spread.
        breaks = (i + 1) * bad // n != i * bad // n
        rec = record(i, broken % 5 if breaks else None)
        broken += breaks
        send(producer, topic, encode(rec), rec["id"].encode(), timestamp=now)
        if (i + 1) % 200_000 == 0:
            producer.poll(0)
            print(f"  produced {i + 1:,} ({time.monotonic() - started:.0f} s)", flush=True)
    left = producer.flush(300)
    if left:
        raise SystemExit(f"{left} records still undelivered after 300 s")
    assert broken == bad
    return bad


def count_topic(bootstrap: str, topic: str) -> int:
    """Committed records in a topic: read it whole with read_committed."""
    return read_topic(bootstrap, topic)[0]


def wait_members(bootstrap: str, group: str, members: int, timeout: float = 180) -> None:
    """Until `group` is stable with `members` members holding partitions."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 3})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            description = admin.describe_consumer_groups([group])[group].result(timeout=5)
            holding = [m for m in description.members if m.assignment and m.assignment.topic_partitions]
            if len(holding) >= members and str(description.state).endswith("STABLE"):
                return
        except Exception:  # noqa: BLE001  (the group does not exist yet)
            pass
        time.sleep(0.2)
    raise SystemExit(f"group {group} did not have {members} members holding partitions within {timeout:.0f} s")


def read_messages(bootstrap: str, topic: str) -> Iterator[Any]:
    """The whole topic, read with read_committed, until every partition's end."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-count-{uuid.uuid4().hex[:8]}",
                         "isolation.level": "read_committed", "enable.auto.commit": False,
                         "fetch.message.max.bytes": 2_000_000})
    try:
        partitions = list(consumer.list_topics(topic, timeout=30).topics[topic].partitions)
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        idle = 0
        while idle < 10:
            messages = consumer.consume(10_000, 1.0)
            yield from (m for m in messages if m.error() is None)
            positions = consumer.position([TopicPartition(topic, p) for p in partitions])
            if all(tp.offset >= ends[tp.partition] for tp in positions):
                return
            idle = 0 if messages else idle + 1
    finally:
        consumer.close()


def read_topic(bootstrap: str, topic: str) -> tuple[int, int | None, int | None]:
    """Committed records in a topic, and the first and last of their timestamps (ms): the
    broker's append times in a LogAppendTime topic."""
    count, first, last = 0, None, None
    for m in read_messages(bootstrap, topic):
        stamp = m.timestamp()[1]
        count += 1
        first = stamp if first is None else min(first, stamp)
        last = stamp if last is None else max(last, stamp)
    return count, first, last


def outside_seconds(bootstrap: str, topics: tuple[str, ...]) -> tuple[tuple[int, ...], float | None]:
    """The outside clock: each topic's count, and the seconds from the first output the broker
    appended to the last (the output topics are LogAppendTime topics)."""
    read = [read_topic(bootstrap, t) for t in topics]
    firsts = [f for _, f, _ in read if f is not None]
    lasts = [last for _, _, last in read if last is not None]
    span = (max(lasts) - min(firsts)) / 1000 if firsts and lasts else None
    return tuple(count for count, _, _ in read), span


def create_topics(bootstrap: str, names: list[str], partitions: int, config: dict[str, str] | None = None) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 4})
    for future in admin.create_topics([NewTopic(t, partitions, 1, config=config or {}) for t in names]).values():
        future.result(30)
