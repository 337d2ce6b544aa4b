"""Worker processes judge parts of each large batch; the verdicts and the KPI tally are
exactly those of one process judging the whole batch, in the batch's order."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from confluent_kafka import Message

from governance.errors import GovernanceError, Transient
from governance.sentinel.decode import Decoder
from governance.sentinel.judge import BatchTally, JudgeSpec, SentinelJudge
from governance.sentinel.pipeline import load_pipeline
from governance.sentinel.validate import RecordValidator
from governance.sentinel.workers import MIN_SPLIT, JudgePool, default_workers

PIPELINE = """\
name: w
source: t
value_format: json
expectations:
  - {name: id-present, expectation: expect_column_values_to_not_be_null, column: id}
  - {name: small, expectation: expect_column_values_to_be_between, column: n, max_value: 10, severity: warning}
  - {name: code, expectation: expect_column_values_to_match_regex, column: code, regex: "^[A-Z]{2}$"}
"""


def value(i: int) -> bytes | None:
    """Valid, failing a critical rule, failing a warning, poison, a tombstone and a value GX must judge, in turn."""
    kind = i % 7
    if kind == 3:
        return b"{not json" + str(i).encode()
    if kind == 4:
        return None
    record = {"id": None if kind == 1 else i, "n": 50 if kind == 2 else i % 10,
              "code": ["A", "B"] if kind == 5 else "DE"}
    return json.dumps(record).encode()


def batch(n: int) -> list[Message]:
    return [Message(topic="cdc" if i % 2 else "t", partition=0, offset=i, value=value(i)) for i in range(n)]


@pytest.fixture
def judges(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "w.yml"
    path.write_text(PIPELINE)
    rules = load_pipeline(path).record_rules
    columns, passing = ("n",), frozenset({"cdc"})

    def one(on_batch=None) -> SentinelJudge:  # type: ignore[no-untyped-def]
        return SentinelJudge(Decoder("json"), RecordValidator(rules), columns, on_batch, pass_tombstones=passing)

    spec = JudgeSpec.of(rules, value_format="json", registry_url=None, subject=None, window_columns=columns,
                        watched_columns=(), pass_tombstones=passing)
    tallies: list[BatchTally] = []
    pool = JudgePool(spec, workers=2, on_batch=tallies.append)
    yield one, pool, tallies
    pool.close()


def test_a_pool_judges_a_large_batch_exactly_as_one_process_does(judges) -> None:  # type: ignore[no-untyped-def]
    one, pool, tallies = judges
    expected_tallies: list[BatchTally] = []
    messages = batch(MIN_SPLIT * 3 + 17)
    expected = one(expected_tallies.append)(messages)
    assert pool(messages) == expected
    (tally,), (truth,) = tallies, expected_tallies
    assert tally == truth
    assert tally.invalid > 0 and tally.schema_failures > 0 and tally.tombstones > 0 and tally.warning_records > 0
    assert len(tally.rows) == len(messages) - tally.schema_failures - tally.tombstones  # a row per decoded record


def test_small_batches_and_a_pool_of_none_judge_in_this_process(judges) -> None:  # type: ignore[no-untyped-def]
    one, pool, tallies = judges
    for process in pool._processes:
        process.kill()
        process.join(10)
    small = batch(MIN_SPLIT - 1)
    assert pool(small) == one()(small)


def test_a_dead_worker_stops_the_batch_with_a_clear_error_instead_of_losing_records(judges) -> None:  # type: ignore[no-untyped-def]
    _, pool, tallies = judges
    pool._processes[1].kill()
    pool._processes[1].join(10)
    with pytest.raises(GovernanceError, match="judge worker process died") as raised:
        pool(batch(MIN_SPLIT * 2))
    assert tallies == []
    assert isinstance(raised.value, Transient), "sentinel run exits 75 for it, so a supervisor restarts it"


def test_a_sigterm_to_the_workers_leaves_them_judging_until_the_pool_closes(judges) -> None:  # type: ignore[no-untyped-def]
    """A stop signal sent to the whole process group is the main process's: it still has a batch to route and commit."""
    one, pool, _ = judges
    messages = batch(MIN_SPLIT * 3)
    assert pool(messages) == one()(messages)  # the workers serve: their signal handling is set up
    for process in pool._processes:
        os.kill(process.pid, signal.SIGTERM)
    assert pool(messages) == one()(messages)
    pool.close()
    assert [process.exitcode for process in pool._processes] == [0, 0]


def test_the_default_leaves_one_core_to_the_main_process() -> None:
    import os

    cores = len(os.sched_getaffinity(0))
    assert default_workers() == max(0, min(cores - 1, 4))
