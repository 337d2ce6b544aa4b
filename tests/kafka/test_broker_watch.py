"""BrokerWatch: librdkafka's retries against a lost broker become one line when it is lost
and one when it answers again; everything else passes through untouched."""

from __future__ import annotations

import logging
import socket
import time

from governance.kafka.broker_watch import BrokerWatch


def _librdkafka(text: str, level: int = logging.ERROR, fac: str = "FAIL") -> logging.LogRecord:
    """A record as confluent-kafka logs it: "%s [%s] %s" % (facility, client, message)."""
    return logging.LogRecord("governance.kafka.client", level, "", 0, "%s [%s] %s", (fac, "rdkafka#consumer-3", text), None)


def _refused(port: int, node: str = "2", suppressed: str = "") -> logging.LogRecord:
    return _librdkafka(f"[thrd:127.0.0.1:{port}/{node}]: 127.0.0.1:{port}/{node}: Connect to ipv4#127.0.0.1:{port} "
                       f"failed: Connection refused (after 0ms in state CONNECT{suppressed})")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_lost_broker_is_said_once_whatever_the_retries_and_clients() -> None:
    said: list[str] = []
    passed: list[logging.LogRecord] = []
    port = _closed_port()
    watch = BrokerWatch(said.append, passed.append, probe_every=60)
    try:
        watch.emit(_refused(port))
        watch.emit(_refused(port, suppressed=", 4 identical error(s) suppressed"))
        watch.emit(_refused(port, node="bootstrap"))
        watch.emit(_librdkafka(f"[thrd:GroupCoordinator]: GroupCoordinator: 127.0.0.1:{port}: Connect to ipv4#127.0.0.1:"
                               f"{port} failed: Connection refused (after 0ms in state CONNECT)"))
        watch.emit(_librdkafka(f"[thrd:127.0.0.1:{port}/2]: 127.0.0.1:{port}/2: Disconnected (after 5631ms in state UP)"))
    finally:
        watch.close()
    assert said == [f"lost Kafka broker 2 (127.0.0.1:{port}): Connect to ipv4#127.0.0.1:{port} failed: Connection refused. "
                    "The clients retry on their own and nothing uncommitted is kept; its further connection errors "
                    "are not shown."]
    assert passed == []
    assert watch.lost() == [f"2 (127.0.0.1:{port})"]


def test_a_coordinator_connection_names_the_broker_by_address() -> None:
    said: list[str] = []
    port = _closed_port()
    watch = BrokerWatch(said.append, lambda record: None, probe_every=60)
    watch.emit(_librdkafka(f"[thrd:TxnCoordinator]: TxnCoordinator: 127.0.0.1:{port}: Connect to ipv4#127.0.0.1:{port} "
                           "failed: Connection refused (after 0ms in state CONNECT, 1 identical error(s) suppressed)"))
    watch.close()
    assert said == [f"lost Kafka broker at 127.0.0.1:{port}: Connect to ipv4#127.0.0.1:{port} failed: Connection refused. "
                    "The clients retry on their own and nothing uncommitted is kept; its further connection errors "
                    "are not shown."]


def test_a_late_connection_error_about_a_broker_that_answers_is_not_a_loss() -> None:
    """librdkafka hands its log lines over late: a refusal logged after the broker came back."""
    said: list[str] = []
    passed: list[logging.LogRecord] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        watch = BrokerWatch(said.append, passed.append, probe_every=60)
        watch.emit(_refused(port))
        auth = _librdkafka(f"[thrd:127.0.0.1:{port}/2]: 127.0.0.1:{port}/2: SASL authentication error: "
                           "Authentication failed during authentication due to invalid credentials", fac="FAIL")
        watch.emit(auth)
        watch.close()
    assert said == [] and watch.lost() == []
    assert passed == [auth], "a failure that is not about the connection is shown as it is"


def test_lines_that_name_no_broker_pass_through() -> None:
    said: list[str] = []
    passed: list[logging.LogRecord] = []
    watch = BrokerWatch(said.append, passed.append)
    record = _librdkafka("[thrd:main]: Fatal error: Broker: Producer attempted an operation with an old epoch", fac="FATAL")
    watch.emit(record)
    watch.close()
    assert said == [] and passed == [record]


def test_the_broker_is_said_back_once_it_accepts_connections_again() -> None:
    said: list[str] = []
    port = _closed_port()
    watch = BrokerWatch(said.append, lambda record: None, probe_every=0.05)
    try:
        watch.emit(_refused(port, node="bootstrap"))
        time.sleep(0.3)
        assert len(said) == 1 and said[0].startswith(f"lost Kafka broker at 127.0.0.1:{port}:")
        with socket.create_server(("127.0.0.1", port)):
            deadline = time.monotonic() + 10
            while len(said) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        assert said[1] == f"Kafka broker at 127.0.0.1:{port} is back after 0 s."
        assert watch.lost() == []
        watch.emit(_refused(port))
        assert len(said) == 3 and said[2].startswith(f"lost Kafka broker 2 (127.0.0.1:{port})"), "a second loss is said again"
    finally:
        watch.close()
