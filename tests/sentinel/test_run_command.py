"""What `governance sentinel run` owns around a Sentinel: where log lines go, and the signals."""

from __future__ import annotations

import io
import logging
import os
import signal
import socket
import time

import pytest

from governance.cli.sentinel import operator_log, stop_on_signals
from governance.kafka.logs import client_logger
from governance.sentinel.status import Console


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_sentinels_log_and_a_lost_broker_go_to_its_console_while_it_runs() -> None:
    out = io.StringIO()
    logger = logging.getLogger("governance.sentinel")
    before = (list(logger.handlers), logger.level, logger.propagate)
    port = closed_port()
    refused = (f"[thrd:127.0.0.1:{port}/2]: 127.0.0.1:{port}/2: Connect to ipv4#127.0.0.1:{port} failed: "
               "Connection refused (after 0ms in state CONNECT)")
    with operator_log(Console(out, live=False), "orders"):
        logging.getLogger("governance.sentinel.router").info("assigned %s partitions", 3)
        for _ in range(3):
            client_logger().error("%s [%s] %s", "FAIL", "rdkafka#producer-1", refused)
    lines = out.getvalue().splitlines()
    assert lines[0] == "orders: assigned 3 partitions"
    assert [line for line in lines if "lost Kafka broker" in line] == [
        f"orders: lost Kafka broker 2 (127.0.0.1:{port}): Connect to ipv4#127.0.0.1:{port} failed: Connection refused. "
        "The clients retry on their own and nothing uncommitted is kept; its further connection errors are not shown."]
    assert len(lines) == 2, lines
    assert (list(logger.handlers), logger.level, logger.propagate) == before


class Stoppable:
    def __init__(self) -> None:
        self.out = io.StringIO()
        self.console = Console(self.out, live=False)
        self.stopping = False

    def stop(self) -> None:
        self.stopping = True


def test_sigterm_stops_after_the_commit_and_a_second_ctrl_c_abandons_it() -> None:
    sentinel = Stoppable()
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with stop_on_signals(sentinel):  # type: ignore[arg-type]
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 10
        while not sentinel.stopping and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sentinel.stopping
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(10)  # the handler raises in here
    assert sentinel.out.getvalue() == "SIGTERM: committing the open transaction and stopping\n"
    assert {s: signal.getsignal(s) for s in before} == before
