"""Telling another process with this one's instance id from a fence that passes."""

from __future__ import annotations

from confluent_kafka import KafkaError

from governance.kafka.fencing import FenceWatch, instance_conflict, is_fence


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_fences_in_a_row_soon_after_each_replacement_are_a_takeover() -> None:
    clock = Clock()
    watch = FenceWatch(60, clock)
    watch.started(replacing_fenced=False)
    clock.now += 3600
    assert watch.takeover() is None, "a producer's first fence (the broker's transaction timeout, say) passes"
    watch.started(replacing_fenced=True)
    clock.now += 0.4
    assert watch.takeover() is None, "one init_transactions elsewhere can fence a replacement that raced it"
    watch.started(replacing_fenced=True)
    clock.now += 2.5
    assert watch.takeover() == ("its producer was fenced 3 times in a row, the last 2.5 s into a transaction after "
                                "it replaced the one before: another producer keeps initialising that transactional.id")


def test_a_replacement_fenced_in_a_young_transaction_long_after_its_start_still_counts() -> None:
    """A quiet pipeline sees a fence only when it next uses the producer, maybe minutes after the
    other process fenced it: what the broker's timeout cannot do is fence a transaction this young."""
    clock = Clock()
    watch = FenceWatch(60, clock)
    watch.started(replacing_fenced=False)
    clock.now += 5
    assert watch.takeover() is None
    for _ in range(2):
        watch.started(replacing_fenced=True)
        clock.now += 600  # no input for ten minutes
        watch.began()
        clock.now += 0.3
        evidence = watch.takeover()
    assert evidence is not None and evidence.startswith("its producer was fenced 3 times in a row, the last 0.3 s")


def test_fences_that_pass_do_not_add_up() -> None:
    """A stalled process can be fenced by the broker's transaction timeout again, but no sooner
    than that after its transaction began; a producer replaced for another reason starts afresh."""
    clock = Clock()
    watch = FenceWatch(10, clock)
    watch.started(replacing_fenced=False)
    for _ in range(5):
        watch.began()
        clock.now += 10
        assert watch.takeover() is None
        watch.started(replacing_fenced=True)
    watch.began()
    clock.now += 1
    assert watch.takeover() is None
    watch.started(replacing_fenced=False)  # new output limits, say
    watch.began()
    clock.now += 1
    assert watch.takeover() is None
    watch.started(replacing_fenced=True)
    watch.began()
    clock.now += 1
    assert watch.takeover() is None


def test_which_errors_are_fences_and_which_a_second_member_with_the_instance_id() -> None:
    assert is_fence(KafkaError(KafkaError._FENCED))
    assert is_fence(KafkaError(KafkaError.PRODUCER_FENCED))
    assert is_fence(KafkaError(KafkaError.INVALID_PRODUCER_EPOCH))
    assert not is_fence(KafkaError(KafkaError._TIMED_OUT))
    # As librdkafka hands the broker's FENCED_INSTANCE_ID to the consumer.
    fenced = ("Fatal error: Broker: Static consumer fenced by other consumer with same group.instance.id: "
              "Fatal consumer error: Broker: Static consumer fenced by other consumer with same group.instance.id")
    assert instance_conflict(KafkaError(KafkaError._FATAL, fenced))
    assert not instance_conflict(KafkaError(KafkaError._FATAL, "Fatal error: something else"))
    assert not instance_conflict(KafkaError(KafkaError._TRANSPORT, "group.instance.id"))
