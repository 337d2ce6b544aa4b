"""GET /healthz and GET /readyz on a running sentinel's metrics port, and the gauges that repeat them:
ready only while partitions are assigned, healthy while idle for longer than every bound, failing
with a reason when the routing is stuck (a judge that blocks, a transaction that stays open, a dead
judge worker, a Kafka call its bound did not give up, routing that ended on an error). In-process
sentinels on the real broker and the stack's registry."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaException, Message
from kafka_helpers import create_topic
from sentinel_helpers import pipeline_file, produce_orders, scrape, wait_until

from governance.kafka import KafkaSettings
from governance.sentinel.consuming import consumer_config
from governance.sentinel.health import Bounds, Health
from governance.sentinel.kpi import Snapshot, WindowCounts
from governance.sentinel.metrics import families
from governance.sentinel.pipeline import load_pipeline
from governance.sentinel.router import Router, RouterConfig, RouterEvent
from governance.sentinel.routing import RouterStats, Verdict
from governance.sentinel.service import RunOptions, Sentinel, group_id

SMALL = Bounds(loop_s=1.0, transaction_s=1.0, call_slack_s=0.5)


class Running:
    """A sentinel connected to the test stack, routing on a thread until `close()`."""

    def __init__(self, kafka: KafkaSettings, registry_url: str, path: Path, workers: int = 0) -> None:
        options = RunOptions(registry_url=registry_url, metrics_port=0, metrics_host="127.0.0.1", live_status=False,
                             workers=workers)
        self.sentinel = Sentinel.connect(load_pipeline(path), kafka, options, io.StringIO())
        self.base = self.sentinel.metrics.url.removesuffix("/metrics")
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.sentinel.run()
        except BaseException as e:  # noqa: BLE001 - the test reads it
            self.error = e

    def start(self) -> Running:
        self.thread.start()
        return self

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as response:
                assert response.headers["Content-Type"] == "application/json"
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def gauges(self) -> dict[str, float]:
        pipeline = self.sentinel.pipeline.name
        return {name: value for (name, labels), value in scrape(self.base + "/metrics").items()
                if name in ("sentinel_healthy", "sentinel_ready", "sentinel_last_commit_seconds")
                and labels == frozenset({("pipeline", pipeline)})}

    def close(self) -> None:
        if self.thread.ident is None:  # never started: only the metrics port is bound
            self.sentinel.metrics.stop()
            return
        self.sentinel.stop()
        self.thread.join(90)
        assert not self.thread.is_alive(), "the sentinel did not stop"


@pytest.fixture
def source(kafka: KafkaSettings, unique_name: str) -> str:
    create_topic(kafka, f"{unique_name}-raw")
    return f"{unique_name}-raw"


@pytest.fixture
def running(kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str, source: str) -> Iterator[Running]:
    sentinel = Running(kafka, registry_url, pipeline_file(tmp_path, unique_name, source,
                                                          commit={"every_records": 1000, "every_ms": 200}))
    try:
        yield sentinel
    finally:
        sentinel.close()


class BlockingJudge:
    """The pipeline's judge, held at its call after the first `free` calls until `release`."""

    def __init__(self, judge: Any, free: int = 0) -> None:
        self.judge, self.free = judge, free
        self.held, self.release = threading.Event(), threading.Event()

    def __call__(self, messages: list[Message]) -> list[Verdict]:
        if self.free:
            self.free -= 1
        else:
            self.held.set()
            self.release.wait(120)
        return self.judge(messages)


def test_readyz_is_503_with_a_reason_until_partitions_are_assigned_and_while_a_rebalance_takes_them(
        running: Running, kafka: KafkaSettings, unique_name: str) -> None:
    seen: list[tuple[str, int, int, list[str]]] = []
    recorded = running.sentinel.router.on_event
    assert recorded is not None

    def on_event(event: RouterEvent, count: int) -> None:
        if event == "assigned" and not seen:  # the first assignment, just before the sentinel takes it
            status, body = running.get("/readyz")
            seen.append(("before", count, status, body["reasons"]))
        recorded(event, count)
        if event in ("assigned", "revoked"):
            status, body = running.get("/readyz")
            seen.append((event, count, status, body["reasons"]))

    running.sentinel.router.on_event = on_event
    running.start()
    wait_until(lambda: running.get("/readyz")[0] == 200, 60)
    status, body = running.get("/readyz")
    assert body["status"] == "ok" and body["reasons"] == [] and body["assigned_partitions"] == 1
    assert seen[0] == ("before", 1, 503, ["no partitions assigned: the consumer group is forming or rebalancing, "
                                           "or has more members than the sources have partitions"])
    assert seen[1] == ("assigned", 1, 200, [])

    # another member joins the group: the eager rebalance revokes everything, the one partition goes to one of them
    intruder = Consumer(consumer_config(kafka, group_id(running.sentinel.pipeline), 6000, None))
    intruder.subscribe([f"{unique_name}-raw"])

    def rebalanced() -> bool:
        intruder.consume(1, 0.2)  # the intruder joins the group while it polls
        return len(seen) >= 4

    try:
        wait_until(rebalanced, 60, interval=0)
    finally:
        intruder.close()
    revoked, reassigned = seen[2], seen[3]
    assert revoked[:3] == ("revoked", 1, 503) and "no partitions assigned" in revoked[3][0]
    assert reassigned[2] == (200 if reassigned[1] else 503), "ready exactly when this process got the partition"
    wait_until(lambda: running.get("/readyz")[0] == 200, 60)  # the intruder left: the partition is back
    assert running.gauges()["sentinel_ready"] == 1


