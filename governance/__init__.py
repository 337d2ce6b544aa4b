"""Schema governance and data quality for Apache Kafka."""

__version__ = "0.1.0"
