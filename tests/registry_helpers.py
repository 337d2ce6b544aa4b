"""Start `governance registry serve` as a real process, and talk to it over raw HTTP."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import create_topic

from governance.kafka import KafkaSettings
from governance.stack.ports import free_ports


class RegistryProcess:
    """`governance registry serve` on its own port; `args` adds options such as --users-file.

    With `cafile` it serves HTTPS: the start is awaited over TLS, verified against that CA.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str = "_schemas",
        port: int | None = None,
        *,
        args: Sequence[str] = (),
        cafile: Path | None = None,
    ) -> None:
        self.port = port or free_ports(1)[0]
        self.url = f"{'https' if cafile else 'http'}://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "governance", "registry", "serve", "--port", str(self.port),
             "-b", bootstrap_servers, "--topic", topic, *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        context = ssl.create_default_context(cafile=str(cafile)) if cafile else None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"registry exited: {self.process.stdout.read()}")
            try:
                urllib.request.urlopen(self.url + "/", timeout=1, context=context).read()
                return
            except urllib.error.HTTPError:
                return  # it answers (401 when it requires credentials)
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError("registry did not start within 60s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def http(method: str, url: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/vnd.schemaregistry.v1+json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class Instance:
    """One instance of a multi-instance registry, its output in `log`."""

    def __init__(self, kafka: KafkaSettings, topic: str, log: Path) -> None:
        self.port = free_ports(1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "governance", "registry", "serve", "--port", str(self.port),
                 "-b", kafka.bootstrap_servers, "--topic", topic],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "instance did not start"
            try:
                urllib.request.urlopen(self.url + "/", timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)

    @property
    def says_primary(self) -> bool:
        return "is now the primary" in self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(20)


def schema(name: str) -> dict:
    return {"schema": json.dumps({"type": "record", "name": name, "fields": [{"name": "a", "type": "int"}]})}


def round_trip(kafka: KafkaSettings, topic: str, serializer: Callable[[Any, SerializationContext], bytes],
               deserializer: Callable[[bytes, SerializationContext], Any], sent: list[Any]) -> tuple[list[Any], list[bytes]]:
    """The records through the broker: what the deserializer made of them, and their bytes."""
    create_topic(kafka, topic)
    producer = Producer(kafka.client_config())
    for value in sent:
        producer.produce(topic, value=serializer(value, SerializationContext(topic, MessageField.VALUE)))
    producer.flush(30)
    consumer = Consumer(kafka.client_config(group_id=topic, auto_offset_reset="earliest"))
    consumer.subscribe([topic])
    received, raw = [], []
    try:
        while len(received) < len(sent):
            message = consumer.poll(10)
            assert message is not None, "records did not arrive"
            assert message.error() is None, message.error()
            raw.append(message.value())
            received.append(deserializer(message.value(), SerializationContext(topic, MessageField.VALUE)))
    finally:
        consumer.close()
    return received, raw
