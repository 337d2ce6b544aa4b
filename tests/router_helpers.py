"""A simple judge and input records for the routing engine's tests."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from confluent_kafka import Message, Producer
from kafka_helpers import consume_all, create_topic

from governance.kafka import KafkaSettings
from governance.sentinel.routing import Verdict

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


class AheadJudge:
    """`judge` behind the interface of a judge that works ahead (governance.sentinel.workers.JudgePool):
    the router routes each batch on its next step, so a batch is consumed but not yet routed
    whenever the router commits, is revoked, stops or is killed."""

    min_split = 1

    def __call__(self, messages: list[Message]) -> list[Verdict]:
        return judge(messages)

    def submit(self, messages: list[Message]) -> "_Ticket":
        return _Ticket(messages)


class _Ticket:
    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages

    def verdicts(self) -> list[Verdict]:
        return judge(self.messages)

    def discard(self) -> None:
        pass


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


RUNNER = Path(__file__).resolve().parent / "sentinel" / "router_runner.py"


def topics(kafka: KafkaSettings, name: str, partitions: int = 3) -> tuple[str, str, str]:
    source, valid, dlq = f"{name}-in", f"{name}-valid", f"{name}-dlq"
    create_topic(kafka, source, partitions=partitions)
    create_topic(kafka, valid, partitions=partitions)
    create_topic(kafka, dlq, partitions=1)
    return source, valid, dlq


def assert_exact(kafka: KafkaSettings, name: str, valid: str, dlq: str, n: int) -> tuple[list[Message], list[Message]]:
    """Valid and DLQ topics (read_committed) hold records 0..n-1 split by the judge, each once."""
    expected_valid, expected_invalid = expected_split(n)
    valid_out = consume_all(kafka, valid, len(expected_valid), group=f"{name}-check-valid")
    dlq_out = consume_all(kafka, dlq, len(expected_invalid), group=f"{name}-check-dlq")
    assert duplicates(m.value() for m in valid_out) == {}
    assert duplicates(m.value() for m in dlq_out) == {}
    assert {m.value() for m in valid_out} == expected_valid
    assert {m.value() for m in dlq_out} == expected_invalid
    return valid_out, dlq_out


class Runner:
    """The router in a child process (router_runner.py); a thread collects its output lines."""

    def __init__(
        self, kafka: KafkaSettings, source: str, valid: str, dlq: str, group: str, instance: str, *options: str
    ) -> None:
        command = [sys.executable, str(RUNNER), kafka.bootstrap_servers, source, valid, dlq, group, instance, *options]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        self.commits: queue.Queue[str] = queue.Queue()
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._ended = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.strip()
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
            if line.startswith("commit"):
                self.commits.put(line)
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for_commit(self, timeout: float = 60) -> None:
        self.commits.get(timeout=timeout)

    def wait_for_line(self, prefix: str, after: int = 0, timeout: float = 60) -> int:
        """The index of the first output line at or after index `after` that starts with `prefix`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for i in range(after, len(self.lines)):
                    if self.lines[i].startswith(prefix):
                        return i
                left = deadline - time.monotonic()
                if left <= 0 or self._ended:
                    raise TimeoutError(f"no {prefix!r} line after line {after}; the runner printed {self.lines[-30:]}")
                self._changed.wait(min(left, 1.0))

    def committed_records(self) -> int:
        """Records committed so far according to the last `commit N` line (0 before the first)."""
        with self._changed:
            counts = [int(line.split()[1]) for line in self.lines if line.startswith("commit")]
        return counts[-1] if counts else 0

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM (a clean stop) unless the process already ended; its exit status."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            return None


def produce_paced(kafka: KafkaSettings, topic: str, start: int, stop: int, chunk: int = 10_000) -> threading.Thread:
    """Produce records start..stop in chunks a little apart, so routers are busy for a while."""

    def run() -> None:
        for first in range(start, stop, chunk):
            produce_inputs(kafka, topic, range(first, min(first + chunk, stop)))
            time.sleep(0.2)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread
