"""The shipped alert and recording rules (deploy/prometheus/) pass Prometheus's own checker, and
promtool's unit tests (deploy/prometheus/tests/) fire every alert on input series that should
fire it and hold it back on look-alikes that should not."""

from __future__ import annotations

import subprocess

import yaml
from prometheus_helpers import RULE_FILES, RULE_TESTS, binary, rules


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary("promtool"), *args], capture_output=True, text=True, timeout=120)


def test_promtool_check_rules_accepts_both_files() -> None:
    result = run("check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_FILES)


def test_promtool_unit_tests_pass() -> None:
    result = run("test", "rules", *map(str, RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS)


def test_every_alert_has_a_test_that_fires_it_and_one_that_holds_it_back() -> None:
    fired: set[str] = set()
    held_back: set[str] = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check.get("exp_alerts") else held_back).add(check["alertname"])
    alerts = {rule["alert"] for rule in rules() if "alert" in rule}
    assert alerts - fired == set(), "alerts no promtool test fires"
    assert alerts - held_back == set(), "alerts no promtool test expects silent"


def test_every_alert_says_how_bad_and_what_to_do() -> None:
    for rule in rules():
        if "alert" not in rule:
            continue
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        annotations = rule["annotations"]
        assert {"summary", "description", "runbook"} <= annotations.keys(), rule["alert"]
        assert "\n" not in annotations["runbook"].strip(), f"{rule['alert']}: the runbook is one line"
