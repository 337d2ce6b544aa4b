"""Rule arguments that could never judge a record stop `sentinel check` and `sentinel run`
with the file and the argument's own line, before anything is read: a regex that does not
compile (it sent every record to the DLQ), bounds out of order, an empty value set, text
where a number belongs. The checks are ours (plain Python) and never refuse what GX takes."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from kafka_helpers import create_topic
from sentinel_helpers import GOVERNANCE

from governance.kafka import KafkaSettings
from governance.sentinel.ruleargs import SPECS

HEAD = "name: trial\nsource: trial-sensors\nvalue_format: json\n"


def governance(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GOVERNANCE, *args], capture_output=True, text=True, timeout=120)


def rule(expectation: str, *args: str, under: str = "expectations") -> str:
    indent = "    " if under == "window" else ""
    head = "window:\n  expectations:\n" if under == "window" else "expectations:\n"
    return HEAD + head + f"{indent}  - expectation: {expectation}\n" + "".join(f"{indent}    {a}\n" for a in args)


BETWEEN = "expect_column_values_to_be_between"
LENGTHS = "expect_column_value_lengths_to_be_between"


@pytest.mark.parametrize(("body", "line", "expected"), [
    (rule("expect_column_values_to_match_regex", "column: device", 'regex: "^dev-[0-9{4}$"'), 7,
     "`regex` of expect_column_values_to_match_regex is not a valid regular expression: "
     "unterminated character set at position 5 in '^dev-[0-9{4}$'"),
    (rule("expect_column_values_to_not_match_regex", "column: device", 'regex: "*dev"'), 7,
     "not a valid regular expression: nothing to repeat at position 0 in '*dev'"),
    (rule("expect_column_values_to_match_regex_list", "column: device", "regex_list:", '  - "^a"', '  - "(b"'), 9,
     "`regex_list[1]` of expect_column_values_to_match_regex_list is not a valid regular expression: "
     "missing ), unterminated subpattern"),
    (rule(BETWEEN, "column: temperature", "min_value: 100", "max_value: 85"), 8,
     "`max_value` (85) of expect_column_values_to_be_between is below `min_value` (100)"),
    (rule(LENGTHS, "column: device", "min_value: 9", "max_value: 3"), 8, "is below `min_value` (9)"),
    (rule(LENGTHS, "column: device", "min_value: 2.5"), 7, "`min_value` of expect_column_value_lengths_to_be_between "
                                                          "must be a whole number >= 0, not 2.5"),
    (rule(BETWEEN, "column: temperature", 'min_value: "100"'), 7, "must be a number (or an unquoted date), not '100' "
                                                                 "(write it without quotes"),
    (rule(BETWEEN, "column: temperature", "min_value: 1", "strict_min: yes please"), 8,
     "`strict_min` of expect_column_values_to_be_between must be true or false"),
    (rule(BETWEEN, "column: t", "min_value: 5", "max_value: 5", "strict_max: true"), 8, "no value can be in between"),
    (rule("expect_column_values_to_be_in_set", "column: status", "value_set: []"), 7,
     "`value_set` of expect_column_values_to_be_in_set is empty: every record would fail"),
    (rule("expect_column_values_to_be_in_set", "column: status", "value_set: NEW"), 7, "must be a list of values"),
    (rule("expect_column_values_to_not_be_null", "column: a", "mostly: 1.5", under="window"), 8,
     "`mostly` of expect_column_values_to_not_be_null must be a number from 0 to 1"),
    (rule("expect_column_proportion_of_unique_values_to_be_between", "column: a", "min_value: 2", under="window"), 8,
     "must be a number from 0 to 1 (a proportion)"),
    (rule("expect_table_row_count_to_be_between", "min_value: -1", under="window"), 7, "whole number >= 0"),
    (rule("expect_select_column_values_to_be_unique_within_record", "column_list: [a, b, a]"), 6, "names `a` twice"),
    (rule("expect_column_pair_values_a_to_be_greater_than_b", "column_A: a", "column_B: b",
          "ignore_row_if: both_values_are_mising"), 8, "did you mean `both_values_are_missing`?"),
    (rule("expect_column_values_to_match_strftime_format", "column: at", 'strftime_format: "%Y-%Q"'), 7,
     "not a usable strftime format"),
    (rule(BETWEEN, "column: t", "min_valeu: 1"), 7, "takes no argument `min_valeu`"),
    (rule("expect_column_values_to_match_regex", "kwargs:", "  column: device", '  regex: "[0-9"'), 8,
     "not a valid regular expression"),
])
def test_sentinel_check_refuses_a_bad_argument_with_file_and_its_line(
        tmp_path: Path, body: str, line: int, expected: str) -> None:
    path = tmp_path / "trial.yml"
    path.write_text(body)
    done = governance("sentinel", "check", str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{path}, line {line}: " in done.stderr, done.stderr
    assert expected in done.stderr
    assert "OK" not in done.stdout and "Traceback" not in done.stderr


def test_a_bad_regex_in_a_suite_file_names_the_suite_and_the_line(tmp_path: Path) -> None:
    (tmp_path / "suite.json").write_text(json.dumps({"expectations": [
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "device", "regex": "^dev-[0-9{4}$"}},
    ]}, indent=2))
    path = tmp_path / "trial.yml"
    path.write_text(HEAD + "suite: suite.json\n")
    done = governance("sentinel", "check", str(path))
    assert done.returncode == 2
    assert f"{tmp_path / 'suite.json'}, line 7: `regex` of expect_column_values_to_match_regex is not a valid" in done.stderr


def test_the_arguments_we_allow_are_the_ones_gx_takes() -> None:
    """Our table never refuses an argument GX's own class has (nor invents one)."""
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.registry import get_expectation_impl

    base = set(Expectation.__fields__) | {"batch_id", "row_condition", "condition_parser", "library_metadata"}
    for etype, (required, allowed) in SPECS.items():
        fields = set(get_expectation_impl(etype).__fields__)
        assert allowed == fields - base, etype
        assert required <= allowed


