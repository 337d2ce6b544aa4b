"""A lost broker as an operator wants to hear of it: one line when it stops answering,
one when it answers again, instead of librdkafka's connection error for every retry
of every client (a routine broker restart used to print dozens of `FAIL [rdkafka#...]`).

`BrokerWatch` is a logging handler for the clients' logger (`client_logger()`): a
librdkafka error that names a broker (`127.0.0.1:9093/2: Connect to ... failed`) marks
that broker lost, if it does not accept a TCP connection right then, and is said once;
while it is lost its further errors are dropped, and a thread tries a TCP connection to
it every second to say when it is back. Every other record goes on to `passthrough`
unchanged.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from governance.kafka.logs import client_logger

# librdkafka names a broker "host:port/nodeid" ("/bootstrap" before it knows the id), and
# the coordinator connections "GroupCoordinator: host:port" (also TxnCoordinator).
_ADDRESS = r"(?P<host>\[[^\]]+\]|[^\s:/\[\]]+):(?P<port>\d+)"
_BROKER = re.compile(rf"(?:^|\]: )(?:{_ADDRESS}/(?P<node>\d+|bootstrap)|\w+Coordinator: {_ADDRESS.replace('P<', 'P<c')}): "
                     r"(?P<what>.+)")
_CONNECTION = re.compile(r"Connect to|Connection refused|Disconnected|Connection reset|timed out", re.IGNORECASE)
_NOISE = re.compile(r"\s*\((?:after \d+ms in state \w+)?(?:, )?(?:\d+ identical error\(s\) suppressed)?\)\s*$")


@dataclass
class _Lost:
    node: str
    since: float


class BrokerWatch(logging.Handler):
    def __init__(self, say: Callable[[str], None], passthrough: Callable[[logging.LogRecord], None],
                 probe_every: float = 1.0) -> None:
        super().__init__(logging.DEBUG)
        self.say, self.passthrough, self.probe_every = say, passthrough, probe_every
        self._lost: dict[tuple[str, int], _Lost] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def emit(self, record: logging.LogRecord) -> None:
        match = _BROKER.search(_text(record))
        if match is None or record.levelno < logging.WARNING:
            self.passthrough(record)
            return
        host, port = (match["host"], match["port"]) if match["host"] else (match["chost"], match["cport"])
        address = (host.strip("[]"), int(port))
        node = match["node"] or "bootstrap"
        with self._lock:
            lost = self._lost.get(address)
            if lost is not None:
                if lost.node == "bootstrap" and node != "bootstrap":
                    lost.node = node
                return
        if _answers(address, timeout=0.5):
            # The broker answers: a line about a connection that failed before it came back
            # (librdkafka hands log lines over late), or a failure that is not a lost broker.
            if not _CONNECTION.search(match["what"]):
                self.passthrough(record)
            return
        with self._lock:
            if address in self._lost:
                return
            self._lost[address] = _Lost(node, time.monotonic())
            self._start_probe()
        reason = _NOISE.sub("", match["what"]).strip()
        self.say(f"lost Kafka broker {_name(node, address)}: {reason}. The clients retry on their own and "
                 "nothing uncommitted is kept; its further connection errors are not shown.")

    def lost(self) -> list[str]:
        with self._lock:
            return [_name(lost.node, address) for address, lost in self._lost.items()]

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        super().close()

    def _start_probe(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._probe, name="broker-watch", daemon=True)
            self._thread.start()

    def _probe(self) -> None:
        while not self._stop.wait(self.probe_every):
            with self._lock:
                addresses = list(self._lost)
            if not addresses:
                return
            for address in addresses:
                if _answers(address):
                    with self._lock:
                        lost = self._lost.pop(address)
                    self.say(f"Kafka broker {_name(lost.node, address)} is back after "
                             f"{time.monotonic() - lost.since:.0f} s.")


@contextmanager
def watching_brokers(say: Callable[[str], None], passthrough: Callable[[logging.LogRecord], None]) -> Iterator[BrokerWatch]:
    """Route the clients' log through a BrokerWatch (and nowhere else) while the block runs."""
    logger = client_logger()
    watch = BrokerWatch(say, passthrough)
    saved = logger.propagate
    logger.addHandler(watch)
    logger.propagate = False
    try:
        yield watch
    finally:
        logger.removeHandler(watch)
        logger.propagate = saved
        watch.close()


def _text(record: logging.LogRecord) -> str:
    """The message part of a librdkafka record: its arguments are (facility, client name, message)."""
    args = record.args
    return str(args[2]) if isinstance(args, tuple) and len(args) == 3 else record.getMessage()


def _name(node: str, address: tuple[str, int]) -> str:
    where = f"{address[0]}:{address[1]}"
    return f"at {where}" if node == "bootstrap" else f"{node} ({where})"


def _answers(address: tuple[str, int], timeout: float = 1.0) -> bool:
    try:
        socket.create_connection(address, timeout=timeout).close()
        return True
    except OSError:
        return False
