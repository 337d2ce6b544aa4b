"""The shipped Prometheus rules and Grafana dashboard as tests read them: promtool from PATH,
every PromQL expression they hold, and the metric names those expressions read."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULE_FILES = (PROMETHEUS / "sentinel.rules.yml", PROMETHEUS / "registry.rules.yml")
RULE_TESTS = tuple(sorted((PROMETHEUS / "tests").glob("*.test.yml")))
DASHBOARD = ROOT / "deploy" / "grafana" / "governance.json"

# PromQL words that look like metric names: operators, modifiers, literals.
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
             "group_right", "start", "end", "inf", "nan"}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_CLAUSE = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w:.$])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()")


def binary(name: str) -> str:
    """The path of a Prometheus binary; a clear failure (never a skip) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not on PATH: .ci/run installs Debian's prometheus package (which has prometheus "
                    f"and promtool) when it is missing; on Debian or Ubuntu: apt-get install prometheus")
    return path


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression selects: identifiers that are not functions, keywords,
    label names (matchers, by/without/on clauses), durations or strings."""
    text = _STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = _CLAUSE.sub(" ", text)
    return {name for name in _IDENTIFIER.findall(text) if name.lower() not in _KEYWORDS}


def rule_groups() -> list[dict]:
    return [group for path in RULE_FILES for group in yaml.safe_load(path.read_text())["groups"]]


def rules() -> list[dict]:
    return [rule for group in rule_groups() for rule in group["rules"]]


def recorded_names() -> set[str]:
    return {rule["record"] for rule in rules() if "record" in rule}


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def panels() -> list[dict]:
    """The dashboard's panels, rows' own (collapsed) panels included, rows left out."""
    found = []
    for panel in dashboard()["panels"]:
        if panel["type"] == "row":
            found += panel.get("panels", [])
        else:
            found.append(panel)
    return found


def panel_queries() -> list[tuple[str, str]]:
    """(panel title, expr) for every target of every panel."""
    return [(panel["title"], target["expr"]) for panel in panels() for target in panel["targets"]]


def used_metric_names() -> dict[str, set[str]]:
    """Metric name -> where it is used (an alert, a recording rule or a panel), recording-rule
    outputs left out; a histogram's _bucket/_sum/_count series count as the histogram."""
    used: dict[str, set[str]] = {}
    exprs = [(rule.get("alert") or rule["record"], rule["expr"]) for rule in rules()]
    recorded = recorded_names()
    for where, expr in exprs + panel_queries():
        for name in metric_names(expr) - recorded:
            used.setdefault(re.sub(r"_(bucket|sum|count)$", "", name), set()).add(where)
    return used


def grafana_to_promql(expr: str, pipeline: str, rate_interval: str = "1m") -> str:
    """A panel's query as Grafana sends it for one selected pipeline (a name without regex characters)."""
    return expr.replace("$__rate_interval", rate_interval).replace("$pipeline", pipeline)


class PrometheusServer:
    """Debian's `prometheus` on a loopback port of its own choosing (`--web.listen-address
    127.0.0.1:0`, the port read from its log), scraping `targets` (job -> host:port list) every
    second and evaluating `rule_files` every second, its data in `directory`."""

    def __init__(self, directory: Path, targets: dict[str, list[str]], rule_files: list[Path]) -> None:
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(path) for path in rule_files],
            "scrape_configs": [{"job_name": job, "static_configs": [{"targets": hosts}]}
                               for job, hosts in targets.items()],
        }
        (directory / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = directory / "prometheus.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [binary("prometheus"), f"--config.file={directory / 'prometheus.yml'}",
                 f"--storage.tsdb.path={directory / 'data'}", "--web.listen-address=127.0.0.1:0"],
                stdout=out, stderr=subprocess.STDOUT)
        self.url = self._wait_ready()

    def _wait_ready(self) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"prometheus exited:\n{self.log.read_text()}"
            if m := re.search(r'msg="Listening on" address=(\S+)', self.log.read_text()):
                url = f"http://{m.group(1)}"
                try:
                    with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
                        if response.status == 200:
                            return url
                except OSError:
                    pass
            time.sleep(0.2)
        raise AssertionError(f"prometheus was not ready within 60 s:\n{self.log.read_text()}")

    def api(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}{query}", timeout=30) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        return self.api("query", query=expr)["result"]

    def alerts(self) -> list[dict]:
        return self.api("alerts")["alerts"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
