"""The five rules of bench/sentinel-pipeline.yml as a Quix Streams app: the Python peer (path f).

    python -m bench.peers.quix_filter BOOTSTRAP REGISTRY SOURCE VALID DLQ GROUP TARGET

Runs in a venv of its own (bench/peers/quix.py makes it): quixstreams pins an
older confluent-kafka than the project's. Written the way Quix Streams' own
documentation shows, with no Kafka client code of its own in the pipeline:

- SOURCE is read through Quix's schema-registry AvroDeserializer
  (quixstreams.models.serializers.avro; Confluent's deserializer underneath).
- The five rules are plain Python on the decoded record.
- The stream branches (docs: "Branching"): records that pass every rule go to
  VALID through Quix's AvroSerializer with the bench schema (registered under
  `VALID-value`); the others go to DLQ, re-encoded with the same schema, with
  Kafka Connect style headers set by `StreamingDataFrame.set_headers`:
  `__connect.errors.{topic,partition,offset,stage}` and
  `__sentinel.failed.rules` (JSON list of {"rule", "message"}), the names the
  sentinel uses (governance/sentinel/headers.py, copied, not imported: the peer
  does not depend on the thing it is compared with).
- Bytes the deserializer refuses (poison) never reach the dataframe: Quix hands
  them to `on_consumer_error`, and returning True skips them. The callback here
  writes them, original bytes and headers plus `stage=deserialize` and the
  exception, to DLQ through `Application.get_producer()` and flushes before
  returning. Quix offers no way to write from that callback inside its
  exactly-once transaction, so those DLQ records are at least once. Quix also
  never stores a skipped record's offset: it is committed only when a later
  record of its partition is (a poison record last in its partition is read
  again after a restart).
- processing_guarantee="exactly-once", commit_interval=1.0 and
  commit_every=10000 (the bench's sentinel commits every 10,000 records or
  1000 ms), auto_offset_reset="earliest", auto_create_topics=False (the runner
  creates VALID and DLQ beforehand, like the sentinel's; a missing one fails at
  start-up with TopicNotFoundError).

The bench's schema carries path c's CEL rule set (onFailure DLQ). Confluent's
deserializer inside Quix's would try to run those rules and fail every record
(RuleError "Could not find rule action of type DLQ", not even a
SerializationError): a CEL RuleOverride on Confluent's
global RuleRegistry disables them, so this app decodes like any plain Avro
consumer and judges with its own five rules.

It stops itself: `on_message_processed` (docs: "Processing Callbacks", the
documented way to stop after N messages) counts records; once TARGET records
(poison included) have been seen, a watcher thread polls the group's committed
offsets (confluent_kafka Consumer.committed, every 50 ms) until they cover the
last processed record of every partition, then calls `app.stop()`. It prints
one line:

    BENCH-RESULT {"records": N, "seconds": S, "valid": V, "invalid": I, "poison": P,
                  "first_ms": epoch ms of the first record, "hwm_mb": peak RSS}

seconds runs from the first record in the first processing step to the moment
the watcher saw the commit covering the last one (up to 50 ms late).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import threading
import time
from typing import Any

from bench.children import RESULT_PREFIX  # standard library only at import, like bench.common
from bench.common import SCHEMA  # one schema for every path

# Kafka Connect's DLQ context headers (KIP-298) and the sentinel's reasons header.
TOPIC = "__connect.errors.topic"
PARTITION = "__connect.errors.partition"
OFFSET = "__connect.errors.offset"
STAGE = "__connect.errors.stage"
EXCEPTION_CLASS = "__connect.errors.exception.class.name"
EXCEPTION_MESSAGE = "__connect.errors.exception.message"
FAILED_RULES = "__sentinel.failed.rules"

ID_FORMAT = re.compile(r"^pay-[0-9]{8}$")
STATUSES = frozenset(("NEW", "PAID", "SHIPPED", "REFUNDED"))


def failed_rules(p: Any) -> list[tuple[str, str]]:
    """The rules a decoded Payment breaks, as (rule, message); [] when it passes all five."""
    if not isinstance(p, dict):
        return [("value-not-null", "the record has no value")]
    failed = []
    id_ = p.get("id")
    if not (isinstance(id_, str) and ID_FORMAT.match(id_)):
        failed.append(("id-format", f"id {id_!r} does not match ^pay-[0-9]{{8}}$"))
    if p.get("customer") is None:
        failed.append(("customer-not-null", "customer is null"))
    amount = p.get("amount")
    if not (isinstance(amount, (int, float)) and 0 <= amount <= 100_000):
        failed.append(("amount-range", f"amount {amount!r} is not between 0 and 100000"))
    if p.get("status") not in STATUSES:
        failed.append(("status-known", f"status {p.get('status')!r} is not one of NEW, PAID, SHIPPED, REFUNDED"))
    note = p.get("note")
    if not (isinstance(note, str) and 1 <= len(note) <= 64):
        failed.append(("note-length", f"note length {len(note) if isinstance(note, str) else None} is not 1..64"))
    return failed


def vm_hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("bootstrap", "registry", "source", "valid", "dlq", "group"):
        parser.add_argument(name)
    parser.add_argument("target", type=int)
    a = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="quix-peer-state-") as state_dir:
        run(a, state_dir)


def run(a: argparse.Namespace, state_dir: str) -> None:
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.schema_registry.rule_registry import RuleOverride, RuleRegistry
    from quixstreams import Application, message_context
    from quixstreams.models import SchemaRegistryClientConfig
    from quixstreams.models.serializers.avro import AvroDeserializer, AvroSerializer
    from quixstreams.models.serializers.exceptions import SerializationError

    RuleRegistry.get_global_instance().register_override(RuleOverride("CEL", None, None, True))

    seen = valid = invalid = poison = 0
    first: list[float] = []  # monotonic, epoch ms
    last_offsets: dict[tuple[str, int], int] = {}  # committed offset that covers the last processed record
    reached = threading.Event()
    snapshot: dict[str, Any] = {}
    poison_producer: list[Any] = []

    def target_seen() -> None:
        snapshot.update(records=seen, valid=valid, invalid=invalid, poison=poison, offsets=dict(last_offsets))
        reached.set()

    def on_message_processed(topic: str, partition: int, offset: int) -> None:
        nonlocal seen
        seen += 1
        last_offsets[(topic, partition)] = offset + 1
        if seen == a.target:
            target_seen()

    def on_consumer_error(exc: Exception, message: Any, logger: Any) -> bool:
        """Poison: bytes the Avro deserializer refused go to the DLQ; any other error stops the app."""
        nonlocal seen, poison
        if message is None or message.error() is not None or not isinstance(exc, SerializationError):
            return False
        if not poison_producer:
            poison_producer.append(app.get_producer())
        cause = exc.__cause__ or exc
        headers = list(message.headers() or []) + [
            (TOPIC, message.topic().encode()),
            (PARTITION, str(message.partition()).encode()),
            (OFFSET, str(message.offset()).encode()),
            (STAGE, b"deserialize"),
            (FAILED_RULES, b"[]"),
            (EXCEPTION_CLASS, f"{type(cause).__module__}.{type(cause).__qualname__}".encode()),
            (EXCEPTION_MESSAGE, str(cause).encode("utf-8", "replace")),
        ]
        producer = poison_producer[0]
        producer.produce(topic=a.dlq, value=message.value(), key=message.key(), headers=headers,
                         timestamp=message.timestamp()[1])
        if producer.flush(30) > 0:  # delivered before a later record's commit can cover its offset
            return False
        poison += 1
        seen += 1
        if seen == a.target:
            target_seen()
        return True

    registry = SchemaRegistryClientConfig(url=a.registry)
    app = Application(
        broker_address=a.bootstrap,
        consumer_group=a.group,
        auto_offset_reset="earliest",
        processing_guarantee="exactly-once",
        commit_interval=1.0,
        commit_every=10_000,
        auto_create_topics=False,
        on_consumer_error=on_consumer_error,
        on_message_processed=on_message_processed,
        state_dir=state_dir,  # stateless, but Quix makes its directory anyway
    )
    source = app.topic(a.source, value_deserializer=AvroDeserializer(schema_registry_client_config=registry))
    valid_topic = app.topic(a.valid, value_serializer=AvroSerializer(SCHEMA, schema_registry_client_config=registry))
    dlq_topic = app.topic(a.dlq, value_serializer=AvroSerializer(SCHEMA, schema_registry_client_config=registry))

    def judge(record: Any) -> tuple[Any, list[tuple[str, str]]]:
        nonlocal valid, invalid
        if not first:
            first.extend((time.monotonic(), time.time() * 1000))
        failed = failed_rules(record)
        if failed:
            invalid += 1
        else:
            valid += 1
        return record, failed

    def dlq_headers(value: tuple[Any, list[tuple[str, str]]], key: Any, timestamp: int,
                    headers: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        ctx = message_context()
        return headers + [
            (TOPIC, ctx.topic.encode()),
            (PARTITION, str(ctx.partition).encode()),
            (OFFSET, str(ctx.offset).encode()),
            (STAGE, b"validate"),
            (FAILED_RULES, json.dumps([{"rule": r, "message": m} for r, m in value[1]]).encode()),
        ]

    sdf = app.dataframe(source)
    sdf = sdf.apply(judge)
    passed = sdf.filter(lambda v: not v[1])
    passed.apply(lambda v: v[0]).to_topic(valid_topic)
    failed = sdf.filter(lambda v: bool(v[1]))
    failed.set_headers(dlq_headers).apply(lambda v: v[0]).to_topic(dlq_topic)

    done: list[float] = []
    errors: list[BaseException] = []

    def watch() -> None:
        """After TARGET records: wait for a commit covering the last processed offset of every partition."""
        try:
            reached.wait()
            want = snapshot["offsets"]
            consumer = Consumer({"bootstrap.servers": a.bootstrap, "group.id": a.group,
                                 "enable.auto.commit": False, "isolation.level": "read_committed"})
            try:
                partitions = [TopicPartition(t, p) for t, p in want]
                while True:
                    committed = consumer.committed(partitions, timeout=30)
                    if all(tp.offset >= want[(tp.topic, tp.partition)] for tp in committed):
                        done.append(time.monotonic())
                        break
                    time.sleep(0.05)
            finally:
                consumer.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            app.stop()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    app.run()
    if not reached.is_set():
        raise SystemExit(f"the app stopped after {seen:,} of {a.target:,} records")
    watcher.join(60)
    if errors:
        raise errors[0]
    if not done:
        raise SystemExit("no commit covering the target was seen")
    for producer in poison_producer:
        producer.flush(30)
    result = {k: snapshot[k] for k in ("records", "valid", "invalid", "poison")}
    result.update(seconds=done[0] - first[0], first_ms=int(first[1]), hwm_mb=vm_hwm_mb())
    print(RESULT_PREFIX + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
