"""While a sentinel routes, garbage is collected when the router commits, not whenever
the allocator counts 700 new containers (governance/sentinel/collector.py)."""

from __future__ import annotations

import gc
import weakref

from governance.sentinel.collector import CommitCollector


class Node:
    def __init__(self) -> None:
        self.me = self


def cycle() -> weakref.ref[Node]:
    """A reference to an object that only a reference cycle keeps alive."""
    return weakref.ref(Node())


def test_routing_turns_the_automatic_collector_off_and_leaving_turns_it_back_on() -> None:
    assert gc.isenabled()
    with CommitCollector():
        assert not gc.isenabled()
        garbage = cycle()
        for _ in range(10_000):
            [()]  # allocations that would set off the automatic collector
        assert garbage() is not None
    assert gc.isenabled()


def test_each_commit_collects_the_garbage_made_since_the_last() -> None:
    with CommitCollector() as collector:
        garbage = cycle()
        collector.after_commit()
        assert garbage() is None


def test_garbage_that_outlived_young_collections_goes_in_the_full_collection_a_minute_on() -> None:
    now = [0.0]
    with CommitCollector(clock=lambda: now[0]) as collector:
        node = Node()
        garbage = weakref.ref(node)
        collector.after_commit()
        collector.after_commit()  # it survives two young collections: it is in the oldest generation now
        del node
        collector.after_commit()
        assert garbage() is not None
        now[0] = 61.0
        collector.after_commit()
        assert garbage() is None


def test_a_process_whose_collector_was_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with CommitCollector():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
