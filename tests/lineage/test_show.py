"""The lineage in the terminal (`lineage show`, `lineage impact`) and in the CI gate's
findings: a breaking change names who reads the subject downstream."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from gate_helpers import make_repo, run_gate

PROJECT = Path(__file__).parent / "project"


def governance(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "governance", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def test_show_draws_a_topic_upstream_and_downstream() -> None:
    done = governance("lineage", "show", "payments", "--project", str(PROJECT))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "kafka:payments  [payments-value]"
    assert "    <- postgres:bank.public.payments  via airflow ledger/ledger-publisher" in lines
    assert "    -> kafka:payments-valid  [payments-value]  via sentinel payments (3 rules)" in lines
    assert "      -> s3:finance-lake/topics/payments-valid  via connector payments-s3-sink" in lines


def test_show_everything_lists_jobs_upstream_first() -> None:
    done = governance("lineage", "show", "--project", str(PROJECT))
    jobs = [line for line in done.stdout.splitlines() if not line.startswith(" ")]
    assert jobs == ["airflow ledger/ledger-publisher", "sentinel payments (3 rules)", "connector payments-s3-sink"]


def test_impact_lists_pipelines_topics_and_sinks_downstream_of_a_subject() -> None:
    done = governance("lineage", "impact", "payments-value", "--project", str(PROJECT))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "payments-value is the value schema of kafka:payments",
        "  sentinel payments (3 rules) -> kafka:payments-valid  [payments-value]",
        "    connector payments-s3-sink -> s3:finance-lake/topics/payments-valid",
        "    connector payments-s3-sink -> kafka:payments-s3-sink-dlq",
        "  sentinel payments (3 rules) -> kafka:payments-dlq",
        "owners to tell:",
        "  payments-team: kafka:payments, sentinel payments (3 rules), kafka:payments-valid, kafka:payments-dlq, "
        "connector payments-s3-sink, s3:finance-lake/topics/payments-valid, kafka:payments-s3-sink-dlq",
        "  user:alice: sentinel payments (3 rules)",
    ]


def parents(lines: list[str]) -> dict[str, str]:
    """Each line's dataset -> the dataset of the nearest line above it indented less: its parent as drawn."""
    def dataset(line: str) -> str:
        if " is the value schema of " in line:
            return line.split()[-1]
        words = line.replace("<-", " ").replace("->", " -> ").split()
        return words[words.index("->") + 1] if "->" in words else words[0]

    lines = [line for line in lines if not line.strip().startswith(("upstream:", "downstream:"))]
    out = {}
    for i, line in enumerate(lines):
        depth = len(line) - len(line.lstrip())
        above = next((lines[j] for j in range(i - 1, -1, -1) if len(lines[j]) - len(lines[j].lstrip()) < depth), None)
        if above is not None:
            out[dataset(line)] = dataset(above)
    return out


def test_show_and_impact_draw_each_dataset_under_the_one_its_job_reads() -> None:
    """The shipped lineage/: a sink reads a valid topic (lineage/connect/*.json, lineage/*.yml), never a DLQ."""
    root = PROJECT.parents[2]
    sinks = {"orders": ("kafka:orders-valid", ["s3:shop-data-lake/raw/kafka/orders-valid", "kafka:orders-s3-sink-dlq"]),
             "transactions": ("kafka:transactions-valid", ["snowflake:finance.payments.card_transactions",
                                                           "kafka:transactions-snowflake-dlq"]),
             "user-activity": ("kafka:user-activity-valid", ["bigquery:analytics.web.user_activity"])}
    for name, (valid, ends) in sinks.items():
        for command in (("lineage", "show", name), ("lineage", "impact", f"{name}-value")):
            done = governance(*command, "--project", str(root))
            assert done.returncode == 0, done.stderr
            drawn = parents(done.stdout.splitlines())
            assert drawn[valid] == f"kafka:{name}" and drawn[f"kafka:{name}-dlq"] == f"kafka:{name}", done.stdout
            assert all(drawn[end] == valid for end in ends), done.stdout
    done = governance("lineage", "show", "payments", "--project", str(PROJECT))
    assert parents(done.stdout.splitlines())["s3:finance-lake/topics/payments-valid"] == "kafka:payments-valid"
    done = governance("lineage", "show", "payments-s3-sink-dlq", "--project", str(PROJECT))
    assert parents(done.stdout.splitlines()) == {"kafka:payments-valid": "kafka:payments-s3-sink-dlq",
                                                 "kafka:payments": "kafka:payments-valid",
                                                 "postgres:bank.public.payments": "kafka:payments"}, done.stdout


def test_unknown_names_are_clear_errors() -> None:
    done = governance("lineage", "show", "nope", "--project", str(PROJECT))
    assert done.returncode == 2 and "nope is not in the lineage" in done.stderr and "payments-valid" in done.stderr
    done = governance("lineage", "impact", "nope-value", "--project", str(PROJECT))
    assert done.returncode == 2 and "no topic in the lineage carries subject nope-value" in done.stderr


def test_the_gate_names_the_downstream_impact_of_a_breaking_change(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    shutil.rmtree(repo.schemas)
    for folder in ("schemas", "rules", "lineage"):
        shutil.copytree(PROJECT / folder, repo.root / folder)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "project")
    schema = json.loads((repo.schemas / "payments-value.avsc").read_text())
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "amount"]  # FULL_TRANSITIVE: removal breaks
    (repo.schemas / "payments-value.avsc").write_text(json.dumps(schema, indent=2))
    text = run_gate(repo, "check", "--against", "HEAD")
    assert text.returncode == 1, text.stdout + text.stderr
    assert ("breaks payments-value, read by sentinel payments (3 rules), which feeds kafka:payments-valid, "
            "kafka:payments-dlq, s3:finance-lake/topics/payments-valid, kafka:payments-s3-sink-dlq") in text.stdout
    github = run_gate(repo, "check", "--against", "HEAD", "--format", "github")
    assert "(breaks payments-value, read by sentinel payments" in github.stdout
    lines = run_gate(repo, "check", "--against", "HEAD", "--format", "json").stdout.splitlines()
    assert all(json.loads(line)["impact"].startswith("read by sentinel payments") for line in lines)
    heavy = subprocess.run([sys.executable, "-X", "importtime", "-m", "governance", "schemas", "check", "--against", "HEAD"],
                           cwd=repo.root, capture_output=True, text=True, timeout=60)
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in heavy.stderr.splitlines()
                if line.startswith("import time:")}
    assert imported.isdisjoint({"great_expectations", "pandas", "datahub", "confluent_kafka"}), "the gate stays light"
