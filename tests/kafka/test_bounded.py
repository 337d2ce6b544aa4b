"""Transactional calls bounded by the sentinel itself: a wait is said once, and a call that
overruns its own timeout gives the producer up (librdkafka does not always keep the timeout)."""

from __future__ import annotations

import threading

import pytest
from confluent_kafka import KafkaError, KafkaException

from governance.kafka.bounded import Bounded


def test_a_prompt_answer_says_nothing() -> None:
    said: list[str] = []
    assert Bounded(said.append).call(lambda: 42, "commit the transaction", 60) == 42
    assert said == []


def test_an_error_comes_back_as_it_was_raised() -> None:
    error = KafkaException(KafkaError(KafkaError._TIMED_OUT, "timed out", retriable=True))

    def fails() -> None:
        raise error

    with pytest.raises(KafkaException) as raised:
        Bounded(print).call(fails, "commit the transaction", 60)
    assert raised.value is error


def test_a_slow_answer_is_waited_for_and_said_once_with_what_it_waits_for() -> None:
    said: list[str] = []
    answer = threading.Event()

    def say(line: str) -> None:
        said.append(line)
        answer.set()  # Kafka answers once the wait was said

    served: list[int] = []
    bounded = Bounded(say, say_after_s=0.05, grace_s=60)
    assert bounded.call(lambda: answer.wait(60) and "done", "commit the transaction", 60,
                        serve=lambda: served.append(1)) == "done"
    assert served, "the client is polled while it waits, so its log lines (a lost broker) come out"
    assert len(said) == 2
    assert said[0].startswith("waiting for Kafka to commit the transaction: no answer for 0 s")
    assert said[1].startswith("Kafka answered after ")


def test_no_answer_past_the_calls_own_timeout_gives_the_producer_up() -> None:
    said: list[str] = []
    never = threading.Event()
    with pytest.raises(KafkaException) as raised:
        Bounded(said.append, say_after_s=0.01, grace_s=0.05).call(never.wait, "add the consumer offsets to the "
                                                                   "transaction", 0.05)
    err: KafkaError = raised.value.args[0]
    assert err.code() == KafkaError._TIMED_OUT and err.fatal(), "fatal: the router replaces the producer"
    assert "Kafka did not answer when asked to add the consumer offsets to the transaction" in err.str()
    assert len(said) == 1 and said[0].startswith("waiting for Kafka to add the consumer offsets to the transaction")
    never.set()
