"""Dead-letter context headers, modelled on Kafka Connect's (KIP-298).

A DLQ record keeps its original headers and gains these, all UTF-8 strings:

| header | value |
|---|---|
| `__connect.errors.topic` | source topic |
| `__connect.errors.partition` | source partition (decimal) |
| `__connect.errors.offset` | source offset (decimal) |
| `__connect.errors.stage` | `deserialize`, `validate`, or `produce` (the valid topic refused the record) |
| `__connect.errors.exception.class.name` | exception class, when one was raised |
| `__connect.errors.exception.message` | exception message, when one was raised |
| `__sentinel.pipeline` | pipeline name |
| `__sentinel.failed.rules` | JSON list of `{"rule": ..., "message": ...}` |
| `__sentinel.omitted` | when the DLQ refused the whole record: what was left out (`value`, `value,key,headers`) |
| `__sentinel.omitted.reason` | why, naming the limit, and where to read the original |
| `__sentinel.original.timestamp` | when the DLQ refused the record's timestamp: the original (the record has the broker's time) |
| `__rule.name` | a data-contract rule sent the record to the DLQ: the rule's name in the registry (no `contract:`) |
| `__rule.mode` | the mode it was enforced in: `WRITE` (a WRITE or WRITEREAD rule), `READ` (a READ rule) |
| `__rule.subject` | the subject whose schema version holds the rule |
| `__rule.topic` | source topic |
| `__rule.exception` | what failed, in Confluent's words: the rule's `doc`, else `Rule expr failed: <expr>`, or the evaluation error |

The `__rule.*` headers are the ones confluent-kafka's `DlqAction` writes, so Confluent's tools read the
record as one of theirs. When several contract rules fail, they name the one Confluent's serializer
would have stopped at: the first failing rule with `onFailure` DLQ or ERROR, WRITE rules in the
ruleSet's order before READ rules in reverse order (as Confluent's deserializer runs them).

A record replayed from the DLQ to the valid topic keeps its original headers and gains
`__sentinel.replayed.from` (`dlq/partition/offset`) instead.

`dead_letter` reads these back; the console's DLQ browser and `sentinel replay` use it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CONNECT_PREFIX = "__connect.errors."
SENTINEL_PREFIX = "__sentinel."
RULE_PREFIX = "__rule."
CONTEXT_PREFIXES = (CONNECT_PREFIX, SENTINEL_PREFIX, RULE_PREFIX)
"""Every header named here starts with one of these; a record's own headers do not (one that a
Confluent client sent to its DLQ and someone produced again may carry `__rule.*`: it counts as context)."""

TOPIC = "__connect.errors.topic"
PARTITION = "__connect.errors.partition"
OFFSET = "__connect.errors.offset"
STAGE = "__connect.errors.stage"
EXCEPTION_CLASS = "__connect.errors.exception.class.name"
EXCEPTION_MESSAGE = "__connect.errors.exception.message"
PIPELINE = "__sentinel.pipeline"
FAILED_RULES = "__sentinel.failed.rules"
OMITTED = "__sentinel.omitted"
OMITTED_REASON = "__sentinel.omitted.reason"
ORIGINAL_TIMESTAMP = "__sentinel.original.timestamp"
REPLAYED_FROM = "__sentinel.replayed.from"
RULE_NAME = "__rule.name"
RULE_MODE = "__rule.mode"
RULE_SUBJECT = "__rule.subject"
RULE_TOPIC = "__rule.topic"
RULE_EXCEPTION = "__rule.exception"

Header = tuple[str, bytes]


@dataclass(frozen=True)
class FailedRule:
    rule: str
    message: str


@dataclass(frozen=True)
class ContractBreach:
    """The data-contract rule that sent a record to the DLQ, as Confluent's `__rule.*` headers name it."""

    name: str
    """As in the registry's ruleSet (the sentinel's rule name is `contract:<name>`)."""
    mode: str
    subject: str
    exception: str


