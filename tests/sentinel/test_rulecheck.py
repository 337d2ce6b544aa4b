"""A sentinel's rules are checked in plain Python (`ruleargs`), so `sentinel check` answers
without importing Great Expectations, and a routing process whose rules all compile never
holds GX and pandas (about 200 MB for the life of a process that imports them), and still
judges exactly as GX does. A rule our checks do not cover is checked by GX's own class."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from governance.errors import GovernanceError
from governance.sentinel.pipeline import load_pipeline

RULES = """\
name: payments
source: payments
value_format: json
expectations:
  - expectation: expect_column_values_to_match_regex
    column: id
    regex: "^pay-[0-9]{8}$"
  - expectation: expect_column_values_to_not_be_null
    column: customer
  - expectation: expect_column_values_to_be_between
    column: amount
    min_value: 0
    max_value: 100000
  - expectation: expect_column_values_to_be_in_set
    column: status
    value_set: [NEW, PAID]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pipeline.yml"
    path.write_text(text)
    return path


def test_covered_rules_are_checked_and_loaded_without_gx(tmp_path: Path) -> None:
    path = write(tmp_path, RULES)
    script = textwrap.dedent(f"""
        import json, sys
        from governance.sentinel.pipeline import load_pipeline
        p = load_pipeline({str(path)!r})
        print(json.dumps({{"gx": "great_expectations" in sys.modules or "pandas" in sys.modules,
                          "checked": [dict(r.checked) for r in p.record_rules]}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["gx"] is False
    assert out["checked"][2] == {"column": "amount", "min_value": 0, "max_value": 100000}


def test_a_bad_argument_is_reported_with_file_and_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, RULES.replace("    min_value: 0\n", "    min_value: 0\n    strict_min: maybe\n"))
    with pytest.raises(GovernanceError) as raised:
        load_pipeline(path)
    assert f"{path}, line 13: `strict_min`" in str(raised.value) and "must be true or false" in str(raised.value)


def test_a_rule_with_gx_only_arguments_is_checked_by_gx(tmp_path: Path) -> None:
    path = write(tmp_path, RULES + "  - expectation: expect_column_values_to_not_be_null\n"
                                   "    column: id\n    condition_parser: sql-ish\n")
    with pytest.raises(GovernanceError) as raised:
        load_pipeline(path)
    assert f"{path}, line 17: `expect_column_values_to_not_be_null` rejects its arguments" in str(raised.value)


def test_the_routing_process_imports_gx_only_when_a_batch_holds_values_the_compiled_checks_do_not_model(
        tmp_path: Path) -> None:
    path = write(tmp_path, RULES)
    script = textwrap.dedent(f"""
        import json, sys
        from governance.sentinel.pipeline import load_pipeline
        from governance.sentinel.validate import RecordValidator
        validator = RecordValidator(load_pipeline({str(path)!r}).record_rules)
        good = {{"id": "pay-00000001", "customer": "c", "amount": 5, "status": "NEW"}}
        plain = validator.validate([good, {{**good, "amount": -1}}, {{**good, "status": "LOST", "customer": None}}])
        before = "great_expectations" in sys.modules or "pandas" in sys.modules
        odd = validator.validate([good, {{**good, "amount": [1, 2]}}])
        after = "great_expectations" in sys.modules
        print(json.dumps({{"compiled": len(validator.compiled), "before": before, "after": after,
                          "plain": [[f.rule for f in fs] for fs in plain], "odd": [len(fs) for fs in odd]}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["compiled"] == 4
    assert out["before"] is False, "GX or pandas was imported to judge values the compiled checks model"
    assert out["plain"] == [[], ["expect_column_values_to_be_between(amount)"],
                            ["expect_column_values_to_not_be_null(customer)", "expect_column_values_to_be_in_set(status)"]]
    assert out["after"] is True, "a list in a numeric column is GX's to judge"
    assert out["odd"][0] == 0 and out["odd"][1] == 1


def test_compiled_checks_from_our_checked_arguments_judge_as_from_gxs_normalized_ones(tmp_path: Path) -> None:
    import dataclasses

    from governance.sentinel.fastpath import compile_rule

    path = write(tmp_path, RULES + "  - expectation: expect_column_value_lengths_to_equal\n    column: id\n    value: 12\n"
                                   "  - expectation: expect_column_value_lengths_to_be_between\n    column: customer\n"
                                   "    min_value: 1\n    max_value: 3\n    strict_max: true\n")
    rules = load_pipeline(path).record_rules
    batch = [{"id": i, "customer": c, "amount": a, "status": s}
             for i, c, a, s in [("pay-00000001", "ab", 0, "NEW"), ("pay-1", "abc", 100000, "PAID"), (None, "", -0.5, "X"),
                                ("pay-0000000x", None, 100000.0, None), ("x" * 12, "a", 1e9, "NEW")]]
    for rule in rules:
        ours, gxs = compile_rule(rule), compile_rule(dataclasses.replace(rule, checked=None))
        assert ours is not None and gxs is not None, rule.name
        assert ours(batch) == gxs(batch), rule.name
