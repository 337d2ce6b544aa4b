"""Pipeline files: what they may say, and the file:line message for each mistake."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from governance.errors import GovernanceError
from governance.sentinel.pipeline import Pipeline, load_pipeline

RULES = Path(__file__).resolve().parents[2] / "rules"


def write(tmp_path: Path, text: str, name: str = "p.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def error_of(path: Path) -> str:
    with pytest.raises(GovernanceError) as e:
        load_pipeline(path)
    return e.value.message


@pytest.mark.parametrize("name", ["user-activity", "transactions", "orders"])
def test_shipped_pipelines_load(name: str) -> None:
    p = load_pipeline(RULES / f"{name}.yml")
    assert p.name == name and p.sources == (name,)
    assert p.valid_topic == f"{name}-valid" and p.dlq_topic == f"{name}-dlq"
    assert p.value_format == "avro" and p.subject == f"{name}-value"
    assert p.record_rules and p.window_rules


def test_minimal_pipeline_gets_defaults(tmp_path: Path) -> None:
    p = load_pipeline(write(tmp_path, """
        name: clicks
        source: clicks
        value_format: json
        expectations:
          - expectation: expect_column_values_to_not_be_null
            column: user.id
    """))
    assert p == Pipeline(
        name="clicks", path=tmp_path / "p.yml", sources=("clicks",), valid_topic="clicks-valid",
        dlq_topic="clicks-dlq", value_format="json", subject=None, record_rules=p.record_rules,
        window_rules=(), kpi_topic="clicks-kpi")
    (rule,) = p.record_rules
    assert (rule.name, rule.expectation_type, dict(rule.kwargs), rule.severity, rule.line) == (
        "expect_column_values_to_not_be_null(user.id)", "expect_column_values_to_not_be_null",
        {"column": "user.id"}, "critical", 5)
    assert rule.columns() == ("user.id",)
    assert (p.window_seconds, p.commit_every_records, p.commit_every_ms, p.guarantee) == (60, 10_000, 1000, "exactly_once")
    assert (p.dlq_limit_ratio, p.dlq_limit_first_records) == (None, 1000), "by default: stop if the first 1,000 all fail"


def test_every_setting(tmp_path: Path) -> None:
    p = load_pipeline(write(tmp_path, """
        name: pay
        sources: [a, b]
        valid_topic: ok
        dlq_topic: bad
        value_format: avro
        subject: pay-value
        expectations:
          - name: amount-sane
            expectation: expect_column_values_to_be_between
            kwargs: {column: amount, min_value: 0}
            severity: warning
        window:
          seconds: 10
          expectations:
            - expectation: expect_table_row_count_to_be_between
              min_value: 1
        commit: {every_records: 50, every_ms: 200}
        guarantee: at_least_once
        kpi_topic: pay-kpi
        metrics_port: 9400
        dlq_limit: {ratio: 0.25, windows: 5}
    """))
    assert p.sources == ("a", "b") and (p.valid_topic, p.dlq_topic, p.subject) == ("ok", "bad", "pay-value")
    assert [(r.name, r.severity) for r in p.record_rules] == [("amount-sane", "warning")]
    assert [r.expectation_type for r in p.window_rules] == ["expect_table_row_count_to_be_between"]
    assert (p.window_seconds, p.commit_every_records, p.commit_every_ms) == (10, 50, 200)
    assert (p.guarantee, p.kpi_topic, p.metrics_port, p.dlq_limit_ratio, p.dlq_limit_windows) == (
        "at_least_once", "pay-kpi", 9400, 0.25, 5)
    assert p.dlq_limit_first_records == 0, "a dlq_limit mapping sets only what it names"
    with pytest.raises(AttributeError):
        p.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("given, read", [("", "enforce"), ("contract_rules: warn\n", "warn"),
                                         ("contract_rules: ignore\n", "ignore")])
def test_contract_rules_are_enforced_unless_the_pipeline_says_warn_or_ignore(tmp_path: Path, given: str,
                                                                            read: str) -> None:
    assert load_pipeline(write(tmp_path, "name: x\nsource: t\n" + given)).contract_rules == read


def test_a_protobuf_pipeline_reads_ids_registered_under_the_sources_subject(tmp_path: Path) -> None:
    p = load_pipeline(write(tmp_path, "name: s\nsource: shipments\nvalue_format: protobuf\n"))
    assert (p.value_format, p.subject) == ("protobuf", "shipments-value")


def test_a_gx_suite_file(tmp_path: Path) -> None:
    suite = {"name": "s", "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "c", "value_set": [1, 2]},
         "meta": {"severity": "warning"}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "c", "min_value": 0}},
    ]}
    (tmp_path / "suite.json").write_text(json.dumps(suite, indent=2))
    p = load_pipeline(write(tmp_path, "name: s\nsource: t\nvalue_format: json\nsuite: suite.json\n"))
    assert p.suite_file == tmp_path / "suite.json"
    assert [(r.expectation_type, r.severity) for r in p.record_rules] == [("expect_column_values_to_be_in_set", "warning")]
    assert [r.expectation_type for r in p.window_rules] == ["expect_column_mean_to_be_between"]


HEAD = "name: x\nsource: t\nvalue_format: json\n"


@pytest.mark.parametrize(("body", "line", "expected"), [
    ("name: x\nsource: [unclosed\n", 3, "YAML syntax error"),
    ("name: x\nsource: t\n  bad: indent\n", 3, "YAML syntax error"),
    ("source: t\n", 1, "missing the required key `name`"),
    ("name: x\n", 1, "missing the required key `source`"),
    (HEAD + "colour: blue\n", 4, "unknown key `colour`"),
    (HEAD + "commit: {every_records: 10, every_minute: 1}\n", 4, "unknown key `every_minute`"),
    ("name: x\nsource: 5\n", 2, "`source` must be a non-empty string"),
    ("name: x\nsource: t\nvalue_format: xml\n", 3, "`value_format` must be one of avro, protobuf, json"),
    (HEAD + "commit:\n  every_records: many\n", 5, "`commit.every_records` must be an integer"),
    (HEAD + "metrics_port: 70000\n", 4, "at most 65535"),
    (HEAD + "dlq_limit: {ratio: 2}\n", 4, "between 0 and 1"),
    (HEAD + "dlq_limit:\n  windows: 3\n", 5, "give `ratio` too"),
    (HEAD + "dlq_limit: {first_records: -1}\n", 4, "`dlq_limit.first_records` must be an integer >= 0"),
    (HEAD + "guarantee: maybe_once\n", 4, "`guarantee` must be one of"),
    (HEAD + "expectations: {a: 1}\n", 4, "`expectations` must be a list"),
    (HEAD + "expectations:\n  - column: a\n", 5, "missing the required key `expectation`"),
    (HEAD + "expectations:\n  - expectation: expect_column_values_to_be_purple\n    column: a\n", 5,
     "unknown expectation type `expect_column_values_to_be_purple`"),
    (HEAD + "expectations:\n  - expectation: check_it\n", 5, "unknown expectation type `check_it`"),
    (HEAD + "expectations:\n  - expectation: expect_column_values_to_not_be_null\n", 5, "needs the argument `column`"),
    (HEAD + "expectations:\n  - {expectation: expect_column_values_to_not_be_null, column: a}\n"
     "  - expectation: expect_column_values_to_be_between\n    column: a\n", 6,
     "gives neither `min_value` nor `max_value`"),
    (HEAD + "expectations:\n  - expectation: expect_column_values_to_be_in_set\n    column: a\n    value_sett: [1]\n", 7,
     "takes no argument `value_sett`"),
    (HEAD + "expectations:\n  - expectation: expect_column_values_to_be_between\n    column: a\n    min_value: lots\n", 7,
     "`min_value` of expect_column_values_to_be_between must be a number"),
    (HEAD + "expectations:\n  - expectation: expect_column_values_to_not_be_null\n    column: a\n    severity: fatal\n", 7,
     "`severity` must be one of critical, warning"),
    (HEAD + "expectations:\n  - expectation: expect_column_mean_to_be_between\n    column: a\n    min_value: 1\n", 5,
     "put it under `window.expectations`"),
    (HEAD + "window:\n  expectations:\n    - expectation: expect_column_values_to_not_be_null\n      column: a\n", 6,
     "put it under `expectations`"),
    (HEAD + "expectations:\n  - expectation: expect_column_values_to_not_be_null\n    kwargs: {column: a}\n    mostly: 1\n", 7,
     "unknown key `mostly` beside `kwargs`"),
    (HEAD + "expectations:\n  - {expectation: expect_column_values_to_not_be_null, column: a}\n"
     "  - {expectation: expect_column_values_to_not_be_null, column: a}\n", 6, "already used on line 5"),
    ("name: x\nsource: t\ncontract_rules: strict\n", 3, "`contract_rules` must be one of enforce, warn, ignore, not 'strict'"),
    ("name: x\nsource: t\nvalue_format: json\ncontract_rules: warn\n", 4,
     "`contract_rules` applies to a registry's data contracts, and JSON values"),
    ("name: x\nsource: t\ndlq_topic: t\n", 1, "must all differ"),
    (HEAD + "name: y\n", 4, "duplicate key `name`"),
])
def test_each_mistake_names_file_and_line(tmp_path: Path, body: str, line: int, expected: str) -> None:
    path = tmp_path / "p.yml"
    path.write_text(body)
    message = error_of(path)
    assert message.startswith(f"{path}, line {line}: "), message
    assert expected in message


@pytest.mark.parametrize("body, meant", [
    (HEAD + "expectations:\n  - expectation: expect_column_values_to_be_betwen\n    column: a\n    min_value: 1\n",
     "expect_column_values_to_be_between"),
    (HEAD + "expectations:\n  - expectation: column_values_to_not_be_null\n    column: a\n",
     "expect_column_values_to_not_be_null"),
    (HEAD + "valid_topci: v\n", "valid_topic"),
    (HEAD + "window:\n  secnods: 60\n", "seconds"),
    (HEAD + "expectations:\n  - expectation: expect_column_values_to_not_be_null\n    column: a\n    severity: warn\n",
     "warning"),
    (HEAD + "guarantee: exactly-once\n", "exactly_once"),
    ("name: x\nsource: t\ncontract_rules: enforced\n", "enforce"),
])
def test_a_near_miss_names_what_was_meant(tmp_path: Path, body: str, meant: str) -> None:
    path = tmp_path / "p.yml"
    path.write_text(body)
    assert error_of(path).endswith(f"; did you mean `{meant}`?")


def test_nothing_is_suggested_when_nothing_is_close(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text(HEAD + "expectations:\n  - expectation: expect_column_values_to_be_purple\n    column: a\n")
    assert "did you mean" not in error_of(path)


def test_mostly_on_a_record_rule_is_refused_saying_why_and_where_it_belongs(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text(HEAD + "expectations:\n  - expectation: expect_column_values_to_not_be_null\n    column: a\n    mostly: 0.5\n")
    message = error_of(path)
    assert message.startswith(f"{path}, line 5: `mostly` does not apply to a record rule: each record gets its own verdict")
    assert "`window.expectations`" in message and "at least that share of each window's records pass" in message


def test_a_map_rule_with_mostly_is_a_window_rule(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text(HEAD + "window:\n  expectations:\n    - expectation: expect_column_values_to_not_be_null\n"
                    "      column: a\n      mostly: 0.95\n")
    pipeline = load_pipeline(path)
    assert [(r.expectation_type, r.kwargs["mostly"]) for r in pipeline.window_rules] == [
        ("expect_column_values_to_not_be_null", 0.95)]
    assert pipeline.record_rules == ()


def test_a_suites_map_expectation_with_mostly_judges_windows(tmp_path: Path) -> None:
    suite = {"name": "s", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a", "mostly": 0.9}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "b"}}]}
    (tmp_path / "s.json").write_text(json.dumps(suite))
    path = tmp_path / "p.yml"
    path.write_text(HEAD + "suite: s.json\n")
    pipeline = load_pipeline(path)
    assert [r.kwargs["column"] for r in pipeline.window_rules] == ["a"]
    assert [r.kwargs["column"] for r in pipeline.record_rules] == ["b"]


def test_gx_message_is_quoted_for_what_only_gx_checks(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, HEAD + "expectations:\n  - expectation: expect_column_values_to_match_json_schema\n"
                                               "    column: a\n    json_schema: text\n"))
    assert "line 5:" in message and "rejects its arguments" in message


def test_suite_file_mistakes_name_the_suite_and_line(tmp_path: Path) -> None:
    (tmp_path / "suite.json").write_text('{\n  "expectations": [\n    {"type": "expect_nothing_at_all", "kwargs": {}}\n  ]\n}\n')
    message = error_of(write(tmp_path, HEAD + "suite: suite.json\n"))
    assert message.startswith(f"{tmp_path / 'suite.json'}, line 3: unknown expectation type `expect_nothing_at_all`")
    (tmp_path / "suite.json").write_text('{"expectations": [\n')
    assert error_of(tmp_path / "p.yml") == (f"{tmp_path / 'suite.json'}, line 2: YAML syntax error: "
                                            "expected the node content, but found '<stream end>'")


def test_empty_and_missing_files(tmp_path: Path) -> None:
    assert "line 1: the file is empty" in error_of(write(tmp_path, ""))
    assert "cannot read pipeline file" in error_of(tmp_path / "nope.yml")


def test_importing_pipeline_and_decode_leaves_gx_and_pandas_unloaded() -> None:
    import subprocess
    import sys

    code = ("import sys, governance.sentinel.pipeline, governance.sentinel.decode; "
            "print(sorted(m for m in ('great_expectations', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
