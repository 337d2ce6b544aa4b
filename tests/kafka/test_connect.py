"""What `first_contact` finds out about bootstrap addresses before Kafka answers."""

from __future__ import annotations

import socket
import time

import pytest

from governance.errors import GovernanceError
from governance.kafka import KafkaSettings
from governance.kafka.connect import _host_port, _unreachable, first_contact


def test_bootstrap_addresses_are_read_as_librdkafka_reads_them() -> None:
    assert _host_port("127.0.0.1:9093") == ("127.0.0.1", 9093)
    assert _host_port(" broker-1 ") == ("broker-1", 9092)
    assert _host_port("SASL_SSL://broker-1:9094") == ("broker-1", 9094)
    assert _host_port("[::1]:9092") == ("::1", 9092)
    assert _host_port("a:b:c") == (None, 0)


def test_an_address_that_accepts_connections_is_not_unreachable() -> None:
    with socket.socket() as listening, socket.socket() as closed:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        closed.bind(("127.0.0.1", 0))
        up, down = (f"127.0.0.1:{s.getsockname()[1]}" for s in (listening, closed))
        assert _unreachable(f"{down},{up}") is None
        assert _unreachable(down) == f"nothing listens at {down} (connection refused)"
        assert _unreachable(f"{down},no-such-host.invalid:9092") == (
            f"nothing listens at {down} (connection refused); no-such-host.invalid is not a host name this "
            "machine knows")


def test_a_command_stops_waiting_for_a_closed_port_after_the_grace() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{closed.getsockname()[1]}"
        began = time.monotonic()
        with pytest.raises(GovernanceError) as raised:
            first_contact(KafkaSettings(address), timeout=60, refused_grace=1.0)
    assert raised.value.message == (f"Kafka at {address} (from flag) did not answer: nothing listens at {address} "
                                    "(connection refused).")
    assert time.monotonic() - began < 30, "well before the 60 s timeout"
