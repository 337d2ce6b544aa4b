"""Fault injection against the routing engine on the real broker: a fenced producer,
an abortable transaction, partitions lost to a stalled process, the at-least-once
mode with a crash, and an Outbox's records. After each fault the valid and
dead-letter topics, read with read_committed, hold the judge's split of the input
exactly once (or at least once, in the at-least-once mode)."""

from __future__ import annotations

import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import TypeVar

import pytest
from confluent_kafka import IsolationLevel, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from kafka_helpers import consume_all, create_topic
from router_helpers import (
    Runner,
    assert_exact,
    duplicates,
    expected_split,
    judge,
    produce_inputs,
    produce_paced,
    topics,
)

from governance.kafka import KafkaSettings
from governance.kafka.fencing import InstanceTakenOver
from governance.kafka.bounded import Bounded, unanswered
from governance.sentinel.router import Router, RouterConfig
from governance.sentinel.routing import ExtraRecord


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Running:
    """A router routing in a thread until `close()`."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.router.run(self.stop)
        except BaseException as e:  # noqa: BLE001 - reported by wait/close
            self.error = e

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
        def done() -> bool:
            if not self.thread.is_alive():
                raise AssertionError(f"the router stopped while waiting for {what}: {self.error!r}")
            return condition()

        try:
            wait_until(done, what, timeout)
        except AssertionError as e:
            # Where the routing thread was: what a timeout seen only in a loaded CI run needs.
            frame = sys._current_frames().get(self.thread.ident or 0)
            stack = "".join(traceback.format_stack(frame)) if frame is not None else "(gone)"
            raise AssertionError(f"{e}; stats {self.router.stats()}; the router was at:\n{stack}") from None

    def wait_committed(self, n: int, timeout: float = 60) -> None:
        self.wait(lambda: self.router.stats().committed.records_in >= n, f"{n} committed records", timeout)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(60)
        assert not self.thread.is_alive(), "the router did not stop within 60s"
        if self.error is not None:
            raise self.error


class KpiOutbox:
    """Writes `kpi-<seq>` to `topic` in every transaction and remembers which were
    committed and which aborted; `poison_at` adds one record the broker rejects."""

    def __init__(self, topic: str, poison_topic: str | None = None, poison_at: int | None = None) -> None:
        self.topic = topic
        self.poison_topic = poison_topic
        self.poison_at = poison_at
        self.owed = False
        self.finals: list[bool] = []
        self.open: list[int] = []
        self.committed_seqs: list[int] = []
        self.aborted_seqs: list[int] = []
        self.aborted_calls = 0

    def due(self) -> bool:
        return self.owed

    def records(self, final: bool) -> list[ExtraRecord]:
        self.finals.append(final)
        seq = len(self.finals)
        self.open.append(seq)
        out: list[ExtraRecord] = [(self.topic, b"kpi", f"kpi-{seq}".encode())]
        if seq == self.poison_at:
            assert self.poison_topic is not None
            out.append((self.poison_topic, b"big", b"x" * 20_000))
        return out

    def committed(self) -> None:
        self.committed_seqs += self.open
        self.open = []
        self.owed = False

    def aborted(self) -> None:
        self.aborted_calls += 1
        self.aborted_seqs += self.open
        self.open = []

    def rerouted(self, records: int) -> None:
        raise AssertionError("no record here is too large for the valid topic")

    def assert_topic_holds_the_committed_records(self, kafka: KafkaSettings, group: str) -> None:
        out = consume_all(kafka, self.topic, len(self.committed_seqs), group=group)
        assert duplicates(m.value() for m in out) == {}
        assert sorted(int(m.value().split(b"-")[1]) for m in out) == sorted(self.committed_seqs)


def config_for(name: str, source: str, valid: str, dlq: str, **overrides: object) -> RouterConfig:
    settings: dict[str, object] = dict(
        sources=(source,), valid_topic=valid, dlq_topic=dlq, group_id=name, pipeline_name="faults",
        transactional_id_prefix=name, commit_every_records=1000, commit_every_ms=200, batch_size=500,
    )  # fmt: skip
    settings.update(overrides)
    return RouterConfig(**settings)  # type: ignore[arg-type]


def test_a_fenced_producer_is_rebuilt_and_routing_resumes_exactly_once(kafka: KafkaSettings, unique_name: str) -> None:
    n = 30_000
    source, valid, dlq = topics(kafka, unique_name)
    produce_inputs(kafka, source, range(10_000))
    router = Router(kafka, config_for(unique_name, source, valid, dlq), judge)
    running = Running(router)
    try:
        running.wait_committed(3_000)
        # Another producer with the router's transactional id: its init_transactions
        # bumps the epoch, aborts the router's open transaction and fences its producer.
        intruder = Producer(kafka.client_config(transactional_id=router.transactional_id))
        intruder.init_transactions(60)
        # Records arriving after the fence make the router use its fenced producer.
        produce_inputs(kafka, source, range(10_000, n))
        running.wait(lambda: router.stats().producer_rebuilds >= 1, "a producer rebuild")
        running.wait_committed(n)
    finally:
        running.close()
    stats = router.stats()
    assert stats.producer_rebuilds >= 1
    assert stats.committed.records_in == n, "committed counters count every record once"
    assert_exact(kafka, unique_name, valid, dlq, n)


T = TypeVar("T")


class GivesUpOnce(Bounded):
    """As if librdkafka never returned from the router's first `send_offsets_to_transaction`
    (confluentinc/librdkafka#5456, a group coordinator gone from the metadata): given up."""

    def __init__(self) -> None:
        super().__init__(print)
        self.gave_up = False

    def call(self, operation: Callable[[], T], what: str, timeout_s: float,
             serve: Callable[[], object] | None = None) -> T:
        if what.startswith("add the consumer offsets") and not self.gave_up:
            self.gave_up = True
            raise unanswered(what, timeout_s + self.grace_s)
        return super().call(operation, what, timeout_s, serve)


def test_a_call_kafka_never_answers_replaces_the_producer_and_routing_resumes_exactly_once(
    kafka: KafkaSettings, unique_name: str
) -> None:
    """The stuck producer has a transaction open with records in it; the replacement's
    init_transactions has the broker abort it, and the router reads again from the committed offsets."""
    n = 10_000
    source, valid, dlq = topics(kafka, unique_name)
    produce_inputs(kafka, source, range(n))
    router = Router(kafka, config_for(unique_name, source, valid, dlq), judge)
    router.bounded = bounded = GivesUpOnce()
    running = Running(router)
    try:
        running.wait_committed(n)
    finally:
        running.close()
    assert bounded.gave_up
    stats = router.stats()
    assert stats.producer_rebuilds == 1 and stats.aborts == 1, stats
    assert stats.committed.records_in == n
    assert_exact(kafka, unique_name, valid, dlq, n)


class Intruder:
    """Another process's producer under a router's transactional.id that, like a sentinel, starts
    a new producer whenever it is fenced and writes a transaction to `topic` every 0.2 s."""

    def __init__(self, kafka: KafkaSettings, transactional_id: str, topic: str) -> None:
        self.kafka, self.transactional_id, self.topic = kafka, transactional_id, topic
        self.inits = 0
        self.failures: list[KafkaException] = []
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    self._work()
                except KafkaException as e:
                    # Fenced, or an init that failed (CONCURRENT_TRANSACTIONS until it timed
                    # out, say): start again, fencing the router in turn.
                    self.failures.append(e)
        except BaseException as e:  # noqa: BLE001 - reported by alive()
            self.error = e

    def _work(self) -> None:
        producer = Producer(self.kafka.client_config(transactional_id=self.transactional_id))
        producer.init_transactions(60)
        self.inits += 1
        while not self.stop.wait(0.2):
            producer.begin_transaction()
            producer.produce(self.topic, b"intruder")
            producer.commit_transaction(30)

    def alive(self) -> bool:
        assert self.thread.is_alive(), f"the intruder died after {self.inits} inits: {self.error!r}"
        return True

    def __str__(self) -> str:
        return f"the intruder initialised {self.inits} producers; its last failures: {self.failures[-3:]}"

    def close(self) -> None:
        self.stop.set()
        self.thread.join(60)


class Feed:
    """Input records from `start` on, a few hundred at a time, until `close()`: a router sees
    that its producer was fenced only when it next uses it."""

    def __init__(self, kafka: KafkaSettings, topic: str, start: int) -> None:
        self.kafka, self.topic, self.end = kafka, topic, start
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.1):
            produce_inputs(self.kafka, self.topic, range(self.end, self.end + 200))
            self.end += 200

    def close(self) -> int:
        """Stop; how many records were fed in all, counting from 0."""
        self.stop.set()
        self.thread.join(60)
        assert not self.thread.is_alive(), "the feed did not stop"
        return self.end


