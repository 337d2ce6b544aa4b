"""The demo's smoke check: one transaction committed, one aborted, read back read_committed."""

from __future__ import annotations

from governance.demo.smoke import run_demo
from governance.kafka import KafkaSettings


def test_the_smoke_check_reads_the_committed_transaction_and_not_the_aborted_one(kafka: KafkaSettings) -> None:
    result = run_demo(kafka, records=1_000, partitions=2)
    assert (result.read, result.aborted, result.aborted_seen) == (1_000, 100, 0)
    assert result.ok
