"""The paths of bench.sentinel that run in this repository's Python, one per child process:
a (passthrough), c (Confluent data contracts) and d (Great Expectations record by record).
bench.sentinel starts each as

    python -m bench.sentinel_paths PATH --bootstrap-servers ... --target N --commit-every N

and reads the one BENCH-RESULT line it prints (bench.children).
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from typing import Any

from bench.children import emit
from bench.common import send


def _run_router(bootstrap: str, source: str, out: str, dlq: str, judge: Any, target: int,
                commit_every: int, batch_size: int) -> None:
    """Route with `judge` until a commit covers `target` records; time from the first judged batch."""
    from governance.kafka import KafkaSettings
    from governance.sentinel.router import Router, RouterConfig
    from governance.sentinel.routing import RouterStats

    name = f"{out}-g"
    config = RouterConfig(
        sources=(source,), valid_topic=out, dlq_topic=dlq, group_id=name, pipeline_name="bench",
        transactional_id_prefix=name, commit_every_records=commit_every, commit_every_ms=1000,
        batch_size=batch_size,
    )  # fmt: skip
    first: list[float] = []
    done = threading.Event()
    finished: list[tuple[float, RouterStats]] = []

    def timed_judge(messages: list[Any]) -> list[Any]:
        if not first:
            first.append(time.monotonic())
        return judge(messages)

    def on_commit(stats: RouterStats) -> None:
        if stats.committed.records_in >= target and not finished:
            finished.append((time.monotonic(), stats))
            done.set()

    router = Router(KafkaSettings(bootstrap), config, timed_judge)
    stop = threading.Event()
    thread = threading.Thread(target=router.run, args=(stop, on_commit))
    thread.start()
    while not done.wait(0.2):
        if not thread.is_alive():
            raise SystemExit("the router stopped before routing every record")
    stop.set()
    thread.join()
    at, stats = finished[0]
    emit(records=stats.committed.records_in, seconds=at - first[0], valid=stats.committed.valid,
          invalid=stats.committed.invalid, commits=stats.commits)


def path_passthrough(a: argparse.Namespace) -> None:
    from governance.sentinel.routing import Verdict

    valid = Verdict(True)

    def always_valid(messages: list[Any]) -> list[Verdict]:
        return [valid] * len(messages)

    _run_router(a.bootstrap_servers, a.source, a.out, a.dlq, always_valid, a.target, a.commit_every, 1000)


def path_gx(a: argparse.Namespace) -> None:
    """The Router with a judge that runs GX on one record at a time."""
    import inspect

    from governance.sentinel.decode import DecodeFailure, Decoder
    from governance.sentinel.pipeline import load_pipeline
    from governance.sentinel.routing import Verdict
    from governance.sentinel.validate import RecordValidator

    pipeline = load_pipeline(a.pipeline)
    kwargs = {"compiled": False} if "compiled" in inspect.signature(RecordValidator.__init__).parameters else {}
    validator = RecordValidator(pipeline.record_rules, **kwargs)
    decoder = Decoder("avro", a.registry, pipeline.subject)
    valid = Verdict(True)

    def judge(messages: list[Any]) -> list[Verdict]:
        verdicts = []
        for message in messages:
            rec = decoder.decode(message.value())
            if isinstance(rec, DecodeFailure):
                verdicts.append(Verdict(False, "deserialize", exception_class=rec.exception_class,
                                        exception_message=rec.reason))
                continue
            failed = [f for f in validator.validate([rec])[0] if f.severity == "critical"]
            verdicts.append(Verdict(False, "validate", tuple((f.rule, f.message) for f in failed))
                            if failed else valid)
        return verdicts

    # Small batches: a batch of 1000 would take most of a minute, and the run stops at a commit.
    _run_router(a.bootstrap_servers, a.source, a.out, a.dlq, judge, a.target, a.commit_every, 20)


def path_contract(a: argparse.Namespace) -> None:
    """Confluent's data-contract path, as exactly once as the client allows.

    The AvroDeserializer runs the schema's CEL CONDITION rules; a failing rule's
    onFailure=DLQ runs Confluent's DlqAction, which produces the record's original
    wire bytes (and key) with `__rule.*` headers to the rule's `dlq.topic`, then
    raises SerializationError. Valid records are produced to the valid topic.

    On its own the DlqAction uses a producer of its own (idempotence off, no
    transaction): the DLQ write and the consumer's offset commit are independent,
    at least once at best. Its `producer` setting (DlqAction.PRODUCER, "for
    testing" in the source) takes a ready producer instead, so here it gets the
    same transactional producer that writes the valid records, and the consumer
    offsets go into that transaction (send_offsets_to_transaction, read_committed
    input): exactly once, like a and b. One gap the client leaves: DlqAction
    logs and swallows a failed produce() (a full queue, say), so that record
    would be missing from the DLQ of a committed transaction; the parent counts
    the DLQ topic afterwards to show it did not happen here.
    """
    from confluent_kafka import Consumer, KafkaException, Producer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    from confluent_kafka.schema_registry.rule_registry import RuleRegistry
    from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
    from confluent_kafka.schema_registry.rules.dlq.dlq_action import DlqAction
    from confluent_kafka.schema_registry.serde import set_original_key
    from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

    name = f"{a.out}-g"
    producer = Producer({
        "bootstrap.servers": a.bootstrap_servers, "transactional.id": f"{name}-{uuid.uuid4().hex[:8]}",
        "enable.idempotence": True, "acks": "all", "linger.ms": 5,
    })  # fmt: skip
    producer.init_transactions(60)
    rules = RuleRegistry()
    rules.register_executor(CelExecutor())
    rules.register_action(DlqAction({DlqAction.PRODUCER: producer}))
    deserializer = AvroDeserializer(
        SchemaRegistryClient({"url": a.registry}),
        conf={"subject.name.strategy.type": "TOPIC"},
        rule_registry=rules,
    )
    consumer = Consumer({
        "bootstrap.servers": a.bootstrap_servers, "group.id": name, "isolation.level": "read_committed",
        "enable.auto.commit": False, "auto.offset.reset": "earliest",
    })  # fmt: skip
    consumer.subscribe([a.source])

    def produce(topic: str, key: bytes | None, value: bytes | None) -> None:
        send(producer, topic, value, key)

    def commit() -> None:
        offsets = consumer.position(consumer.assignment())
        producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), 60)
        producer.commit_transaction(60)

    seen = valid = invalid = pending = 0
    first = opened = 0.0
    in_txn = False
    while seen < a.target:
        messages = consumer.consume(min(500, a.target - seen), 0.5)
        for message in messages:
            if message.error() is not None:
                raise KafkaException(message.error())
            if not first:
                first = time.monotonic()
            if not in_txn:
                producer.begin_transaction()
                in_txn, opened = True, time.monotonic()
            ctx = SerializationContext(message.topic(), MessageField.VALUE, message.headers())
            set_original_key(message.key())  # what a key deserializer would have done: the DLQ record keeps its key
            try:
                deserializer(message.value(), ctx)
            except SerializationError:
                invalid += 1  # DlqAction has already produced it to the DLQ, in the open transaction
            else:
                valid += 1
                produce(a.out, message.key(), message.value())
            seen += 1
            pending += 1
        producer.poll(0)
        if in_txn and (pending >= a.commit_every or seen >= a.target or time.monotonic() - opened >= 1.0):
            commit()
            in_txn, pending = False, 0
    elapsed = time.monotonic() - first
    consumer.close()
    emit(records=seen, seconds=elapsed, valid=valid, invalid=invalid)


PATHS = {"passthrough": path_passthrough, "contract": path_contract, "gx": path_gx}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", choices=sorted(PATHS))
    for opt in ("--bootstrap-servers", "--registry", "--source", "--out", "--dlq", "--pipeline"):
        parser.add_argument(opt)
    parser.add_argument("--target", type=int)
    parser.add_argument("--commit-every", type=int)
    a = parser.parse_args(argv)
    PATHS[a.path](a)


if __name__ == "__main__":
    main()