def test_good_arguments_pass_both_our_checks_and_gx(tmp_path: Path) -> None:
    path = tmp_path / "good.yml"
    path.write_text(HEAD + """expectations:
  - {expectation: expect_column_values_to_match_regex, column: device, regex: "^dev-[0-9]{4}$"}
  - {expectation: expect_column_values_to_match_regex_list, column: device, regex_list: ["^dev", "x$"], match_on: all}
  - {expectation: expect_column_values_to_be_between, column: t, min_value: -40, max_value: 85.5, strict_max: true}
  - {expectation: expect_column_values_to_be_between, column: at, min_value: 2024-01-01}
  - {expectation: expect_column_value_lengths_to_be_between, column: device, min_value: 8, max_value: 8}
  - {expectation: expect_column_value_lengths_to_equal, column: unit, value: 1}
  - {expectation: expect_column_values_to_be_in_set, column: unit, value_set: [C, F, null]}
  - {expectation: expect_column_values_to_match_strftime_format, column: day, strftime_format: "%Y-%m-%d"}
  - {expectation: expect_column_pair_values_a_to_be_greater_than_b, column_A: hi, column_B: lo, or_equal: true}
  - {expectation: expect_select_column_values_to_be_unique_within_record, column_list: [a, b]}
window:
  expectations:
    - {expectation: expect_table_row_count_to_be_between, min_value: 1}
    - {expectation: expect_column_proportion_of_unique_values_to_be_between, column: device, min_value: 0.5, max_value: 1}
    - {expectation: expect_column_values_to_not_be_null, column: t, mostly: 0.95}
""")
    done = governance("sentinel", "check", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("OK")


def test_sentinel_run_refuses_a_bad_regex_before_reading_anything(
        kafka: KafkaSettings, tmp_path: Path, unique_name: str) -> None:
    source = f"{unique_name}-raw"
    create_topic(kafka, source)
    producer = Producer(kafka.client_config())
    for i in range(200):
        producer.produce(source, json.dumps({"device": f"dev-{i:04d}"}).encode())
    assert producer.flush(30) == 0
    path = tmp_path / f"{unique_name}.yml"
    path.write_text(f"name: {unique_name}\nsource: {source}\nvalue_format: json\nexpectations:\n"
                    "  - expectation: expect_column_values_to_match_regex\n    column: device\n"
                    '    regex: "^dev-[0-9{4}$"\n')
    started = time.monotonic()
    done = governance("sentinel", "run", str(path), "-b", kafka.bootstrap_servers, "--idle-exit", "5")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{path}, line 7: `regex` of expect_column_values_to_match_regex is not a valid regular expression" \
           in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 60
    topics = AdminClient(kafka.client_config()).list_topics(timeout=10).topics
    assert f"{source}-valid" not in topics and f"{source}-dlq" not in topics, "nothing produced"
    consumer = Consumer({**kafka.client_config(), "group.id": f"sentinel-{unique_name}"})
    try:
        (committed,) = consumer.committed([TopicPartition(source, 0)], timeout=10)
    finally:
        consumer.close()
    assert committed.offset < 0, "nothing consumed"


VALID: dict[str, dict] = {
    "expect_column_values_to_be_between": {"column": "a", "min_value": 0, "max_value": 10},
    "expect_column_values_to_be_in_set": {"column": "a", "value_set": ["x", 1]},
    "expect_column_values_to_not_be_in_set": {"column": "a", "value_set": ["x"]},
    "expect_column_values_to_match_regex": {"column": "a", "regex": "^x"},
    "expect_column_values_to_not_match_regex": {"column": "a", "regex": "^x"},
    "expect_column_values_to_match_regex_list": {"column": "a", "regex_list": ["^x"]},
    "expect_column_values_to_not_match_regex_list": {"column": "a", "regex_list": ["^x"]},
    "expect_column_value_lengths_to_be_between": {"column": "a", "min_value": 1, "max_value": 3},
    "expect_column_value_lengths_to_equal": {"column": "a", "value": 2},
    "expect_column_values_to_match_strftime_format": {"column": "a", "strftime_format": "%Y"},
    "expect_column_values_to_be_of_type": {"column": "a", "type_": "int"},
    "expect_column_value_z_scores_to_be_less_than": {"column": "a", "threshold": 3, "double_sided": True},
    "expect_column_pair_values_a_to_be_greater_than_b": {"column_A": "a", "column_B": "b"},
    "expect_column_pair_values_to_be_equal": {"column_A": "a", "column_B": "b"},
    "expect_select_column_values_to_be_unique_within_record": {"column_list": ["a", "b"]},
    "expect_compound_columns_to_be_unique": {"column_list": ["a", "b"]},
    "expect_multicolumn_sum_to_equal": {"column_list": ["a", "b"], "sum_total": 5},
    "expect_table_row_count_to_be_between": {"min_value": 1},
    "expect_table_row_count_to_equal": {"value": 1},
}
POOL = [None, True, False, 0, 1, -1, 2.5, 0.5, 1e300, float("nan"), "", "x", "5", "(", "%Y", [], ["a"], ["a", "a"],
        [1, 2], [["a"]], "any", "neither", "never", __import__("datetime").date(2024, 1, 1)]


def test_whatever_our_checks_accept_gx_accepts_too() -> None:
    """Rules our checks cover are not shown to GX when loaded, so ours must refuse all GX refuses
    (they may refuse more: 2.5 as a length, a quoted number, an empty value set)."""
    from governance.sentinel.gx import instantiate
    from governance.sentinel.ruleargs import check_arguments, covered

    class Refused(Exception):
        pass

    def ours(etype: str, kwargs: dict) -> bool:
        try:
            check_arguments(etype, kwargs, lambda arg, message: Refused(message))
        except Refused:
            return False
        return True

    tried = 0
    for etype, (required, allowed) in SPECS.items():
        base = VALID.get(etype, {"column": "a", **({"min_value": 0} if etype.endswith("_between") else {})})
        assert ours(etype, base), etype
        for arg in sorted(allowed):
            for value in POOL:
                kwargs = {**base, arg: value}
                if not covered(etype, kwargs) or not ours(etype, kwargs):
                    continue
                tried += 1
                instantiate(etype, kwargs, lambda message: AssertionError(f"ours accepted, GX refused: {message}"))
    assert tried > 300
