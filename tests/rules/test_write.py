"""The proposed pipeline file: the sentinel's own format, a comment above each rule, and
rules that pass the demo's clean records and fail each of its bad kinds."""

from __future__ import annotations

from pathlib import Path

import pytest
from rules_helpers import DEMO_TOPICS, demo_kinds, failed_columns, records

from governance.rules.profile import profile_records
from governance.rules.propose import Proposal, Proposals, Thresholds, propose
from governance.rules.write import pipeline_text
from governance.sentinel.pipeline import load_pipeline
from governance.sentinel.validate import RecordValidator

FORMATS = {"shipments": "protobuf", "returns": "json_schema"}


def write(tmp_path: Path, proposals: Proposals, topic: str = "payments") -> Path:
    path = tmp_path / f"{topic}.yml"
    path.write_text(pipeline_text(proposals, topic, f"{topic}-value", FORMATS.get(topic, "avro"), ["a header"]))
    return path


def test_each_rule_sits_under_its_observation_and_the_reason_for_its_severity(tmp_path: Path) -> None:
    proposals = propose(profile_records([{"amount": 0.5 + i, "id": f"tx-{i:04d}"} for i in range(200)]), Thresholds())
    text = write(tmp_path, proposals).read_text()
    assert text.startswith("# a header\n# Review every rule before use")
    assert ("  # observed: 0 nulls in 200 records; min 0.5, max 199.5; widened by 10% of the span each side "
            "(halfway to 0 where it would reach 0): 0.25 to 220.0\n"
            "  # severity warning: the range of a sample; values outside it may be legitimate\n"
            "  - expectation: expect_column_values_to_be_between\n"
            "    column: amount\n    min_value: 0.25\n    max_value: 220.0\n    severity: warning\n") in text
    assert ("  # severity critical: never null in the sample; a null is most likely a producer bug\n"
            "  - expectation: expect_column_values_to_not_be_null\n    column: amount\n") in text


def test_values_that_yaml_would_misread_round_trip_through_the_pipeline_loader(tmp_path: Path) -> None:
    awkward = ["yes", "null", "1.0", "04109", "a: b", "# x", "Köln", "'q'", 'say "hi"', "-", "tab\there", "line\nbreak"]
    rules = (Proposal("expect_column_values_to_be_in_set", "odd.name", {"value_set": awkward}, "warning",
                      "observed: 2 values\nwith a newline", "warning: why"),
             Proposal("expect_column_values_to_match_regex", "odd.name", {"regex": r"^\d{4}\.[\w-]+\\$"}, "critical",
                      "o", "critical: why"))
    path = write(tmp_path, Proposals(200, rules, (("gone", "no rule: null in every record"),)))
    pipeline = load_pipeline(path)
    set_rule, regex_rule = pipeline.record_rules
    assert list(set_rule.kwargs["value_set"]) == awkward
    assert regex_rule.kwargs["regex"] == r"^\d{4}\.[\w-]+\\$" and regex_rule.severity == "critical"
    text = path.read_text()
    assert "#   gone: no rule: null in every record" in text
    assert '"04109", ' in text and "Köln, " in text  # quoted only where a reader could take it for another value


def test_no_rules_is_still_a_pipeline_file(tmp_path: Path) -> None:
    pipeline = load_pipeline(write(tmp_path, Proposals(100, (), ())))
    assert pipeline.record_rules == () and pipeline.subject == "payments-value"


@pytest.mark.parametrize("topic", DEMO_TOPICS)
def test_the_demos_clean_records_pass_and_each_bad_kind_fails_a_rule_on_the_field_it_breaks(
        tmp_path: Path, topic: str) -> None:
    clean, bad = demo_kinds(topic)
    sample = records(clean, 1000, seed=1)
    pipeline = load_pipeline(write(tmp_path, propose(profile_records(sample), Thresholds()), topic))
    validator = RecordValidator(pipeline.record_rules)
    assert all(f == [] for f in validator.validate(sample))
    fresh = validator.validate(records(clean, 1000, seed=2))
    assert [f for f in fresh if any(r.severity == "critical" for r in f)] == []
    assert sum(bool(f) for f in fresh) <= 10  # a warning range or set is a sample's: 1% of new records may leave it
    assert bad, f"the demo makes no bad kind of {topic} that decodes"
    for kind, column in bad:
        failures = validator.validate(records(kind, 50, seed=3))
        assert all(column in failed_columns(pipeline.record_rules, f) for f in failures), kind.label
