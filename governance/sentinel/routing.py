"""What the router, the judge, the KPI tracker and the metrics agree on: a record's
verdict, the router's counters, and the outbox that writes records of its own inside
each transaction. They live here so that none of those modules reaches into another."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from confluent_kafka import Message

from governance.sentinel.headers import ContractBreach

Stage = Literal["deserialize", "validate", "produce"]
ExtraRecord = tuple[str, bytes | None, bytes | None]
"""(topic, key, value) of a record written in the same transaction, for example a KPI record."""


class Outbox(Protocol):
    """Records of its own that a router writes inside each transaction (KPI records).

    `records` is called in the open transaction just before the offsets are sent;
    then exactly one of `committed` or `aborted` follows, so an outbox can keep
    what it wrote until the transaction holding it has committed."""

    def due(self) -> bool:
        """True when records are owed even though no source record is pending."""
        ...

    def records(self, final: bool) -> Iterable[ExtraRecord]: ...

    def committed(self) -> None: ...

    def aborted(self) -> None: ...

    def rerouted(self, records: int) -> None:
        """`records` that the judge found valid went to the DLQ because the valid topic refused them."""
        ...


@dataclass(frozen=True)
class Verdict:
    valid: bool
    stage: Stage | None = None
    failed_rules: tuple[tuple[str, str], ...] = ()
    exception_class: str | None = None
    exception_message: str | None = None
    contract: ContractBreach | None = None
    """The data-contract rule its `__rule.*` DLQ headers name, when one made it invalid."""


Judge = Callable[[list[Message]], list[Verdict]]


class Pending(Protocol):
    """The verdicts of a batch a judge works on ahead."""

    def verdicts(self) -> list[Verdict]:
        """Wait for them."""
        ...

    def discard(self) -> None:
        """They are not wanted (the batch is read again later)."""
        ...


@runtime_checkable
class JudgeAhead(Protocol):
    """A judge that works ahead (the sentinel's judge workers): while the router routes one
    batch, it judges the next. Batches under `min_split` records are judged at once instead."""

    min_split: int

    def __call__(self, messages: list[Message]) -> list[Verdict]: ...

    def submit(self, messages: list[Message]) -> Pending:
        """Start judging `messages`; at most one batch waits for its verdicts at a time."""
        ...


class AheadBatch:
    """A batch handed to a `JudgeAhead`, and its pending verdicts."""

    def __init__(self, messages: list[Message], ticket: Pending) -> None:
        self.messages, self.ticket = messages, ticket

    def firsts(self) -> dict[tuple[str, int], int]:
        """The offset of its first record in each partition."""
        out: dict[tuple[str, int], int] = {}
        for m in self.messages:
            key = (m.topic(), m.partition())
            if key not in out:
                out[key] = m.offset()  # type: ignore[assignment]
        return out


@dataclass
class Counters:
    records_in: int = 0
    valid: int = 0
    invalid: int = 0
    invalid_by_stage: dict[str, int] = field(default_factory=dict)

    def add(self, other: Counters) -> None:
        self.records_in += other.records_in
        self.valid += other.valid
        self.invalid += other.invalid
        for stage, count in other.invalid_by_stage.items():
            self.invalid_by_stage[stage] = self.invalid_by_stage.get(stage, 0) + count

    def copy(self) -> Counters:
        return Counters(self.records_in, self.valid, self.invalid, dict(self.invalid_by_stage))


@dataclass
class RouterStats:
    """What a KPI module reads: `committed` counts only records whose outputs
    were committed (so they match the topics exactly), the rest are events."""

    committed: Counters = field(default_factory=Counters)
    commits: int = 0
    aborts: int = 0
    producer_rebuilds: int = 0

    def copy(self) -> RouterStats:
        return RouterStats(self.committed.copy(), self.commits, self.aborts, self.producer_rebuilds)