def test_an_idle_sentinel_stays_healthy_longer_than_every_bound(running: Running, kafka: KafkaSettings,
                                                                 registry_url: str, source: str) -> None:
    running.sentinel.health.bounds = SMALL
    running.start()
    produce_orders(kafka, registry_url, source, range(20))
    wait_until(lambda: running.sentinel.router.stats().committed.records_in == 20, 60)
    time.sleep(3 * SMALL.loop_s)  # nothing to read, nothing committed, for longer than the bounds
    status, body = running.get("/healthz")
    assert status == 200 and body["status"] == "ok" and body["reasons"] == [], body
    assert body["seconds_since_records_routed"] > SMALL.loop_s and body["seconds_since_loop"] < SMALL.loop_s
    assert body["open_transaction_seconds"] is None and body["assigned_partitions"] == 1
    assert body["bounds"] == {"loop_s": 1.0, "transaction_s": 1.0, "call_slack_s": 0.5}
    gauges = running.gauges()
    assert gauges["sentinel_healthy"] == 1 and gauges["sentinel_ready"] == 1
    assert body["last_commit"] <= gauges["sentinel_last_commit_seconds"] <= time.time()


def test_a_judge_that_blocks_fails_healthz_with_a_reason_until_it_returns(
        running: Running, kafka: KafkaSettings, registry_url: str, source: str) -> None:
    running.sentinel.health.bounds = SMALL
    judge = running.sentinel.router.judge = BlockingJudge(running.sentinel.router.judge)
    running.start()
    wait_until(lambda: running.get("/readyz")[0] == 200, 60)
    produce_orders(kafka, registry_url, source, range(20))
    assert judge.held.wait(60)
    try:
        wait_until(lambda: running.get("/healthz")[0] == 503, 30)
        status, body = running.get("/healthz")
        assert body["status"] == "failing"
        assert [r for r in body["reasons"] if r.startswith("the routing loop has not turned for ")], body
        assert running.gauges()["sentinel_healthy"] == 0
        assert running.get("/readyz")[0] == 200, "still ready: the partitions are assigned, the producer initialised"
    finally:
        judge.release.set()
    wait_until(lambda: running.sentinel.router.stats().committed.records_in == 20, 60)
    assert running.get("/healthz")[0] == 200 and running.gauges()["sentinel_healthy"] == 1


def test_a_transaction_open_past_its_bound_fails_healthz(kafka: KafkaSettings, registry_url: str, tmp_path: Path,
                                                         unique_name: str, source: str) -> None:
    """The first batch routed into a transaction that is not due for an hour; then the judge holds the next."""
    running = Running(kafka, registry_url, pipeline_file(tmp_path, unique_name, source,
                                                         commit={"every_records": 100_000, "every_ms": 3_600_000}))
    running.sentinel.health.bounds = Bounds(loop_s=3600, transaction_s=1.0, call_slack_s=0.5)
    judge = running.sentinel.router.judge = BlockingJudge(running.sentinel.router.judge, free=1)
    running.start()
    try:
        wait_until(lambda: running.get("/readyz")[0] == 200, 60)
        produce_orders(kafka, registry_url, source, range(10))
        deadline = time.monotonic() + 90
        status, body = running.get("/healthz")
        while status != 503 and time.monotonic() < deadline:
            time.sleep(0.5)
            status, body = running.get("/healthz")
        assert status == 503, (f"still {status} after 90 s; judge held: {judge.held.is_set()}, "
                               f"router stats: {running.sentinel.router.stats()}, body: {body}")
        assert body["open_transaction_seconds"] > 1.0
        assert [r for r in body["reasons"] if r.startswith("a transaction has been open for ")], body
    finally:
        judge.release.set()
        running.close()


