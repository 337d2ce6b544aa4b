"""`governance sentinel replay` writes through the router's refusal ladder and its transactional
producer: a dead letter that passes now but that the valid topic refuses goes back to the DLQ
with the reason, as the sentinel would put it; a replay that fails aborts its open transaction."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import IsolationLevel, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, OffsetSpec
from kafka_helpers import consume_all, create_topic
from sentinel_helpers import GOVERNANCE, kpi_records

from governance.errors import GovernanceError
from governance.kafka import KafkaSettings
from governance.sentinel import headers as h
from governance.sentinel.headers import dlq_headers
from governance.sentinel.pipeline import load_pipeline
from governance.sentinel.replay import ReplayFilter, replay
from governance.sentinel.routing import Verdict

RULE = "expect_column_values_to_be_between(amount)"
VALID_LIMIT = 20_000
"""max.message.bytes of the valid topic: the one large dead letter does not fit."""


def pipeline(tmp_path: Path, name: str, max_amount: int) -> Path:
    path = tmp_path / f"{name}-{max_amount}.yml"
    path.write_text(f"name: {name}\nsource: {name}-raw\nvalue_format: json\nexpectations:\n"
                    f"  - {{expectation: expect_column_values_to_be_between, column: amount, max_value: {max_amount}}}\n")
    return path


def dead_letters(kafka: KafkaSettings, name: str, sizes: list[int]) -> None:
    """The topics of pipeline `name` and, in its DLQ, one record per size that failed the amount
    rule (amount 150, max 100), with the headers the router gives a dead letter."""
    source = f"{name}-raw"
    create_topic(kafka, source)
    create_topic(kafka, f"{source}-valid", config={"max.message.bytes": str(VALID_LIMIT)})
    create_topic(kafka, f"{source}-dlq")
    create_topic(kafka, f"{name}-kpi")
    producer = Producer(kafka.client_config())
    for i, size in enumerate(sizes):
        value = json.dumps({"id": i, "amount": 150, "padding": "x" * size}).encode()
        headers = dlq_headers([("seq", str(i).encode())], topic=source, partition=0, offset=i, stage="validate",
                              pipeline=name, failed_rules=[(RULE, "150 is above 100")],
                              exception_class=None, exception_message=None)
        producer.produce(f"{source}-dlq", value, f"k{i}".encode(), headers=headers)
    producer.flush(30)


def run_replay(path: Path, kafka: KafkaSettings, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GOVERNANCE_REGISTRY_URL"}
    env["GOVERNANCE_STACK_DIR"] = str(tmp_path / "no-stack")  # JSON KPI records: no registry anywhere
    return subprocess.run([*GOVERNANCE, "sentinel", "replay", str(path), "-b", kafka.bootstrap_servers, *args],
                          capture_output=True, text=True, timeout=300, env=env)


def test_a_dead_letter_the_valid_topic_refuses_goes_back_to_the_dlq_with_the_reason(
        kafka: KafkaSettings, tmp_path: Path) -> None:
    name = f"replay-refused-{uuid.uuid4().hex[:8]}"
    source = f"{name}-raw"
    dead_letters(kafka, name, [10, 10, 50_000, 10])
    fixed = pipeline(tmp_path, name, 200)

    first = run_replay(fixed, kafka, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert f"1 record(s) that pass now were refused by {source}-valid and went back to {source}-dlq" in first.stdout
    assert f"moved 3 record(s) to {source}-valid" in first.stdout
    valid = consume_all(kafka, f"{source}-valid", 3, group=f"{name}-v")
    assert sorted(m.key() for m in valid) == [b"k0", b"k1", b"k3"]
    dlq = consume_all(kafka, f"{source}-dlq", 5, group=f"{name}-d")
    assert len(dlq) == 5
    back = dict(dlq[4].headers())
    assert dlq[4].key() == b"k2" and dlq[4].value() == dlq[2].value()
    assert back[h.STAGE] == b"produce"
    assert back[h.EXCEPTION_CLASS] == b"org.apache.kafka.common.errors.RecordTooLargeException"
    assert f"{source}-valid refused the record".encode() in back[h.EXCEPTION_MESSAGE]
    assert f"max.message.bytes={VALID_LIMIT:,}".encode() in back[h.EXCEPTION_MESSAGE]
    assert (back[h.TOPIC], back[h.PARTITION], back[h.OFFSET]) == (source.encode(), b"0", b"2")
    assert back["seq"] == b"2" and back["__sentinel.replayed.from"] == f"{source}-dlq/0/2".encode()
    kpis = kpi_records(kafka, f"{name}-kpi", f"{name}-k", json.loads)
    assert (kpis[-1]["window"]["valid"], kpis[-1]["window"]["invalid"], kpis[-1]["window"]["replayed"]) == (3, 1, 3)

    again = run_replay(fixed, kafka, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "moved 0 record(s)" in again.stdout and "4 replayed before" in again.stdout
    assert f"1 stay in {source}-dlq only" in again.stdout, "refused again: its dead letter already says why"
    assert len(consume_all(kafka, f"{source}-dlq", 5, group=f"{name}-d2")) == 5, "nothing is dead-lettered twice"

    admin = AdminClient(kafka.client_config())
    resource = ConfigResource(ConfigResource.Type.TOPIC, f"{source}-valid", incremental_configs=[
        ConfigEntry("max.message.bytes", "1048588", incremental_operation=AlterConfigOpType.SET)])
    admin.incremental_alter_configs([resource])[resource].result(timeout=30)
    raised = run_replay(fixed, kafka, tmp_path, "--stage", "produce")
    assert raised.returncode == 0, raised.stderr
    assert f"moved 1 record(s) to {source}-valid" in raised.stdout
    assert sorted(m.key() for m in consume_all(kafka, f"{source}-valid", 4, group=f"{name}-v2")) == [
        b"k0", b"k1", b"k2", b"k3"]


def stable_offset(admin: AdminClient, tp: TopicPartition) -> tuple[int, int]:
    """(last stable offset, high watermark): below the watermark while a transaction is open."""
    def end(isolation: IsolationLevel) -> int:
        future = admin.list_offsets({tp: OffsetSpec.latest()}, isolation_level=isolation)[tp]
        return future.result(timeout=30).offset

    return end(IsolationLevel.READ_COMMITTED), end(IsolationLevel.READ_UNCOMMITTED)


def test_a_replay_that_fails_inside_its_transaction_aborts_it(kafka: KafkaSettings, tmp_path: Path) -> None:
    """The KPI record of a run with a registry needs its schema registered, inside the transaction:
    with the registry down, the replay fails after writing the moved records and must abort,
    not leave the transaction open (read_committed readers of the valid topic would wait for
    `transaction.timeout.ms`, a minute, until the next run fenced it)."""
    name = f"replay-abort-{uuid.uuid4().hex[:8]}"
    valid = TopicPartition(f"{name}-raw-valid", 0)
    dead_letters(kafka, name, [10, 10, 10])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    passes = (lambda records: [Verdict(True) for _ in records])
    with pytest.raises(GovernanceError, match="cannot reach the schema registry"):
        replay(load_pipeline(pipeline(tmp_path, name, 200)), kafka, closed, ReplayFilter(), False, io.StringIO(), passes)

    admin = AdminClient(kafka.client_config())
    stable, high = stable_offset(admin, valid)
    deadline = time.monotonic() + 20  # the abort's markers land within moments; an open transaction holds for 60 s
    while stable < high and time.monotonic() < deadline:
        time.sleep(0.2)
        stable, high = stable_offset(admin, valid)
    assert high >= 3, "the moved records were written before the failure"
    assert stable == high, "the failed run's transaction is still open"
    assert consume_all(kafka, valid.topic, 0, group=f"{name}-v", settle=1.0) == []
