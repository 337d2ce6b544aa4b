"""The routing engine writes every source record exactly once, to the valid
topic or the dead-letter topic, through crashes, rebalances and shutdowns."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from confluent_kafka import Message
from kafka_helpers import consume_all
from router_helpers import (
    BASE_TS,
    AheadJudge,
    Runner,
    assert_exact,
    expected_split,
    failed_rules,
    judge,
    produce_inputs,
    produce_paced,
    record,
    topics,
)

from governance.kafka import KafkaSettings
from governance.sentinel.router import Router, RouterConfig
from governance.sentinel.routing import Verdict

AHEAD = pytest.mark.parametrize("ahead", [False, True], ids=["judged-in-step", "judged-ahead"])
"""A judge that works ahead (the sentinel's judge workers) leaves a batch consumed but not routed
at every commit, revoke, stop and kill; the guarantees are the same."""


@pytest.mark.slow
@AHEAD
def test_100k_records_land_once_in_valid_or_dlq_with_key_value_headers_and_timestamp(
    kafka: KafkaSettings, unique_name: str, ahead: bool
) -> None:
    n = 100_000
    source, valid, dlq = topics(kafka, unique_name)
    produce_inputs(kafka, source, range(n))
    config = RouterConfig(
        sources=(source,), valid_topic=valid, dlq_topic=dlq, group_id=unique_name,
        pipeline_name="orders-quality", transactional_id_prefix=unique_name, commit_every_records=5000,
    )  # fmt: skip
    router = Router(kafka, config, AheadJudge() if ahead else judge)
    stop = threading.Event()
    thread = threading.Thread(target=router.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 120
    while router.stats().committed.records_in < n and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    thread.join(60)
    assert not thread.is_alive()

    valid_out, dlq_out = assert_exact(kafka, unique_name, valid, dlq, n)
    inputs = {m.value(): m for m in consume_all(kafka, source, n, group=f"{unique_name}-check-in")}
    for message in valid_out:
        i = int(message.key()[1:])
        key, value, headers, ts = record(i)
        assert (message.key(), message.value(), message.headers(), message.timestamp()[1]) == (key, value, headers, ts)
    for message in dlq_out:
        i = int(message.key()[1:])
        key, value, original_headers, ts = record(i)
        assert (message.key(), message.value(), message.timestamp()[1]) == (key, value, BASE_TS + i)
        headers = message.headers()
        assert headers[0] == original_headers[0], "original headers come first, unchanged"
        context = dict(headers[1:])
        source_record = inputs[value]
        assert context["__connect.errors.topic"] == source.encode()
        assert context["__connect.errors.partition"] == str(source_record.partition()).encode()
        assert context["__connect.errors.offset"] == str(source_record.offset()).encode()
        assert context["__sentinel.pipeline"] == b"orders-quality"
        if value.startswith(b"poison"):
            assert context["__connect.errors.stage"] == b"deserialize"
            assert failed_rules(context) == []
            assert context["__connect.errors.exception.class.name"] == b"ValueError"
            assert context["__connect.errors.exception.message"] == b"cannot decode poison"
        else:
            assert context["__connect.errors.stage"] == b"validate"
            assert failed_rules(context) == [{"rule": "not_bad", "message": f"value {value[:12]!r} starts with bad"}]
            assert "__connect.errors.exception.class.name" not in context

    stats = router.stats()
    expected_valid, expected_invalid = expected_split(n)
    assert stats.committed.records_in == n
    assert stats.committed.valid == len(expected_valid)
    assert stats.committed.invalid == len(expected_invalid)
    poison = sum(1 for v in expected_invalid if v.startswith(b"poison"))
    assert stats.committed.invalid_by_stage == {"deserialize": poison, "validate": len(expected_invalid) - poison}


@pytest.mark.slow
@AHEAD
def test_sigkill_five_times_during_200k_records_loses_and_duplicates_nothing(
    kafka: KafkaSettings, unique_name: str, ahead: bool
) -> None:
    n = 200_000
    source, valid, dlq = topics(kafka, unique_name)
    produce_inputs(kafka, source, range(20_000))
    producing = produce_paced(kafka, source, 20_000, n)
    rng = random.Random(5)
    options = ("--ahead",) if ahead else ()
    for _ in range(5):
        runner = Runner(kafka, source, valid, dlq, unique_name, "slot-0", *options)
        runner.wait_for_commit()
        time.sleep(rng.uniform(0.05, 0.4))
        assert runner.process.poll() is None, "the runner is still routing when it is killed"
        runner.process.kill()
        assert runner.process.wait(10) == -signal.SIGKILL

    assert producing.is_alive(), "the kills happened while the input was still growing"
    runner = Runner(kafka, source, valid, dlq, unique_name, "slot-0", *options)
    try:
        assert_exact(kafka, unique_name, valid, dlq, n)
    finally:
        runner.process.terminate()
        runner.process.wait(30)


@pytest.mark.slow
@AHEAD
def test_two_processes_with_a_rebalance_mid_run_route_everything_exactly_once(
    kafka: KafkaSettings, unique_name: str, ahead: bool
) -> None:
    n = 200_000
    source, valid, dlq = topics(kafka, unique_name, partitions=6)
    produce_inputs(kafka, source, range(20_000))
    options = ("--ahead",) if ahead else ()
    first = Runner(kafka, source, valid, dlq, unique_name, "a", *options)
    first.wait_for_commit()
    producing = produce_paced(kafka, source, 20_000, n)
    second = Runner(kafka, source, valid, dlq, unique_name, "b", *options)
    second.wait_for_commit()  # both routing: the first leaves mid-stream
    first.process.send_signal(signal.SIGTERM)
    assert first.process.wait(30) == 0
    producing.join(120)
    try:
        assert_exact(kafka, unique_name, valid, dlq, n)
    finally:
        second.process.terminate()
        second.process.wait(30)


def test_sigterm_commits_the_open_transaction_and_exits_0(kafka: KafkaSettings, unique_name: str) -> None:
    n = 3_000
    source, valid, dlq = topics(kafka, unique_name, partitions=1)
    produce_inputs(kafka, source, range(n))
    # Commit thresholds far away: only the shutdown can commit these records.
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_COMMIT_RUNNER, kafka.bootstrap_servers, source, valid, dlq, unique_name],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == f"routed {n}"
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert process.stdout.read().splitlines() == [f"commit {n}", "stopped"]
    assert_exact(kafka, unique_name, valid, dlq, n)


_SLOW_COMMIT_RUNNER = """
import signal, sys, threading, time
from router_helpers import judge
from governance.kafka import KafkaSettings
from governance.sentinel.router import Router, RouterConfig
from governance.sentinel.routing import Verdict
bootstrap, source, valid, dlq, group = sys.argv[1:]
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
config = RouterConfig(sources=(source,), valid_topic=valid, dlq_topic=dlq, group_id=group, pipeline_name="p",
                      transactional_id_prefix=group, commit_every_records=10**9, commit_every_ms=10**9)
router = Router(KafkaSettings(bootstrap), config, judge)
def watch():
    while router._pending.records_in < 3000:
        time.sleep(0.01)
    print(f"routed {router._pending.records_in}", flush=True)
threading.Thread(target=watch, daemon=True).start()
router.run(stop, on_commit=lambda s: print(f"commit {s.committed.records_in}", flush=True))
print("stopped", flush=True)
"""


def test_a_judge_that_raises_stops_the_router_without_committing_what_it_never_routed(
    kafka: KafkaSettings, unique_name: str
) -> None:
    n = 2_000
    source, valid, dlq = topics(kafka, unique_name, partitions=1)
    produce_inputs(kafka, source, range(n))
    config = RouterConfig(
        sources=(source,), valid_topic=valid, dlq_topic=dlq, group_id=unique_name,
        pipeline_name="p", transactional_id_prefix=unique_name, commit_every_records=500, batch_size=100,
    )  # fmt: skip
    calls = 0

    def flaky_judge(messages: list[Message]) -> list[Verdict]:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("judge bug")
        return judge(messages)

    with pytest.raises(RuntimeError, match="judge bug"):
        Router(kafka, config, flaky_judge).run(threading.Event())

    stop = threading.Event()
    router = Router(kafka, config, judge)
    thread = threading.Thread(target=router.run, args=(stop,))
    thread.start()
    try:
        assert_exact(kafka, unique_name, valid, dlq, n)
    finally:
        stop.set()
        thread.join(60)
