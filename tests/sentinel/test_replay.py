"""`governance sentinel replay`: after a fix, dead letters that pass now go to the valid topic
once, with their original key, value, timestamp and headers, whatever kills the replay."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from kafka_helpers import consume_all, create_topic
from sentinel_helpers import GOVERNANCE, Sentinel, kpi_records

from governance.kafka import KafkaSettings

N = 6_000  # every third record has an amount over 100: 2,000 dead letters, and 20 without an id
RULE = "expect_column_values_to_be_between(amount)"


def pipeline(tmp_path: Path, name: str, source: str, max_amount: int) -> Path:
    path = tmp_path / f"{name}-{max_amount}.yml"
    path.write_text(f"name: {name}\nsource: {source}\nvalue_format: json\nexpectations:\n"
                    f"  - {{expectation: expect_column_values_to_be_between, column: amount, max_value: {max_amount}}}\n"
                    "  - {expectation: expect_column_values_to_not_be_null, column: id}\n")
    return path


def replay(path: Path, kafka: KafkaSettings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*GOVERNANCE, "sentinel", "replay", str(path), "-b", kafka.bootstrap_servers, *args],
                          capture_output=True, text=True, timeout=300)


def high_watermark(kafka: KafkaSettings, topic: str) -> int:
    consumer = Consumer(kafka.client_config(group_id="replay-test-watermarks"))
    try:
        return consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    except Exception:  # noqa: BLE001 - not created yet
        return 0
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def unique_name() -> str:
    return f"replay-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def dead_letters(kafka: KafkaSettings, unique_name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A pipeline whose amount rule was too strict (max 100) has routed N records; the fixed file allows 200.
    The tests below share it, in order: the dry runs first, then the replay."""
    tmp_path = tmp_path_factory.mktemp("replay")
    saved = {k: os.environ.get(k) for k in ("GOVERNANCE_STACK_DIR", "GOVERNANCE_REGISTRY_URL")}
    os.environ["GOVERNANCE_STACK_DIR"] = str(tmp_path / "no-stack")  # JSON KPI records: no registry anywhere
    os.environ.pop("GOVERNANCE_REGISTRY_URL", None)
    source = f"{unique_name}-raw"
    create_topic(kafka, source, partitions=1)
    producer = Producer(kafka.client_config(linger_ms=20))
    for i in range(N):
        value = {"id": None if i % 1000 == 999 else i, "amount": 150 if i % 3 == 0 else 50}
        producer.produce(source, json.dumps(value).encode(), f"k{i}".encode(), headers=[("seq", str(i).encode())])
        if i % 5000 == 0:
            producer.poll(0)
    producer.flush(60)
    sentinel = Sentinel(pipeline(tmp_path, unique_name, source, 100), kafka, None, "--idle-exit", "3")
    assert sentinel.process.wait(180) == 0, sentinel.output
    yield pipeline(tmp_path, unique_name, source, 200)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def fixed(i: int) -> bool:
    """Dead letters that the fixed rules pass: amount 150 and an id."""
    return i % 3 == 0 and i % 1000 != 999


def test_a_dry_run_says_what_would_move_and_why_and_writes_nothing(dead_letters: Path, kafka: KafkaSettings,
                                                                    unique_name: str) -> None:
    source = f"{unique_name}-raw"
    before = high_watermark(kafka, f"{source}-valid")
    result = replay(dead_letters, kafka, "--dry-run")
    assert result.returncode == 0, result.stderr
    moving = sum(1 for i in range(N) if fixed(i))
    assert f"would move {moving:,} record(s) to {source}-valid" in result.stdout
    assert f"it failed {RULE}; it passes now" in result.stdout
    listed = [line for line in result.stdout.splitlines() if line.startswith("  would move ")]
    assert len(listed) == 50
    assert f"  ... and {moving - 50:,} more ({moving:,} in all, by what they failed below)" in result.stdout
    assert high_watermark(kafka, f"{source}-valid") == before
    assert high_watermark(kafka, f"{source}-dlq-replayed") == 0


def test_a_replay_against_a_closed_port_says_so_within_seconds(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
    done = subprocess.run([*GOVERNANCE, "sentinel", "replay", str(pipeline(tmp_path, "closed", "closed-raw", 100)),
                           "-b", address, "--dry-run"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert f"did not answer: nothing listens at {address} (connection refused)." in done.stderr
    assert "Traceback" not in done.stderr


def test_filters_limit_what_is_judged_again(dead_letters: Path, kafka: KafkaSettings) -> None:
    result = replay(dead_letters, kafka, "--rule", "expect_column_values_to_not_be_null(id)", "--dry-run")
    assert result.returncode == 0 and "would move 0 record(s)" in result.stdout
    assert "6 stay in" in result.stdout  # the null ids still fail
    later = replay(dead_letters, kafka, "--since", "2999-01-01T00:00", "--dry-run")
    assert "would move 0 record(s)" in later.stdout and "2,004 outside the filters" in later.stdout
    typo = replay(dead_letters, kafka, "--rule", "expect_column_values_to_be_betwen(amount)", "--dry-run")
    assert f"did you mean `{RULE}`?" in typo.stderr


def test_a_replay_killed_midway_and_run_again_writes_every_fixed_record_once(
        dead_letters: Path, kafka: KafkaSettings, unique_name: str) -> None:
    source = f"{unique_name}-raw"
    process = subprocess.Popen([*GOVERNANCE, "sentinel", "replay", str(dead_letters), "-b", kafka.bootstrap_servers],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline and high_watermark(kafka, f"{source}-dlq-replayed") == 0:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)  # midway if it has not finished yet
    process.wait(30)
    again = replay(dead_letters, kafka)
    assert again.returncode == 0, again.stderr
    once_more = replay(dead_letters, kafka)
    assert "moved 0 record(s)" in once_more.stdout

    moving = {f"k{i}".encode() for i in range(N) if fixed(i)}
    valid_at_first = sum(1 for i in range(N) if i % 3 and i % 1000 != 999)
    valid = consume_all(kafka, f"{source}-valid", valid_at_first + len(moving), group=f"{unique_name}-v")
    replayed = [m for m in valid if any(k == "__sentinel.replayed.from" for k, _ in m.headers() or ())]
    assert sorted(m.key() for m in replayed) == sorted(moving)  # each fixed record once
    dlq = consume_all(kafka, f"{source}-dlq", N - valid_at_first, group=f"{unique_name}-d")
    by_key = {m.key(): m for m in dlq}
    for m in replayed:  # the original record, as it was, with where it came from
        original = by_key[m.key()]
        headers = dict(m.headers())
        assert m.value() == original.value() and m.timestamp() == original.timestamp()
        assert headers["seq"] == dict(original.headers())["seq"] and "__connect.errors.stage" not in headers
        assert headers["__sentinel.replayed.from"] == f"{source}-dlq/0/{original.offset()}".encode()
    def decode(value: bytes) -> dict:
        assert value[:1] == b"{", value[:80]
        return json.loads(value)

    kpis = kpi_records(kafka, f"{unique_name}-kpi", f"{unique_name}-k", decode)
    assert sum(k["window"]["valid"] for k in kpis) == len(valid)
    assert sum(k["window"]["invalid"] for k in kpis) == len(dlq)
    assert sum(k["window"]["replayed"] for k in kpis) == len(moving)
