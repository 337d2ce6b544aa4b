"""The judge turns a micro-batch into verdicts: deserialize failures and critical
rule failures go to the DLQ, warnings pass, and every batch is tallied for KPIs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from confluent_kafka import Message

from governance import errors
from governance.errors import GovernanceError
from governance.sentinel.decode import Decoder
from governance.sentinel.judge import BatchTally, SentinelJudge
from governance.sentinel.pipeline import load_pipeline
from governance.sentinel.validate import VALID, RecordValidator

PIPELINE = """\
name: j
source: t
value_format: json
expectations:
  - {name: id-present, expectation: expect_column_values_to_not_be_null, column: id}
  - {name: small, expectation: expect_column_values_to_be_between, column: n, max_value: 10, severity: warning}
window:
  expectations:
    - {expectation: expect_column_mean_to_be_between, column: n, min_value: 0}
"""


def messages(*values: bytes | None) -> list[Message]:
    return [Message(topic="t", partition=0, offset=i, value=v) for i, v in enumerate(values)]


@pytest.fixture
def judge_and_tallies(tmp_path: Path) -> tuple[SentinelJudge, list[BatchTally]]:
    path = tmp_path / "j.yml"
    path.write_text(PIPELINE)
    pipeline = load_pipeline(path)
    tallies: list[BatchTally] = []
    judge = SentinelJudge(Decoder("json"), RecordValidator(pipeline.record_rules), ("n",), tallies.append)
    return judge, tallies


def test_critical_failures_and_poison_go_to_the_dlq_and_warnings_pass(judge_and_tallies) -> None:  # type: ignore[no-untyped-def]
    judge, tallies = judge_and_tallies
    verdicts = judge(messages(
        json.dumps({"id": 1, "n": 5}).encode(),
        json.dumps({"id": None, "n": 5}).encode(),
        json.dumps({"id": 2, "n": 50}).encode(),
        b"{oops",
        json.dumps({"id": None, "n": 50}).encode(),
    ))
    assert [v.valid for v in verdicts] == [True, False, True, False, False]
    assert verdicts[1].stage == "validate" and [r for r, _ in verdicts[1].failed_rules] == ["id-present"]
    assert verdicts[3].stage == "deserialize" and verdicts[3].exception_message.startswith("not JSON")
    assert [r for r, _ in verdicts[4].failed_rules] == ["id-present"]  # warnings are counted, not listed
    (tally,) = tallies
    assert (tally.records_in, tally.valid, tally.invalid, tally.schema_failures, tally.warning_records) == (5, 2, 3, 1, 1)
    assert tally.rule_failures == {"id-present": 2, "small": 2}
    # Window rows: every record that deserialized, marked valid or not (aggregate rules see the valid ones).
    assert [{"n": r["n"]} for r in tally.rows if r[VALID]] == [{"n": 5}, {"n": 50}]
    assert len(tally.rows) == 4 and sum(not r[VALID] for r in tally.rows) == 2


class Unreachable(Decoder):
    def __init__(self, failures: int) -> None:
        super().__init__("json")
        self.failures = failures

    def decode(self, value):  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            raise errors.Unreachable("cannot reach the schema registry at http://nowhere")
        return super().decode(value)


def test_a_registry_outage_is_retried_not_blamed_on_the_records(tmp_path: Path) -> None:
    judge = SentinelJudge(Unreachable(2), RecordValidator(()), registry_patience_s=10)
    assert [v.valid for v in judge(messages(b"{}"))] == [True]


def test_a_registry_outage_that_outlasts_the_patience_stops_with_a_clear_error() -> None:
    judge = SentinelJudge(Unreachable(100), RecordValidator(()), registry_patience_s=0.1)
    with pytest.raises(errors.Unreachable, match="still failing after"):
        judge(messages(b"{}"))


def test_a_decoder_mistake_that_outlasts_the_patience_is_not_told_as_an_outage() -> None:
    """`sentinel run` exits 75 (a supervisor restarts it) for an outage only; a 4xx from the registry is not one."""
    class Refused(Decoder):
        def decode(self, value):  # type: ignore[no-untyped-def]
            raise GovernanceError("schema registry http://r answered 403 to GET /schemas/ids/1")

    judge = SentinelJudge(Refused("json"), RecordValidator(()), registry_patience_s=0.1)
    with pytest.raises(GovernanceError, match="still failing after") as raised:
        judge(messages(b"{}"))
    assert not isinstance(raised.value, errors.Unreachable)