@dataclass(frozen=True)
class DeadLetter:
    """A DLQ record's context headers, read back. Missing or unreadable ones are empty, `None` or `()`."""

    topic: str = ""
    partition: int | None = None
    offset: int | None = None
    stage: str = ""
    pipeline: str = ""
    failed_rules: tuple[FailedRule, ...] = ()
    exception_class: str = ""
    exception_message: str = ""
    omitted: tuple[str, ...] = ()
    omitted_reason: str = ""
    original_timestamp: int | None = None
    contract: ContractBreach | None = None
    """From the `__rule.*` headers, when a data-contract rule sent the record here."""
    rule_topic: str = ""

    @property
    def rules(self) -> list[str]:
        return [f.rule for f in self.failed_rules]

    @property
    def source(self) -> str:
        """`topic[partition]@offset` of the source record, `?` for what is missing."""
        partition = "?" if self.partition is None else self.partition
        offset = "?" if self.offset is None else self.offset
        return f"{self.topic or '?'}[{partition}]@{offset}"


def dlq_headers(
    original: Sequence[Header] | None,
    *,
    topic: str,
    partition: int,
    offset: int,
    stage: str,
    pipeline: str,
    failed_rules: Sequence[tuple[str, str]],
    exception_class: str | None,
    exception_message: str | None,
    contract: ContractBreach | None = None,
) -> list[Header]:
    """The source record's headers, then ours. Its own `__rule.*` headers (a Confluent dead letter
    produced again) are dropped: only a contract breach found here may name a rule there."""
    headers = [(name, value) for name, value in original or () if not name.startswith(RULE_PREFIX)]
    headers += [
        (TOPIC, topic.encode()),
        (PARTITION, str(partition).encode()),
        (OFFSET, str(offset).encode()),
        (STAGE, stage.encode()),
        (PIPELINE, pipeline.encode()),
        (FAILED_RULES, json.dumps([{"rule": r, "message": m} for r, m in failed_rules]).encode() if failed_rules else b"[]"),
    ]
    if exception_class is not None:
        headers.append((EXCEPTION_CLASS, exception_class.encode()))
    if exception_message is not None:
        headers.append((EXCEPTION_MESSAGE, exception_message.encode("utf-8", "replace")))
    if contract is not None:
        headers += [(RULE_NAME, contract.name.encode()), (RULE_MODE, contract.mode.encode()),
                    (RULE_SUBJECT, contract.subject.encode()), (RULE_TOPIC, topic.encode()),
                    (RULE_EXCEPTION, contract.exception.encode("utf-8", "replace"))]
    return headers


def dead_letter(headers: Iterable[tuple[str, bytes | str | None]]) -> DeadLetter:
    """Read a DLQ record's headers (values as Kafka gives them, or already decoded). When a
    name repeats, the last wins: the sentinel appends its own after the record's."""
    found = {name: value.decode("utf-8", "replace") if isinstance(value, bytes) else value or ""
             for name, value in headers if name.startswith(CONTEXT_PREFIXES)}
    omitted = found.get(OMITTED, "")
    return DeadLetter(
        topic=found.get(TOPIC, ""),
        partition=_int(found.get(PARTITION)),
        offset=_int(found.get(OFFSET)),
        stage=found.get(STAGE, ""),
        pipeline=found.get(PIPELINE, ""),
        failed_rules=_failed_rules(found.get(FAILED_RULES)),
        exception_class=found.get(EXCEPTION_CLASS, ""),
        exception_message=found.get(EXCEPTION_MESSAGE, ""),
        omitted=tuple(omitted.split(",")) if omitted else (),
        omitted_reason=found.get(OMITTED_REASON, ""),
        original_timestamp=_int(found.get(ORIGINAL_TIMESTAMP)),
        contract=ContractBreach(found[RULE_NAME], found.get(RULE_MODE, ""), found.get(RULE_SUBJECT, ""),
                                found.get(RULE_EXCEPTION, "")) if found.get(RULE_NAME) else None,
        rule_topic=found.get(RULE_TOPIC, ""),
    )


def original_headers(headers: Iterable[Header]) -> list[Header]:
    """The record's own headers: a DLQ record's without the context headers named here."""
    return [(name, value) for name, value in headers if not name.startswith(CONTEXT_PREFIXES)]


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _failed_rules(text: str | None) -> tuple[FailedRule, ...]:
    """Entries without a `rule` are skipped; text that is not a JSON list gives none."""
    try:
        entries = json.loads(text or "[]")
    except ValueError:
        return ()
    if not isinstance(entries, list):
        return ()
    return tuple(FailedRule(str(e["rule"]), str(e.get("message", ""))) for e in entries
                 if isinstance(e, dict) and "rule" in e)
