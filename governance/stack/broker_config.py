"""server.properties for a combined broker+controller node in KRaft mode."""

from __future__ import annotations

from collections.abc import Mapping

from governance.stack.ports import HOST
from governance.stack.state import BrokerState


def render(node: BrokerState, nodes: list[BrokerState], data_dir: str,
           sasl_ssl: Mapping[str, str] | None = None) -> str:
    """`sasl_ssl`: the settings of a SASL_SSL listener (`security.broker_settings`); without them, PLAINTEXT."""
    count = len(nodes)
    listener = "SASL_SSL" if sasl_ssl else "PLAINTEXT"
    replication = min(3, count)
    voters = ",".join(f"{n.id}@{HOST}:{n.controller_port}" for n in nodes)
    settings = {
        "process.roles": "broker,controller",
        "node.id": node.id,
        "controller.quorum.voters": voters,
        "listeners": f"{listener}://{HOST}:{node.port},CONTROLLER://{HOST}:{node.controller_port}",
        "advertised.listeners": f"{listener}://{HOST}:{node.port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": listener,
        "listener.security.protocol.map": f"{listener}:{listener},CONTROLLER:PLAINTEXT",
        **(sasl_ssl or {}),
        "log.dirs": data_dir,
        "num.partitions": 1,
        "default.replication.factor": replication,
        # With three nodes an acks=all write survives one node lost and is on two
        # when acknowledged (the sentinel's topics, `_schemas` and the KPIs alike).
        "min.insync.replicas": min(2, replication),
        "offsets.topic.replication.factor": replication,
        # Fewer internal partitions than the default 50 make the first consumer
        # group and the first transaction start in well under a second.
        "offsets.topic.num.partitions": 10,
        "transaction.state.log.replication.factor": replication,
        "transaction.state.log.min.isr": min(2, replication),
        "transaction.state.log.num.partitions": 10,
        "share.coordinator.state.topic.replication.factor": replication,
        "share.coordinator.state.topic.min.isr": min(2, replication),
        "group.initial.rebalance.delay.ms": 0,
        "auto.create.topics.enable": "true",
        "delete.topic.enable": "true",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())
