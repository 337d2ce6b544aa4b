"""A local Apache Kafka cluster in KRaft mode: up, down, status.

Every node is a combined broker and controller on loopback, started from the
jars in the cache with this machine's Java. The data directory holds one
folder per node (config and storage), `logs/broker-N.log` and `stack.json`,
which names the processes so that `down` stops those and nothing else.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from governance.errors import GovernanceError
from governance.kafka.logs import silent_logger
from governance.kafka.properties import load_client_properties
from governance.kafka.settings import KafkaSettings
from governance.stack import broker_config, process
from governance.stack.dirs import cache_dir, default_data_dir, write_private
from governance.stack.jars import KAFKA_VERSION, ensure_kafka_jars
from governance.stack.java import require_java
from governance.stack.ports import HOST, free_ports, is_free
from governance.stack.security import MODES, PLAINTEXT, broker_settings, create_credentials, format_args
from governance.stack.state import BrokerState, ConsoleProcessState, RegistryProcessState, StackState

DEFAULT_PORT = 9092
REGISTRY_PORT = 8081
CONSOLE_PORT = 8090
CONTROLLER_PORT_OFFSET = 100
READY_TIMEOUT = 120.0
JVM_OPTS = ["-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true"]

Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class BrokerStatus:
    broker: BrokerState
    alive: bool


@dataclass(frozen=True)
class StackStatus:
    state: StackState
    brokers: list[BrokerStatus]
    registry_alive: bool = False
    console_alive: bool = False

    @property
    def running(self) -> bool:
        brokers_up = bool(self.brokers) and all(b.alive for b in self.brokers)
        return brokers_up and (self.state.registry is None or self.registry_alive)

    def to_json(self) -> dict:
        return {
            "running": self.running,
            "bootstrap_servers": self.state.bootstrap_servers,
            "brokers": [
                {
                    "id": b.broker.id,
                    "port": b.broker.port,
                    "controller_port": b.broker.controller_port,
                    "pid": b.broker.pid if b.alive else None,
                    "alive": b.alive,
                    "log": b.broker.log,
                }
                for b in self.brokers
            ],
            "registry_url": self.state.registry.url if self.registry_alive else None,
            "registry_pid": self.state.registry.pid if self.registry_alive else None,
            "console_url": self.state.console.url if self.console_alive and self.state.console else None,
            "console_pid": self.state.console.pid if self.console_alive and self.state.console else None,
            "log_dir": self.state.log_dir,
            "data_dir": self.state.data_dir,
            "kafka_version": self.state.kafka_version,
            "cluster_id": self.state.cluster_id,
            "security": self.state.security,
            "client_properties": self.state.client_properties,
        }

    def describe(self) -> list[str]:
        """`governance stack status` for people."""
        lines = [f"Kafka {self.state.kafka_version}: {'running' if self.running else 'not running'}",
                 f"  bootstrap servers  {self.state.bootstrap_servers}"]
        if self.state.client_properties is not None:
            lines.append(f"  security           SASL_SSL, SCRAM-SHA-512; clients use --kafka-config "
                         f"{self.state.client_properties}")
        for broker in self.brokers:
            state = f"pid {broker.broker.pid}" if broker.alive else "stopped"
            lines.append(f"  broker {broker.broker.id}           127.0.0.1:{broker.broker.port}  {state}")
        if self.state.registry is not None:
            registry = self.state.registry
            state = f"pid {registry.pid}" if self.registry_alive else "stopped"
            lines.append(f"  schema registry    {registry.url}  {state}")
        if self.state.console is not None:
            console = self.state.console
            state = f"pid {console.pid}" if self.console_alive else "stopped"
            lines.append(f"  console            {console.url}  {state}")
        lines.append(f"  logs               {self.state.log_dir}")
        return lines


class LocalStack:
    """The local cluster whose state lives in `data_dir`."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        cache: Path | None = None,
        progress: Progress = _stderr,
    ) -> None:
        self.data_dir = (data_dir or default_data_dir()).resolve()
        self.cache = cache or cache_dir()
        self.progress = progress

    # -- queries ---------------------------------------------------------

    def state(self) -> StackState | None:
        return StackState.load(self.data_dir)

    def status(self) -> StackStatus | None:
        state = self.state()
        if state is None:
            return None
        brokers = [BrokerStatus(b, process.is_ours(b.pid, b.config)) for b in state.brokers]
        registry_alive = state.registry is not None and process.is_ours(state.registry.pid, state.bootstrap_servers)
        console_alive = state.console is not None and process.is_ours(state.console.pid, state.bootstrap_servers)
        return StackStatus(state, brokers, registry_alive, console_alive)

    # -- up --------------------------------------------------------------

    def up(
        self,
        brokers: int | None = None,
        port: int | None = None,
        *,
        security: str | None = None,
        ready_timeout: float = READY_TIMEOUT,
    ) -> StackState:
        """Start the cluster, or the nodes of it that are not running; return its state.

        `port` is the first broker's port (the others follow it, controllers sit
        100 above); 0 picks free ports. `security` is `plaintext` (the default) or
        `sasl_ssl`, fixed when the stack is made. Running `up` on a running stack changes nothing.
        """
        state = self.state()
        if state is None:
            state = self._create(brokers or 1, DEFAULT_PORT if port is None else port, security or PLAINTEXT)
        else:
            self._check_matches(state, brokers, port, security)
        stopped = [b for b in state.brokers if not process.is_ours(b.pid, b.config)]
        if stopped:
            self._require_free_ports(stopped)
            java = require_java()
            classpath = ensure_kafka_jars(self.cache, state.kafka_version, progress=self.progress)
            self._format(java, classpath, state, stopped)
            for broker in stopped:
                self._launch(java, classpath, broker)
            state.save()
            self._wait_ready(state, ready_timeout)
        started_registry = state.registry is not None and not process.is_ours(state.registry.pid, state.bootstrap_servers)
        if started_registry:
            self._launch_registry(state, ready_timeout)
            state.save()
        if state.console is not None and not process.is_ours(state.console.pid, state.bootstrap_servers):
            self._launch_console(state, ready_timeout)
            state.save()
        elif not stopped and not started_registry:
            self.progress(f"The stack is already running at {state.bootstrap_servers} ({self.data_dir}).")
        return state

    def _create(self, brokers: int, port: int, security: str) -> StackState:
        if brokers < 1:
            raise GovernanceError(f"--brokers must be at least 1, not {brokers}.")
        if security not in MODES:
            raise GovernanceError(f"--security must be one of {', '.join(MODES)}, not {security!r}.")
        if port:
            broker_ports = [port + i for i in range(brokers)]
            controller_ports = [p + CONTROLLER_PORT_OFFSET for p in broker_ports]
        else:
            ports = free_ports(2 * brokers)
            broker_ports, controller_ports = ports[:brokers], ports[brokers:]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        nodes = [
            BrokerState(
                id=i + 1,
                port=broker_ports[i],
                controller_port=controller_ports[i],
                pid=None,
                config=str(self.data_dir / f"broker-{i + 1}" / "server.properties"),
                log=str(self.data_dir / "logs" / f"broker-{i + 1}.log"),
            )
            for i in range(brokers)
        ]
        self._require_free_ports(nodes)
        listener_settings = None
        if security != PLAINTEXT:
            create_credentials(self.data_dir, ",".join(f"{HOST}:{n.port}" for n in nodes))
            listener_settings = broker_settings(self.data_dir)
        for node in nodes:
            node_dir = Path(node.config).parent
            node_dir.mkdir(exist_ok=True)
            config = broker_config.render(node, nodes, str(node_dir / "data"), listener_settings)
            write_private(Path(node.config), config.encode())  # with security on, it holds the brokers' password
        log4j = resources.files("governance.stack").joinpath("resources/log4j2.properties").read_text()
        (self.data_dir / "log4j2.properties").write_text(log4j)
        registry_port = free_ports(1)[0] if not port else REGISTRY_PORT
        if not is_free(registry_port):
            raise GovernanceError(
                f"Port {registry_port} on {HOST} is already in use, so the schema registry cannot listen on it.",
                hint="stop whatever holds it, or use --port 0 to let the stack pick free ports",
            )
        registry = RegistryProcessState(registry_port, None, str(self.data_dir / "logs" / "registry.log"))
        console_port = free_ports(1)[0] if not port or not is_free(CONSOLE_PORT) else CONSOLE_PORT
        console = ConsoleProcessState(console_port, None, str(self.data_dir / "logs" / "console.log"), str(Path.cwd()))
        state = StackState(str(self.data_dir), KAFKA_VERSION, _new_cluster_id(), nodes, registry, console, security)
        state.save()
        return state

    def _check_matches(self, state: StackState, brokers: int | None, port: int | None, security: str | None) -> None:
        conflicts = []
        if brokers is not None and brokers != len(state.brokers):
            conflicts.append(f"{len(state.brokers)} broker(s), not {brokers}")
        if port and port != state.brokers[0].port:
            conflicts.append(f"port {state.brokers[0].port}, not {port}")
        if security is not None and security != state.security:
            conflicts.append(f"--security {state.security}, not {security}")
        if conflicts:
            raise GovernanceError(
                f"The stack in {self.data_dir} was created with {' and '.join(conflicts)}.",
                hint="run `governance stack down --purge` to start afresh, or pick another --data-dir",
            )

    @staticmethod
    def _require_free_ports(nodes: list[BrokerState]) -> None:
        for node in nodes:
            for port in (node.port, node.controller_port):
                if not is_free(port):
                    raise GovernanceError(
                        f"Port {port} on {HOST} is already in use, so broker {node.id} cannot listen on it.",
                        hint="stop whatever holds it (`ss -ltnp | grep :%d` shows it), or choose other "
                        "ports with --port N (or --port 0 for any free ones)" % port,
                    )

    def _format(self, java: Path, classpath: str, state: StackState, nodes: list[BrokerState]) -> None:
        """Format the KRaft storage of each node that has none yet, in parallel."""
        running = []
        for node in nodes:
            if (Path(node.config).parent / "data" / "meta.properties").is_file():
                continue
            command = [
                str(java), "-cp", classpath, "kafka.tools.StorageTool", "format",
                "-t", state.cluster_id, "-c", node.config, "--ignore-formatted",
                *(format_args(self.data_dir) if state.security != PLAINTEXT else []),
            ]  # fmt: skip
            running.append((node, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
        for node, proc in running:
            output, _ = proc.communicate(timeout=120)
            if proc.returncode != 0:
                raise GovernanceError(
                    f"Formatting the storage of broker {node.id} failed:\n{_tail(output)}",
                    hint=f"remove {self.data_dir} (`governance stack down --purge`) and try again",
                )

    def _launch(self, java: Path, classpath: str, node: BrokerState) -> None:
        opts = os.environ.get("GOVERNANCE_KAFKA_JVM_OPTS", "").split() or JVM_OPTS
        command = [
            str(java), *opts,
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
            "-cp", classpath, "kafka.Kafka", node.config,
        ]  # fmt: skip
        with open(node.log, "ab") as log:
            proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        node.pid = proc.pid
        self.progress(f"Started broker {node.id} on {HOST}:{node.port} (pid {proc.pid}, log {node.log}).")

    def _wait_ready(self, state: StackState, timeout: float) -> None:
        """Wait until every node is registered in the cluster's metadata."""
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient

        # Brokers refuse connections until they are up: expected, not news.
        admin = AdminClient(client_settings(state).client_config(logger=silent_logger()))
        deadline = time.monotonic() + timeout
        expected = {b.id for b in state.brokers}
        while True:
            for broker in state.brokers:
                if process.has_exited(broker.pid, broker.config):
                    raise GovernanceError(
                        f"Broker {broker.id} exited while starting. The end of {broker.log}:\n"
                        f"{_tail(Path(broker.log).read_text(errors='replace'))}",
                        hint="fix the cause above, then run `governance stack up` again",
                    )
            try:
                if set(admin.list_topics(timeout=2).brokers) >= expected:
                    self.progress(f"Kafka {state.kafka_version} is ready at {state.bootstrap_servers}.")
                    return
            except KafkaException:  # while the broker is still starting
                pass
            if time.monotonic() > deadline:
                raise GovernanceError(
                    f"Kafka did not answer a metadata request within {timeout:.0f}s. The end of "
                    f"{state.brokers[0].log}:\n{_tail(Path(state.brokers[0].log).read_text(errors='replace'))}",
                    hint="see the broker logs in " + state.log_dir,
                )
            time.sleep(0.25)

    def _launch_registry(self, state: StackState, timeout: float) -> None:
        """One `governance registry serve` beside the brokers, on their `_schemas` topic."""
        registry = state.registry
        assert registry is not None
        command = ["--port", str(registry.port), "--bootstrap-servers", state.bootstrap_servers, *_kafka_config(state)]
        registry.pid = _start_service("schema registry", ["registry", "serve", *command], registry.log,
                                      registry.url + "/", timeout)
        self.progress(f"Schema registry is ready at {registry.url} (pid {registry.pid}, log {registry.log}).")

    def _launch_console(self, state: StackState, timeout: float) -> None:
        """`governance console` beside the registry, showing the folder `stack up` ran in."""
        console, registry = state.console, state.registry
        assert console is not None
        if not Path(console.project).is_dir():
            console.project = str(Path.cwd())
        command = [
            "console", "--port", str(console.port), "--bootstrap-servers", state.bootstrap_servers,
            "--project", console.project, *(["--registry", registry.url] if registry is not None else []),
            *_kafka_config(state),
        ]  # fmt: skip
        console.pid = _start_service("console", command, console.log, console.url + "/static/console.css", timeout)
        self.progress(f"Console is ready at {console.url} (pid {console.pid}, showing {console.project}).")

    # -- down and single nodes --------------------------------------------

    def down(self, *, purge: bool = False) -> list[int]:
        """Stop the processes this stack started; with `purge`, delete its data too."""
        state = self.state()
        stopped: list[int] = []
        if state is not None:
            console = state.console
            if console is not None and process.is_ours(console.pid, state.bootstrap_servers):
                process.stop([console.pid])
                stopped.append(console.pid)
            if console is not None:
                console.pid = None
            registry = state.registry
            if registry is not None and process.is_ours(registry.pid, state.bootstrap_servers):
                process.stop([registry.pid])
                stopped.append(registry.pid)
            brokers = [b.pid for b in state.brokers if b.pid is not None and process.is_ours(b.pid, b.config)]
            process.stop(brokers)
            stopped.extend(brokers)
            for broker in state.brokers:
                broker.pid = None
            if registry is not None:
                registry.pid = None
            state.save()
        if purge and self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        return stopped

    def stop_broker(self, broker_id: int, *, hard: bool = False) -> None:
        """Stop one node (SIGTERM, or SIGKILL if `hard`), for fail-over tests and drills."""
        state = self._require_state()
        broker = state.broker(broker_id)
        if broker.pid is not None and process.is_ours(broker.pid, broker.config):
            if hard:
                process.kill(broker.pid)
            else:
                process.stop([broker.pid])
        broker.pid = None
        state.save()

    def _require_state(self) -> StackState:
        state = self.state()
        if state is None:
            raise GovernanceError(
                f"There is no local stack in {self.data_dir}.", hint="start one with `governance stack up`"
            )
        return state


def client_settings(state: StackState, source: str = "local stack") -> KafkaSettings:
    """How a client reaches this stack: its bootstrap servers plus, when secured, its client properties."""
    extra = load_client_properties(Path(state.client_properties)) if state.client_properties else {}
    extra.pop("bootstrap.servers", None)
    return KafkaSettings(state.bootstrap_servers, extra, source,
                         Path(state.client_properties) if state.client_properties else None)


def _kafka_config(state: StackState) -> list[str]:
    return ["--kafka-config", state.client_properties] if state.client_properties else []


def _start_service(what: str, args: list[str], log_path: str, probe_url: str, timeout: float) -> int:
    """`governance ARGS` in its own session, logging to `log_path`; its pid once `probe_url` answers."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "governance", *args], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise GovernanceError(f"The {what} exited with status {proc.returncode} while starting. The end of "
                                  f"{log_path}:\n{_tail(Path(log_path).read_text(errors='replace'))}")
        try:
            urllib.request.urlopen(probe_url, timeout=1).close()
            return proc.pid
        except OSError:
            if time.monotonic() > deadline:
                raise GovernanceError(f"The {what} did not answer within {timeout:.0f}s; see {log_path}") from None
            time.sleep(0.1)


def _new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, not starting with '-'."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines()[-lines:])