def test_a_producer_fenced_again_soon_after_its_rebuild_stops_the_router_as_taken_over(
    kafka: KafkaSettings, unique_name: str
) -> None:
    """One fence passes (the test above); producers fenced three times in a row, each replacement
    in a transaction younger than the transaction timeout, mean another process keeps using the
    transactional.id: the router stops with InstanceTakenOver instead of fencing it back for ever,
    and commits nothing more, so a router started afterwards routes every record exactly once."""
    source, valid, dlq = topics(kafka, unique_name)
    scratch = f"{unique_name}-intruder"
    create_topic(kafka, scratch)
    produce_inputs(kafka, source, range(10_000))
    router = Router(kafka, config_for(unique_name, source, valid, dlq), judge)
    running = Running(router)
    intruder: Intruder | None = None
    # Input keeps arriving until the router stops: it has to use each new producer after the intruder fenced it.
    feed = Feed(kafka, source, 10_000)
    try:
        running.wait_committed(3_000)
        intruder = fighting = Intruder(kafka, router.transactional_id, scratch)
        try:
            wait_until(lambda: fighting.alive() and not running.thread.is_alive(), "the router to stop", timeout=120)
        except AssertionError as e:
            raise AssertionError(f"{e}; the router still routes: {router.stats()}; {fighting}") from None
    finally:
        fed = feed.close()
        if intruder is not None:
            intruder.close()
        running.stop.set()
        running.thread.join(60)
    assert isinstance(running.error, InstanceTakenOver), running.error
    assert f"another process took over instance id {router.instance_id} " \
           f"(transactional.id {router.transactional_id})" in str(running.error)
    assert router.stats().producer_rebuilds >= 2, "the first two fences rebuilt the producer"

    n = fed + 10_000
    produce_inputs(kafka, source, range(fed, n))
    after = Router(kafka, config_for(unique_name, source, valid, dlq), judge)
    again = Running(after)
    try:
        again.wait(lambda: after.stats().committed.records_in + router.stats().committed.records_in >= n,
                   "the rest of the records")
    finally:
        again.close()
    assert after.stats().producer_rebuilds == 0
    assert router.stats().committed.records_in + after.stats().committed.records_in == n
    assert_exact(kafka, unique_name, valid, dlq, n)


