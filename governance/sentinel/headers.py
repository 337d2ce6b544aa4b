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
"""

from __future__ import annotations

import json
from collections.abc import Sequence

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

Header = tuple[str, bytes]


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
) -> list[Header]:
    headers = list(original or ())
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
    return headers
