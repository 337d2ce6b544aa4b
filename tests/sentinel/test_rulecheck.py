"""A sentinel's rules are checked by Great Expectations in a child process, so a routing
process whose rules all compile never holds GX and pandas (about 200 MB for the life of
a process that imports them), and still judges exactly as GX does."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from governance.errors import GovernanceError
from governance.sentinel.pipeline import load_pipeline
from governance.sentinel.rulecheck import load_checked

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


def test_rules_checked_in_the_child_are_the_rules_gx_checks_in_this_process(tmp_path: Path) -> None:
    path = write(tmp_path, RULES)
    there, here = load_checked(path), load_pipeline(path)
    assert there == here
    between = there.record_rules[2].checked
    assert between is not None and between["min_value"] == 0 and type(between["min_value"]) is float  # GX's own normalization


def test_a_bad_argument_is_reported_with_file_and_its_line_as_when_checked_here(tmp_path: Path) -> None:
    path = write(tmp_path, RULES.replace("    min_value: 0\n", "    min_value: 0\n    strict_min: maybe\n"))
    with pytest.raises(GovernanceError) as here:
        load_pipeline(path)
    with pytest.raises(GovernanceError) as there:
        load_checked(path)
    assert str(there.value) == str(here.value)
    assert f"{path}, line 13: `strict_min`" in str(there.value) and "must be true or false" in str(there.value)


def test_a_pipeline_with_window_rules_is_checked_here_and_loads_the_same(tmp_path: Path) -> None:
    path = write(tmp_path, RULES + "window:\n  expectations:\n    - expectation: expect_column_mean_to_be_between\n"
                                   "      column: amount\n      min_value: 1\n")
    assert load_checked(path) == load_pipeline(path)


def test_the_routing_process_imports_gx_only_when_a_batch_holds_values_the_compiled_checks_do_not_model(
        tmp_path: Path) -> None:
    path = write(tmp_path, RULES)
    script = textwrap.dedent(f"""
        import json, sys
        from governance.sentinel.rulecheck import load_checked
        from governance.sentinel.validate import RecordValidator
        validator = RecordValidator(load_checked({str(path)!r}).record_rules)
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
