"""Judging on more cores: each batch is split between this process and worker processes.

A sentinel's Python work per record (fastavro's decoding, the rules) runs under one
GIL. Worker processes decode and validate parts of each batch, the batch after the one
the router is writing; the Kafka clients, the transaction and the routing stay in the
main process, and a batch is judged whole before any of it is produced, so exactly-once
is untouched (see the router for what a commit covers while a batch is judged ahead).
The main process judges a smaller part itself: it also consumes, produces and commits.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from confluent_kafka import Message

from governance.errors import GovernanceError, Transient
from governance.sentinel.judge import BatchTally, JudgeSpec
from governance.sentinel.routing import Verdict

MIN_SPLIT = 2_000
"""Smaller batches are judged here: shipping them costs more than it saves."""


def default_workers() -> int:
    """One per core this process may use, less the one it runs on, at most 4 (beyond that
    the main process's own Kafka work is the limit)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(cores - 1, 4))


class JudgePool:
    """A judge (`messages -> verdicts`) that splits each large batch over `workers` processes
    and this one, and reports the whole batch's tally to `on_batch` as one.

    `submit` starts judging a batch and returns at once; the router routes the batch
    before it while the workers judge this one (`Ticket.verdicts`). This process judges
    a share of each batch too, sized from what it saw last time: it shrinks while the
    workers' answers are ready before this process wants them (its own Kafka work is
    the bottleneck) and grows back while it has to wait for them."""

    def __init__(self, spec: JudgeSpec, workers: int, on_batch: Callable[[BatchTally], None] | None = None) -> None:
        self.local, self.on_batch = spec.build(), on_batch
        context = multiprocessing.get_context("spawn")
        self._conns: list[Connection] = []
        self._processes = []
        self._outboxes: list[queue.SimpleQueue[Any]] = []
        for n in range(workers):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, spec), name=f"sentinel-judge-{n + 1}", daemon=True)
            process.start()
            theirs.close()
            self._conns.append(ours)
            self._processes.append(process)
            # Jobs go out on their own thread: a worker blocked writing an answer this
            # process has not read yet must never block this process writing the next job.
            outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
            threading.Thread(target=_send_jobs, args=(ours, outbox), name=f"sentinel-judge-{n + 1}-jobs",
                             daemon=True).start()
            self._outboxes.append(outbox)
        self._own_share = 1 / (workers + 1)

    @property
    def workers(self) -> int:
        return len(self._conns)

    @property
    def min_split(self) -> int:
        return MIN_SPLIT if self._conns else 2**62

    def __call__(self, messages: list[Message]) -> list[Verdict]:
        return self.submit(messages).verdicts()

    def submit(self, messages: list[Message]) -> Ticket:
        """Start judging `messages`; at most one batch may wait for its verdicts at a time."""
        values, topics = self.local.inputs(messages)
        if len(values) < MIN_SPLIT or not self._conns:
            return Ticket(self, values, topics, 0)
        own = round(len(values) * self._own_share)
        share = (len(values) - own) / len(self._conns)
        ends = [round(share * (n + 1)) for n in range(len(self._conns))]
        for outbox, start, end in zip(self._outboxes, [0, *ends[:-1]], ends):
            outbox.put((values[start:end], topics[start:end] if topics is not None else None))
        return Ticket(self, values, topics, ends[-1], sent=True)

    def _answer(self, conn: Connection) -> tuple[list[Verdict], BatchTally]:
        try:
            kind, *body = conn.recv()
        except (EOFError, OSError):
            raise _died() from None
        if kind == "error":
            message, hint, transient = body
            raise (Transient if transient else GovernanceError)(message, hint)
        if kind == "crash":
            raise RuntimeError(f"a judge worker failed:\n{body[0]}")
        return body[0], body[1]

    def _steer(self, workers_were_ready: bool) -> None:
        step = 0.05 if workers_were_ready else -0.05
        self._own_share = min(1 / (len(self._conns) + 1), max(0.0, self._own_share - step))

    def dead(self) -> list[str]:
        """The worker processes that exited, with their exit codes (they exit only when the pool closes)."""
        return [f"{p.name} (exit code {p.exitcode})" for p in self._processes if not p.is_alive()]

    def close(self) -> None:
        for outbox in self._outboxes:
            outbox.put(None)
        for process in self._processes:
            process.join(5)
            if process.is_alive():
                process.kill()


class Ticket:
    """A batch being judged: its verdicts, once, in the batch's order."""

    def __init__(self, pool: JudgePool, values: list[bytes | None], topics: list[str] | None, own_from: int,
                 sent: bool = False) -> None:
        self._pool, self._values, self._topics, self._own_from, self._sent = pool, values, topics, own_from, sent

    def verdicts(self) -> list[Verdict]:
        pool, start = self._pool, self._own_from
        own = pool.local.judge_values(self._values[start:], self._topics[start:] if self._topics is not None else None)
        verdicts: list[Verdict] = []
        tally = BatchTally()
        if self._sent:
            pool._steer(all(conn.poll(0) for conn in pool._conns))
            answers = [pool._answer(conn) for conn in pool._conns]
        else:
            answers = []
        for part_verdicts, part_tally in [*answers, own]:
            verdicts.extend(part_verdicts)
            tally.add(part_tally)
        if pool.on_batch is not None:
            pool.on_batch(tally)
        return verdicts

    def discard(self) -> None:
        """Forget the batch (it will be read again): its answers are read and dropped."""
        if self._sent:
            for conn in self._pool._conns:
                try:
                    self._pool._answer(conn)
                except Exception:
                    pass


def _send_jobs(conn: Connection, outbox: queue.SimpleQueue[Any]) -> None:
    while True:
        job = outbox.get()
        try:
            conn.send(job)
        except OSError:
            return  # the worker is gone: the next answer read says so
        if job is None:
            return


def _died() -> GovernanceError:
    return Transient("a judge worker process died; nothing of the open batch was committed",
                           hint="restart the sentinel; it resumes at the last commit")


def _serve(conn: Connection, spec: JudgeSpec) -> None:
    # Ctrl-C, and a SIGTERM sent to the whole process group (systemd's default KillMode), are the main
    # process's to handle: it routes the batch these judge, commits, then closes the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    judge = spec.build()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            conn.send(("ok", *judge.judge_values(*job)))
        except GovernanceError as e:
            conn.send(("error", e.message, e.hint, isinstance(e, Transient)))
        except Exception:
            conn.send(("crash", traceback.format_exc()))