def test_an_abortable_transaction_is_aborted_and_its_records_are_routed_once(
    kafka: KafkaSettings, unique_name: str
) -> None:
    n = 10_000
    source, valid, dlq = topics(kafka, unique_name)
    kpi, tiny = f"{unique_name}-kpi", f"{unique_name}-tiny"
    create_topic(kafka, kpi)
    # The broker rejects the outbox's 20 kB record here with MESSAGE_TOO_LARGE: the
    # producer accepts it locally, so the failure is a delivery error inside the
    # transaction, which makes it abortable.
    create_topic(kafka, tiny, config={"max.message.bytes": "1024"})
    produce_inputs(kafka, source, range(n))
    outbox = KpiOutbox(kpi, poison_topic=tiny, poison_at=3)
    router = Router(kafka, config_for(unique_name, source, valid, dlq), judge, outbox=outbox)
    running = Running(router)
    try:
        running.wait(lambda: router.stats().aborts >= 1, "an abort")
        running.wait_committed(n)
    finally:
        running.close()
    stats = router.stats()
    assert stats.aborts >= 1
    assert stats.producer_rebuilds == 0, "an abortable error keeps the producer"
    assert stats.committed.records_in == n
    assert outbox.aborted_calls >= 1
    assert 3 in outbox.aborted_seqs and 3 not in outbox.committed_seqs
    assert len(outbox.committed_seqs) == stats.commits
    assert_exact(kafka, unique_name, valid, dlq, n)
    outbox.assert_topic_holds_the_committed_records(kafka, f"{unique_name}-check-kpi")
    assert consume_all(kafka, tiny, 0, group=f"{unique_name}-check-tiny", isolation="read_uncommitted") == []


def has_open_transactions(kafka: KafkaSettings, topic_names: list[str]) -> bool:
    """Does any partition of these topics have a last stable offset below its high watermark?"""
    admin = AdminClient(kafka.client_config())
    metadata = admin.list_topics(timeout=10).topics
    partitions = [TopicPartition(t, p) for t in topic_names for p in metadata[t].partitions]

    def latest(level: IsolationLevel) -> dict[tuple[str, int], int]:
        specs = {tp: OffsetSpec.latest() for tp in partitions}
        futures = admin.list_offsets(specs, isolation_level=level, request_timeout=10)
        return {(tp.topic, tp.partition): f.result().offset for tp, f in futures.items()}

    return latest(IsolationLevel.READ_COMMITTED) != latest(IsolationLevel.READ_UNCOMMITTED)


def runner_stats(runner: Runner) -> dict[str, int]:
    line = next(line for line in runner.lines if line.startswith("stats "))
    return {key: int(value) for key, value in (item.split("=") for item in line.split()[1:])}


@pytest.mark.parametrize("stall", ["past_session_timeout", "past_transaction_timeout"])
def test_a_stalled_process_loses_its_partitions_aborts_rejoins_and_nothing_is_duplicated(
    kafka: KafkaSettings, unique_name: str, stall: str
) -> None:
    """SIGSTOP a runner in the middle of a transaction until the group has given its
    partitions to a second runner (static membership, 6 s session timeout), and in the
    second case also until the broker has aborted the stalled transaction (10 s
    transaction timeout, which fences the stalled producer's epoch). Resumed, the
    zombie's commit is refused (KIP-447) or on_lost aborts first; it rejoins and routes
    again, and nothing it wrote before the stall is ever visible."""
    n = 60_000
    source, valid, dlq = topics(kafka, unique_name)
    produce_inputs(kafka, source, range(20_000))
    # No commit by record count and one every 5 s: stopped once its first records
    # reached the broker, the first runner has a transaction open there.
    first = Runner(
        kafka, source, valid, dlq, unique_name, "a", "1000000000", "--commit-ms", "5000", "--report-routed"
    )  # fmt: skip
    second: Runner | None = None
    try:
        first.wait_for_line("routed")
        wait_until(lambda: has_open_transactions(kafka, [valid, dlq]), "the first runner's records at the broker")
        first.process.send_signal(signal.SIGSTOP)
        assert has_open_transactions(kafka, [valid, dlq]), "stopped with its transaction open"
        assert first.committed_records() == 0
        produce_inputs(kafka, source, range(20_000, 40_000))
        # Its join completes once the broker has dropped the stalled static member.
        second = Runner(kafka, source, valid, dlq, unique_name, "b", "500")
        second.wait_for_line("assigned 3")
        second.wait_for_commit()
        if stall == "past_transaction_timeout":
            # Once the second runner is idle, only the stalled transaction can hold
            # the outputs' last stable offsets back, until the broker aborts it.
            began = time.monotonic()
            wait_until(lambda: not has_open_transactions(kafka, [valid, dlq]), "the stalled transaction's abort")
            print(f"the broker aborted the stalled transaction {time.monotonic() - began:.1f}s after the takeover")
        stalled = len(first.lines)
        first.process.send_signal(signal.SIGCONT)
        lost = first.wait_for_line("lost", after=stalled)
        rejoined = first.wait_for_line("assigned", after=lost)
        produce_inputs(kafka, source, range(40_000, n))
        first.wait_for_line("routed", after=rejoined)
        assert first.stop() == 0, "SIGTERM commits the rejoined runner's transaction and exits 0"
        assert_exact(kafka, unique_name, valid, dlq, n)
    finally:
        if first.process.poll() is None:
            first.process.send_signal(signal.SIGCONT)
        first.stop()
        if second is not None:
            assert second.stop() == 0
    stats = runner_stats(first)
    assert stats["aborts"] >= 1, first.lines
    if stall == "past_transaction_timeout":
        # The broker's abort bumped the producer epoch: the zombie's own abort is fenced.
        assert stats["producer_rebuilds"] >= 1, first.lines
    print(f"{stall}: first runner printed {[line for line in first.lines if not line.startswith(('commit', 'routed'))]}")


def test_at_least_once_routes_every_record_once_in_a_clean_run(kafka: KafkaSettings, unique_name: str) -> None:
    n = 20_000
    source, valid, dlq = topics(kafka, unique_name)
    produce_inputs(kafka, source, range(n))
    router = Router(kafka, config_for(unique_name, source, valid, dlq, guarantee="at_least_once"), judge)
    running = Running(router)
    try:
        running.wait_committed(n)
    finally:
        running.close()
    stats = router.stats()
    assert stats.committed.records_in == n and stats.aborts == 0
    assert_exact(kafka, unique_name, valid, dlq, n)


