"""A Confluent-compatible Schema Registry for Avro, stored in Kafka's `_schemas` topic."""