def test_a_dead_judge_worker_fails_healthz(kafka: KafkaSettings, registry_url: str, tmp_path: Path,
                                           unique_name: str, source: str) -> None:
    running = Running(kafka, registry_url, pipeline_file(tmp_path, unique_name, source), workers=1)
    running.start()
    try:
        wait_until(lambda: running.get("/healthz")[0] == 200 and running.get("/readyz")[0] == 200, 60)
        assert running.get("/healthz")[1]["dead_judge_workers"] == []
        pool = running.sentinel.pool
        assert pool is not None
        pool._processes[0].kill()
        wait_until(lambda: running.get("/healthz")[0] == 503, 30)
        assert running.get("/healthz")[1]["reasons"] == ["judge worker sentinel-judge-1 (exit code -9) died"]
    finally:
        running.close()


def router(unique_name: str) -> Router:
    """A router that is never run (its constructor talks to nothing)."""
    return Router(KafkaSettings("127.0.0.1:1", source="test"),
                  RouterConfig(sources=("in",), valid_topic="v", dlq_topic="d", group_id=unique_name,
                               pipeline_name=unique_name, transactional_id_prefix=unique_name), lambda m: [])


def test_a_kafka_call_waited_for_within_its_limit_is_healthy_and_one_its_bound_did_not_give_up_is_not(
        unique_name: str) -> None:
    r = router(unique_name)
    health = Health("orders", r, SMALL)
    r.bounded.grace_s = 0.1
    answer, serving = threading.Event(), threading.Event()
    with health.routing():
        waiting = threading.Thread(target=r.bounded.call, args=(answer.wait, "commit the transaction", 30), daemon=True)
        waiting.start()
        wait_until(lambda: r.bounded.pending is not None, 10, interval=0.05)
        time.sleep(2 * SMALL.loop_s)  # longer than the loop bound: waiting for Kafka is not being stuck
        probe = health.healthz()
        assert probe.ok and probe.body["kafka_call"]["what"] == "commit the transaction", probe.body
        assert probe.body["kafka_call"]["gives_up_after_s"] == pytest.approx(30.1)
        answer.set()
        waiting.join(10)
        assert health.healthz().body["kafka_call"] is None

        def hangs() -> None:  # the client's poll never returns: the waiter cannot give the call up
            serving.wait(60)

        def give_up() -> None:
            with pytest.raises(KafkaException):
                r.bounded.call(threading.Event().wait, "commit the transaction", 0.1, serve=hangs)

        stuck = threading.Thread(target=give_up, daemon=True)
        stuck.start()
        wait_until(lambda: not health.healthz().ok, 10, interval=0.1)
        (reason,) = health.healthz().body["reasons"]
        assert reason.startswith("Kafka was asked to commit the transaction ") and "the routing thread is stuck" in reason
        serving.set()
        stuck.join(10)


def test_routing_that_ended_on_an_error_is_failing_and_not_ready(unique_name: str) -> None:
    health = Health("orders", router(unique_name), SMALL)
    assert health.readyz().body["reasons"] == ["routing has not started"]
    assert health.healthz().ok, "starting is not stuck"
    with pytest.raises(RuntimeError), health.routing():
        raise RuntimeError("the judge broke")
    for probe in (health.healthz(), health.readyz()):
        assert not probe.ok and "routing stopped on an error: RuntimeError: the judge broke" in probe.body["reasons"]


def test_the_default_bounds_come_from_the_routers_timeouts() -> None:
    config = RouterConfig(sources=("in",), valid_topic="v", dlq_topic="d", group_id="g", pipeline_name="p",
                          transactional_id_prefix="g")
    assert Bounds.of(config, grace_s=5.0) == Bounds(loop_s=130.0, transaction_s=126.0, call_slack_s=5.0)


def test_the_last_commit_gauge_is_absent_before_the_first_commit(unique_name: str) -> None:
    health = Health("orders", router(unique_name), SMALL)

    def names() -> set[str]:
        snapshot = Snapshot(WindowCounts(), None, 0, time.time(), 0)
        return {s.name for f in families("orders", [], snapshot, RouterStats(), health=health) for s in f.samples}

    assert {"sentinel_healthy", "sentinel_ready"} <= names() and "sentinel_last_commit_seconds" not in names()
    health.committed()
    assert "sentinel_last_commit_seconds" in names()


def test_an_unknown_path_is_404_and_names_the_served_ones(running: Running) -> None:
    running.start()
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(running.base + "/health", timeout=10)
    assert error.value.code == 404
    assert error.value.read().decode() == "not served here; served: /metrics, /healthz, /readyz\n"
