"""What an output topic refuses, predicted before producing (governance/kafka/limits.py).

Where every output topic has one `max.message.bytes`, the router leaves weighing a
record's headers to librdkafka: these tests hold librdkafka's own check, in `produce()`
with no broker, to the broker's measure (`batch_size`)."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer

from governance.kafka.limits import CLIENT_RECORD_OVERHEAD, DEFAULT_MAX_MESSAGE_BYTES, OutputLimits, TopicLimits, batch_size

SHAPES = {
    "bare": (None, None),
    "a key": (b"k", None),
    "a long key": (b"k" * 200, None),
    "one header": (None, [("a", b"b")]),
    "a thousand headers": (b"key", [(f"h{j}", str(j).encode()) for j in range(1000)]),
    "long headers": (b"key", [("x" * 300, b"y" * 300)] * 5),
    "null header values": (None, [("a", None)] * 10),
}


def refused_in_produce(producer: Producer, key: bytes | None, value: bytes, headers: list | None) -> bool:
    try:
        producer.produce("t", value, key, headers=headers)
    except KafkaException as e:
        assert e.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE
        return True
    return False


@pytest.mark.parametrize("limit", [DEFAULT_MAX_MESSAGE_BYTES, 50_000])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_producer_set_from_one_limit_refuses_what_the_topic_would_and_takes_the_rest(limit: int, shape: str) -> None:
    limits = OutputLimits([TopicLimits("valid", limit), TopicLimits("dlq", limit)])
    assert limits.client_checks_size
    producer = Producer({"bootstrap.servers": "127.0.0.1:1", "log_level": 0, **limits.producer_config})
    key, headers = SHAPES[shape]
    low, high = 0, limit  # the longest value produce() takes
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (low, middle - 1) if refused_in_produce(producer, key, b"v" * middle, headers) else (middle, high)
    # everything up to the topic's limit is taken; at most one byte beyond it slips through,
    # which the broker refuses and the router's careful mode then places
    assert limit <= batch_size(key, b"v" * low, headers) <= limit + 1
    assert limits.refusal("valid", key, b"v" * (low - 1), headers, 0) is None


def test_topics_of_different_limits_keep_the_weighing_in_the_router() -> None:
    limits = OutputLimits([TopicLimits("valid", 4_000_000), TopicLimits("dlq", DEFAULT_MAX_MESSAGE_BYTES)])
    assert not limits.client_checks_size
    assert limits.producer_config["message.max.bytes"] == 4_000_000 + 65_536
    assert limits.clear_below == DEFAULT_MAX_MESSAGE_BYTES - 4096


def test_a_limit_below_librdkafkas_floor_keeps_the_weighing_in_the_router() -> None:
    tiny = OutputLimits([TopicLimits("valid", 1_020), TopicLimits("dlq", 1_020)])
    assert not tiny.client_checks_size and tiny.producer_config["message.max.bytes"] == 1_000_000
    assert OutputLimits([TopicLimits("v", 1_000 + CLIENT_RECORD_OVERHEAD)]).client_checks_size