def consume_until_seen(kafka: KafkaSettings, topic: str, expected: set[bytes], group: str) -> list[bytes]:
    """Values of `topic`, read until every expected one has been seen (duplicates allowed)."""
    values: list[bytes] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        values = [m.value() for m in consume_all(kafka, topic, len(expected), group=group, timeout=15)]
        if expected <= set(values):
            break
        group += "-again"
    return values


def test_at_least_once_loses_nothing_when_killed_mid_run(kafka: KafkaSettings, unique_name: str) -> None:
    n = 60_000
    source, valid, dlq = topics(kafka, unique_name)
    produce_inputs(kafka, source, range(20_000))
    producing = produce_paced(kafka, source, 20_000, n, chunk=5_000)
    runner = Runner(kafka, source, valid, dlq, unique_name, "slot-0", "1000", "--guarantee", "at_least_once")
    runner.wait_for_commit()
    runner.wait_for_commit()
    assert runner.process.poll() is None
    runner.process.kill()
    assert runner.process.wait(10) == -signal.SIGKILL
    assert runner.committed_records() < n, "killed mid-run"

    runner = Runner(kafka, source, valid, dlq, unique_name, "slot-0", "1000", "--guarantee", "at_least_once")
    try:
        producing.join(60)
        expected_valid, expected_invalid = expected_split(n)
        valid_out = consume_until_seen(kafka, valid, expected_valid, f"{unique_name}-check-valid")
        dlq_out = consume_until_seen(kafka, dlq, expected_invalid, f"{unique_name}-check-dlq")
        assert set(valid_out) == expected_valid
        assert set(dlq_out) == expected_invalid
    finally:
        assert runner.stop() == 0


def test_outbox_records_land_once_per_committed_transaction_and_a_final_one_on_clean_stop(
    kafka: KafkaSettings, unique_name: str
) -> None:
    n = 5_000
    source, valid, dlq = topics(kafka, unique_name)
    kpi = f"{unique_name}-kpi"
    create_topic(kafka, kpi)
    produce_inputs(kafka, source, range(n))
    outbox = KpiOutbox(kpi)
    router = Router(kafka, config_for(unique_name, source, valid, dlq), judge, outbox=outbox)
    running = Running(router)
    try:
        running.wait_committed(n)
    finally:
        running.close()
    stats = router.stats()
    assert outbox.finals[-1] is True, "the clean stop asks for the final records"
    assert outbox.finals.count(True) == 1
    assert outbox.aborted_seqs == [] and outbox.open == []
    assert len(outbox.committed_seqs) == stats.commits == len(outbox.finals)
    assert_exact(kafka, unique_name, valid, dlq, n)
    outbox.assert_topic_holds_the_committed_records(kafka, f"{unique_name}-check-kpi")


def test_an_outbox_that_is_due_commits_its_records_with_no_source_records(
    kafka: KafkaSettings, unique_name: str
) -> None:
    source, valid, dlq = topics(kafka, unique_name, partitions=1)
    kpi = f"{unique_name}-kpi"
    create_topic(kafka, kpi)
    outbox = KpiOutbox(kpi)
    outbox.owed = True
    router = Router(kafka, config_for(unique_name, source, valid, dlq), judge, outbox=outbox)
    running = Running(router)
    try:
        running.wait(lambda: len(outbox.committed_seqs) >= 1, "the outbox's commit")
        assert outbox.committed_seqs == [1] and outbox.finals == [False]
        # Not due any more: no empty transactions until it is owed again.
        time.sleep(1)
        assert router.stats().commits == 1
        outbox.owed = True
        running.wait(lambda: len(outbox.committed_seqs) >= 2, "the second due commit")
    finally:
        running.close()
    assert outbox.finals == [False, False, True]
    assert outbox.committed_seqs == [1, 2, 3]
    assert router.stats().committed.records_in == 0
    outbox.assert_topic_holds_the_committed_records(kafka, f"{unique_name}-check-kpi")
    assert consume_all(kafka, valid, 0, group=f"{unique_name}-check-valid", timeout=3) == []
