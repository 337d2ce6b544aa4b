"""Connecting to Kafka: settings resolved once at the edge, handed to clients."""

from governance.kafka.settings import KafkaSettings, resolve_kafka_settings

__all__ = ["KafkaSettings", "resolve_kafka_settings"]
