"""The registry's data contracts in the sentinel (`governance/sentinel/contracts.py`): a subject whose
versions carry a `ruleSet`, registered through confluent-kafka's own client; records written by
Confluent's serializers without running the rules, some breaking each rule. Each record is judged by
the contract of the version it was written with, beside the pipeline's GX rule: routing, the DLQ
headers (ours and Confluent's `__rule.*`) and the KPIs are exact, also through SIGKILLs."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka import Message
from confluent_kafka.schema_registry import Rule, RuleKind, RuleMode, RuleParams, RuleSet, Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import consume_all, create_topic
from registry_helpers import http
from sentinel_helpers import GOVERNANCE, Offsets, Sentinel, kpi_records, produce_indexed, records_in, scrape, start, wait_until

from governance.contracts import Contract
from governance.kafka import KafkaSettings
from governance.sentinel.contracts import VersionContract, WriterContracts, describe, version_contract
from governance.sentinel.headers import ContractBreach, dead_letter
from governance.sentinel.pipeline import load_pipeline

PAYMENT = {"type": "record", "name": "Payment", "namespace": "com.example.pay", "fields": [
    {"name": "id", "type": "string"},
    {"name": "amount", "type": "double", "confluent:tags": ["MONEY"]},
    {"name": "currency", "type": "string"},
    {"name": "email", "type": ["null", "string"], "default": None},
    {"name": "qty", "type": "int"},
]}  # fmt: skip
PAYMENT_V2 = {**PAYMENT, "fields": [*PAYMENT["fields"], {"name": "note", "type": "string", "default": ""}]}


def rule(name: str, expr: str, *, mode: RuleMode = RuleMode.WRITE, on_failure: str = "DLQ", **extra: Any) -> Rule:
    fields: dict[str, Any] = {"doc": None, "kind": RuleKind.CONDITION, "type": "CEL", "tags": None, "params": None,
                              "on_success": None, "disabled": None, **extra}
    return Rule(name=name, expr=expr, mode=mode, on_failure=on_failure, **fields)


V1_RULES = [
    rule("positive", "message.amount > 0.0", doc="amount must be positive"),
    rule("currency", "message.currency in ['EUR', 'USD']", mode=RuleMode.WRITEREAD, on_failure="ERROR"),
    rule("cap", "value < 10000.0", type="CEL_FIELD", tags=["MONEY"], params=RuleParams({"dlq.topic": "elsewhere"})),
    rule("email", "message.email != null ; message.email.contains('@')"),  # a guard: no email, nothing to check
    rule("qty_hint", "message.qty <= 10", on_failure="NONE"),
    rule("off", "false", disabled=True),
    rule("id_read", "message.id.startsWith('p-')", mode=RuleMode.READ),
]  # fmt: skip
V2_RULES = [rule("positive", "message.amount > 0.0", on_failure="NONE"), rule("note", "size(message.note) <= 5")]
EXPRS = {r.name: r.expr for r in V1_RULES + V2_RULES}
GX_RULE = "qty_max"


def payment(i: int) -> dict[str, Any]:
    """Payment i breaks `positive` every 10th (+3), `cap` every 10th (+7), `currency` every 15th, `email`
    every 11th unless it has no email (every 3rd: the guard), `id_read` every 31st, the warning
    `qty_hint` every 7th and the GX rule every 29th; v2 payments (i >= V2_FROM) break `note` every 9th."""
    record = {
        "id": f"x-{i}" if i % 31 == 7 else f"p-{i}",
        "amount": -1.0 if i % 10 == 3 else 20_000.0 if i % 10 == 7 else 10.0 + i % 50,
        "currency": "GBP" if i % 15 == 4 else "EUR",
        "email": None if i % 3 == 0 else "nobody" if i % 11 == 5 else "a@b.example",
        "qty": 500 if i % 29 == 6 else 50 if i % 7 == 2 else 1,
    }
    if i >= V2_FROM:
        record["note"] = "far too long" if i % 9 == 1 else "ok"
    return record


V2_FROM = 300


def failures_of(i: int, contract_rules: str = "enforce") -> list[tuple[str, str, str]]:
    """(rule, severity, mode) of each rule payment i fails: the GX rule, then its writer version's contract
    rules in the order Confluent runs them (WRITE ones in order, then READ ones in reverse)."""
    p = payment(i)
    out = [(GX_RULE, "critical", "")] if p["qty"] > 100 else []
    if i < V2_FROM:
        broken = [("positive", "DLQ", p["amount"] <= 0), ("currency", "ERROR", p["currency"] not in ("EUR", "USD")),
                  ("cap", "DLQ", p["amount"] >= 10_000), ("email", "DLQ", p["email"] is not None and "@" not in p["email"]),
                  ("qty_hint", "NONE", p["qty"] > 10), ("id_read", "DLQ", not p["id"].startswith("p-"))]
    else:
        broken = [("positive", "NONE", p["amount"] <= 0), ("note", "DLQ", len(p["note"]) > 5)]
    if contract_rules != "ignore":
        out += [(f"contract:{name}", "critical" if action != "NONE" and contract_rules == "enforce" else "warning",
                 "READ" if name == "id_read" else "WRITE") for name, action, bad in broken if bad]
    return out


def critical_of(i: int, contract_rules: str = "enforce") -> list[str]:
    return [name for name, severity, _ in failures_of(i, contract_rules) if severity == "critical"]


def exception_text(name: str) -> str:
    return "amount must be positive" if name == "positive" else f"Rule expr failed: {EXPRS[name]}"


class PaymentSubject:
    """`<source>-value` with two versions, each with its own ruleSet, registered through Confluent's client, and
    a serializer of each that writes with its version's id without running the rules."""

    def __init__(self, registry_url: str, source: str) -> None:
        client = SchemaRegistryClient({"url": registry_url})
        self.subject = f"{source}-value"
        self.serializers = []
        for text, rules in ((PAYMENT, V1_RULES), (PAYMENT_V2, V2_RULES)):
            schema = Schema(json.dumps(text), "AVRO", rule_set=RuleSet(migration_rules=None, domain_rules=rules))
            client.register_schema(self.subject, schema)
            self.serializers.append(AvroSerializer(client, schema, conf={"auto.register.schemas": False}))
        self.context = SerializationContext(source, MessageField.VALUE)

    def value(self, i: int) -> bytes:
        return self.serializers[i >= V2_FROM](payment(i), self.context)


def write_pipeline(directory: Path, name: str, source: str, **extra: object) -> Path:
    doc = {"name": name, "source": source,
           "expectations": [{"expectation": "expect_column_values_to_be_between", "column": "qty", "max_value": 100,
                             "name": GX_RULE}],
           "commit": {"every_records": 500, "every_ms": 300}, **extra}
    path = directory / f"{name}.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def setup(kafka: KafkaSettings, registry_url: str, name: str, n: int, partitions: int = 2) -> tuple[str, PaymentSubject]:
    source = f"{name}-in"
    create_topic(kafka, source, partitions=partitions)
    subject = PaymentSubject(registry_url, source)
    produce_indexed(kafka, source, range(n), subject.value)
    return source, subject


def read_outputs(kafka: KafkaSettings, name: str, source: str, n: int, contract_rules: str = "enforce"
                 ) -> tuple[list[Message], list[Message]]:
    invalid = sum(1 for i in range(n) if critical_of(i, contract_rules))
    return (consume_all(kafka, f"{source}-valid", n - invalid, group=f"{name}-check-valid"),
            consume_all(kafka, f"{source}-dlq", invalid, group=f"{name}-check-dlq"))


def assert_routed(kafka: KafkaSettings, name: str, source: str, subject: str, n: int, contract_rules: str = "enforce"
                  ) -> None:
    """Each payment once, where its rules send it; each dead letter with exactly the failed rules and `__rule.*`
    headers Confluent's DlqAction would write for the first contract rule that stopped it."""
    valid, dlq = read_outputs(kafka, name, source, n, contract_rules)
    for out in (valid, dlq):
        assert not {k: c for k, c in Counter(m.key() for m in out).items() if c > 1}
    assert {int(m.key()[1:]) for m in valid} == {i for i in range(n) if not critical_of(i, contract_rules)}
    assert {int(m.key()[1:]) for m in dlq} == {i for i in range(n) if critical_of(i, contract_rules)}
    for m in dlq:
        i = int(m.key()[1:])
        dead = dead_letter(m.headers() or [])
        assert (dead.stage, dead.rules) == ("validate", critical_of(i, contract_rules))
        first = next((f for f in failures_of(i, contract_rules) if f[0].startswith("contract:") and f[1] == "critical"),
                     None)
        if first is None:
            assert dead.contract is None
            assert not [h for h, _ in m.headers() or [] if h.startswith("__rule.")]
        else:
            bare = first[0].removeprefix("contract:")
            assert dead.contract == ContractBreach(bare, first[2], subject, exception_text(bare))
            assert dead.rule_topic == source


def expected_kpis(n: int, contract_rules: str = "enforce") -> tuple[Counter[str], int]:
    """Records failing each rule (criticals and warnings), and valid records with a warning."""
    counts: Counter[str] = Counter(name for i in range(n) for name, _, _ in failures_of(i, contract_rules))
    warned = sum(1 for i in range(n) if not critical_of(i, contract_rules)
                 and any(severity == "warning" for _, severity, _ in failures_of(i, contract_rules)))
    return counts, warned


def assert_kpis(kafka: KafkaSettings, registry_url: str, name: str, n: int, contract_rules: str = "enforce") -> None:
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    context = SerializationContext(f"{name}-kpi", MessageField.VALUE)
    kpis = kpi_records(kafka, f"{name}-kpi", f"{name}-check-kpi", lambda v: deserializer(v, context))
    counts, warned = expected_kpis(n, contract_rules)
    summed: Counter[str] = Counter()
    for k in kpis:
        summed.update({rule: c for rule, c in k["window"]["rule_failures"].items() if c})
    assert summed == counts
    assert sum(k["window"]["records_in"] for k in kpis) == n
    assert sum(k["window"]["invalid"] for k in kpis) == sum(1 for i in range(n) if critical_of(i, contract_rules))
    assert sum(k["window"]["warning_records"] for k in kpis) == warned


# ---------------------------------------------------------------- the contract of one version, without Kafka


def v1_contract(enforcement: str = "enforce") -> VersionContract:
    rule_set = RuleSet(migration_rules=None, domain_rules=V1_RULES).to_dict()
    contract = version_contract("pay-value", 1, {"schema": json.dumps(PAYMENT), "ruleSet": rule_set}, enforcement)  # type: ignore[arg-type]
    assert contract is not None
    return contract


def test_each_payment_fails_exactly_the_rules_it_breaks_in_confluents_order() -> None:
    contract = v1_contract()
    records = [payment(i) for i in range(V2_FROM)]
    failures, breaches = contract.check(records)
    for i, (failed, breach) in enumerate(zip(failures, breaches)):
        expected = [f for f in failures_of(i) if f[0] != GX_RULE]
        assert [(f.rule, f.severity) for f in failed] == [(name, severity) for name, severity, _ in expected]
        first = next((f for f in expected if f[1] == "critical"), None)
        assert breach == (None if first is None else ContractBreach(
            first[0].removeprefix("contract:"), first[2], "pay-value", exception_text(first[0].removeprefix("contract:"))))


def test_what_is_enforced_and_what_is_ignored_and_why() -> None:
    contract = v1_contract()
    assert [(r.name, r.severity, r.mode, r.declared) for r in contract.rules] == [
        ("contract:positive", "critical", "WRITE", "WRITE"), ("contract:currency", "critical", "WRITE", "WRITEREAD"),
        ("contract:cap", "critical", "WRITE", "WRITE"), ("contract:email", "critical", "WRITE", "WRITE"),
        ("contract:qty_hint", "warning", "WRITE", "WRITE"), ("contract:id_read", "critical", "READ", "READ")]
    assert contract.ignored == (("contract:off", "disabled"),)
    read_off = RuleSet(None, [rule("read_off", "false", mode=RuleMode.READ, disabled=True)]).to_dict()  # type: ignore[arg-type]
    only = version_contract("pay-value", 1, {"schema": json.dumps(PAYMENT), "ruleSet": read_off}, "enforce")
    assert only is not None and (only.rules, only.ignored) == ((), (("contract:read_off", "disabled"),))
    assert {r.severity for r in v1_contract("warn").rules} == {"warning"}


@pytest.mark.parametrize(("on_failure", "severity"), [("NONE,DLQ", "critical"), ("NONE,ERROR", "critical"),
                                                      ("DLQ,NONE", "critical"), ("NONE,NONE", "warning"),
                                                      ("NONE,CUSTOM", "critical"), ("NONE", "warning")])
def test_a_writeread_rule_judged_once_takes_the_stricter_of_its_write_and_read_actions(on_failure: str,
                                                                                      severity: str) -> None:
    """`NONE,DLQ`: producers let the record through, every consumer would dead-letter it; the sentinel sits between."""
    rule_set = RuleSet(None, [rule("currency", "message.currency in ['EUR']", mode=RuleMode.WRITEREAD,  # type: ignore[arg-type]
                                   on_failure=on_failure)]).to_dict()
    contract = version_contract("pay-value", 1, {"schema": json.dumps(PAYMENT), "ruleSet": rule_set}, "enforce")
    assert contract is not None and [r.severity for r in contract.rules] == [severity]


def test_a_version_without_domain_rules_or_a_pipeline_that_ignores_them_has_no_contract() -> None:
    registered = {"schema": json.dumps(PAYMENT), "ruleSet": {"domainRules": [V1_RULES[0].to_dict()]}}
    assert version_contract("s", 1, {"schema": json.dumps(PAYMENT)}, "enforce") is None
    assert version_contract("s", 1, {**registered, "ruleSet": {"migrationRules": []}}, "enforce") is None
    assert version_contract("s", 1, registered, "ignore") is None


def test_records_are_judged_by_the_contract_of_the_version_they_were_written_with() -> None:
    texts = {7: {"schema": json.dumps(PAYMENT), "ruleSet": RuleSet(None, V1_RULES).to_dict()},  # type: ignore[arg-type]
             8: {"schema": json.dumps(PAYMENT_V2), "ruleSet": RuleSet(None, V2_RULES).to_dict()},  # type: ignore[arg-type]
             9: {"schema": json.dumps(PAYMENT)}}
    asked: list[int] = []

    def writer(schema_id: int) -> tuple[int, dict[str, Any], dict[str, str]]:
        asked.append(schema_id)
        return schema_id - 6, texts[schema_id], {}

    contracts = WriterContracts("pay-value", "enforce", writer)
    bad = {**payment(3), "note": "far too long"}  # breaks `positive` (critical in v1, a warning in v2) and `note`
    values = [b"\x00" + schema_id.to_bytes(4, "big") + b"body" for schema_id in (7, 8, 9, 7)]
    checked = contracts.check([bad, bad, bad, bad], values)
    assert checked is not None
    failures, breaches = checked
    assert [[f.rule for f in failed] for failed in failures] == [
        ["contract:positive"], ["contract:positive", "contract:note"], [], ["contract:positive"]]
    assert [b.name if b else None for b in breaches] == ["positive", "note", None, "positive"]
    assert failures[1][0].severity == "warning"
    assert asked == [7, 8, 9]  # once per schema id
    assert contracts.check([bad], values[2:3]) is None  # a batch of versions without rules costs nothing more


def test_a_contract_of_the_core_is_what_the_sentinel_runs() -> None:
    """The sentinel filters nothing the core enforces: the WRITE phase is the core's WRITE contract."""
    rule_set = RuleSet(migration_rules=None, domain_rules=V1_RULES).to_dict()
    core = Contract.of(rule_set, subject="pay-value", version=1, schema_type="AVRO", schema=json.dumps(PAYMENT))
    assert [f"contract:{r.name}" for r in core.rules] == [r.name for r in v1_contract().rules if r.mode == "WRITE"]


def test_the_banner_says_each_versions_rules_and_the_pipeline_key(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, "pay", "pay")
    lines = describe(load_pipeline(path, check_rules=False), [v1_contract()])
    assert lines[0] == "  contracts  6 rules of pay-value, each record judged by its writer version's:"
    assert "    v1    [critical] contract:currency (CEL, WRITEREAD enforced as WRITE, onFailure ERROR): " \
           "message.currency in ['EUR', 'USD']" in lines
    assert "    v1    [warning] contract:qty_hint (CEL, WRITE, onFailure NONE): message.qty <= 10" in lines
    assert lines[-1] == "    v1    [ignored] contract:off: disabled"
    ignoring = load_pipeline(write_pipeline(tmp_path, "pay2", "pay", contract_rules="ignore"), check_rules=False)
    assert describe(ignoring, []) == ["  contracts  not read (`contract_rules: ignore` in pay2.yml)"]


# ---------------------------------------------------------------- end to end


def test_contract_rules_route_each_payment_with_confluents_headers_and_exact_kpis_and_metrics(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path) -> None:
    n = 400
    source, subject = setup(kafka, registry_url, unique_name, n)
    pipeline = write_pipeline(tmp_path, unique_name, source)
    check = subprocess.run([*GOVERNANCE, "sentinel", "check", str(pipeline), "--registry", registry_url],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and "v1    [ignored] contract:off: disabled" in check.stdout, check.stdout + check.stderr
    sentinel = start(pipeline, kafka, registry_url, "--workers", "0")
    try:
        wait_until(lambda: records_in(sentinel, unique_name) == n, timeout=120, interval=0.2)
        metrics = scrape(sentinel.metrics_url())
    finally:
        code = sentinel.stop(signal.SIGTERM)
    assert code == 0, sentinel.output

    banner = sentinel.output
    assert f"contracts  8 rules of {subject.subject}, each record judged by its writer version's:" in banner
    assert "v1    [ignored] contract:off: disabled" in banner
    assert "v2    [warning] contract:positive (CEL, WRITE, onFailure NONE): message.amount > 0.0" in banner
    # The valid topic's subject gets each writer schema with its contract: the same id, the same rules.
    assert "did not recognise the same schema" not in banner
    for version in (1, 2):
        source_version = http("GET", f"{registry_url}/subjects/{subject.subject}/versions/{version}")[1]
        valid_version = http("GET", f"{registry_url}/subjects/{source}-valid-value/versions/{version}")[1]
        assert (valid_version["id"], valid_version["ruleSet"]) == (source_version["id"], source_version["ruleSet"])
    assert_routed(kafka, unique_name, source, subject.subject, n)
    assert_kpis(kafka, registry_url, unique_name, n)
    counts, _ = expected_kpis(n)
    failing = {dict(labels)["rule"]: (dict(labels)["severity"], value) for (sample, labels), value in metrics.items()
               if sample == "sentinel_rule_failures_total"}
    assert failing["contract:cap"] == ("critical", counts["contract:cap"])
    assert failing["contract:qty_hint"] == ("warning", counts["contract:qty_hint"])
    assert failing["contract:positive"][1] == counts["contract:positive"]  # v1 and v2 together
    assert failing[GX_RULE] == ("critical", counts[GX_RULE])


def test_a_version_registered_while_running_is_judged_by_its_own_contract_and_joins_the_metrics(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path) -> None:
    source = f"{unique_name}-in"
    create_topic(kafka, source)
    client = SchemaRegistryClient({"url": registry_url})
    client.register_schema(f"{source}-value", Schema(json.dumps(PAYMENT), "AVRO", rule_set=RuleSet(None, V1_RULES)))
    sentinel = start(write_pipeline(tmp_path, unique_name, source), kafka, registry_url, "--workers", "0")
    try:
        sentinel.wait_for(r": assigned ")
        v2 = Schema(json.dumps(PAYMENT_V2), "AVRO", rule_set=RuleSet(None, V2_RULES))
        client.register_schema(f"{source}-value", v2)
        serialize = AvroSerializer(client, v2, conf={"auto.register.schemas": False})
        context = SerializationContext(source, MessageField.VALUE)
        produce_indexed(kafka, source, range(V2_FROM, V2_FROM + 50), lambda i: serialize(payment(i), context))
        wait_until(lambda: records_in(sentinel, unique_name) == 50, timeout=120, interval=0.2)
        sentinel.wait_for(r"registered since the start has data-contract rules")
        metrics = scrape(sentinel.metrics_url())
    finally:
        assert sentinel.stop(signal.SIGTERM) == 0, sentinel.output
    note = sum(1 for i in range(V2_FROM, V2_FROM + 50) if payment(i)["note"] != "ok")
    key = ("sentinel_rule_failures_total", frozenset({("pipeline", unique_name), ("rule", "contract:note"),
                                                      ("severity", "critical")}))
    assert note and metrics[key] == note
    assert "v2    [critical] contract:note (CEL, WRITE, onFailure DLQ): size(message.note) <= 5" in sentinel.output
    dlq = consume_all(kafka, f"{source}-dlq", sum(1 for i in range(V2_FROM, V2_FROM + 50) if critical_of(i)),
                      group=f"{unique_name}-d")
    assert sorted(int(m.key()[1:]) for m in dlq) == [i for i in range(V2_FROM, V2_FROM + 50) if critical_of(i)]


@pytest.mark.parametrize("contract_rules", ["warn", "ignore"])
def test_contract_rules_warn_makes_every_failure_a_warning_and_ignore_reads_none(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path, contract_rules: str) -> None:
    n = 200
    source, subject = setup(kafka, registry_url, unique_name, n, partitions=1)
    pipeline = write_pipeline(tmp_path, unique_name, source, contract_rules=contract_rules)
    sentinel = Sentinel(pipeline, kafka, registry_url, "--idle-exit", "3", "--workers", "0")
    assert sentinel.process.wait(180) == 0, sentinel.output

    assert_routed(kafka, unique_name, source, subject.subject, n, contract_rules)
    assert_kpis(kafka, registry_url, unique_name, n, contract_rules)
    if contract_rules == "warn":
        assert "every failure is a warning" in sentinel.output
        assert "[critical] contract:" not in sentinel.output
    else:
        assert f"contracts  not read (`contract_rules: ignore` in {pipeline.name})" in sentinel.output


def test_a_records_own_rule_name_header_does_not_turn_the_rule_off(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path) -> None:
    """Confluent's clients skip the rule a `__rule.name` header names; any producer can set one."""
    from confluent_kafka import Producer

    source, subject = setup(kafka, registry_url, unique_name, 0, partitions=1)
    producer = Producer(kafka.client_config())
    producer.produce(source, subject.value(3), b"k3", headers=[("__rule.name", b"positive")])  # breaks `positive`
    assert producer.flush(30) == 0
    sentinel = Sentinel(write_pipeline(tmp_path, unique_name, source), kafka, registry_url, "--idle-exit", "3")
    assert sentinel.process.wait(180) == 0, sentinel.output
    (dead,) = consume_all(kafka, f"{source}-dlq", 1, group=f"{unique_name}-d")
    assert dead_letter(dead.headers() or []).rules == ["contract:positive"]


def test_a_replay_judges_dead_letters_by_the_contracts_as_they_are_now(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path) -> None:
    import io

    from governance.sentinel.replay import ReplayFilter, replay

    n = 150
    source, _ = setup(kafka, registry_url, unique_name, n, partitions=1)
    enforcing = write_pipeline(tmp_path, unique_name, source)
    sentinel = Sentinel(enforcing, kafka, registry_url, "--idle-exit", "3", "--workers", "0")
    assert sentinel.process.wait(180) == 0, sentinel.output

    for contract_rules in ("enforce", "warn"):
        path = write_pipeline(tmp_path, unique_name, source, contract_rules=contract_rules)
        summary = replay(load_pipeline(path), kafka, registry_url, ReplayFilter(), True, io.StringIO())
        passing = [i for i in range(n) if critical_of(i) and not critical_of(i, contract_rules)]
        assert summary.moved_total == len(passing), contract_rules
    assert passing and len(passing) < sum(1 for i in range(n) if critical_of(i))  # the GX rule still holds some


def test_a_cel_expression_that_does_not_compile_stops_the_start_naming_subject_version_and_rule(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path) -> None:
    source = f"{unique_name}-in"
    client = SchemaRegistryClient({"url": registry_url})
    client.register_schema(f"{source}-value", Schema(json.dumps(PAYMENT), "AVRO", rule_set=RuleSet(None, V1_RULES)))
    broken = RuleSet(None, [V1_RULES[0], rule("broken", "message.amount >")])
    client.register_schema(f"{source}-value", Schema(json.dumps(PAYMENT_V2), "AVRO", rule_set=broken))
    pipeline = write_pipeline(tmp_path, unique_name, source)

    run = subprocess.run([*GOVERNANCE, "sentinel", "run", str(pipeline), "-b", kafka.bootstrap_servers,
                          "--registry", registry_url], capture_output=True, text=True, timeout=120)
    check = subprocess.run([*GOVERNANCE, "sentinel", "check", str(pipeline), "--registry", registry_url],
                           capture_output=True, text=True, timeout=120)
    for done in (run, check):
        assert done.returncode == 2, done.stdout + done.stderr
        assert f'subject "{source}-value" version 2 rule "broken"' in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert "register the fixed ruleSet" in done.stderr and "`contract_rules: ignore`" in done.stderr
    assert "created" not in run.stderr  # stopped before it touched Kafka


@pytest.mark.slow
def test_sigkills_midstream_route_every_payment_exactly_once_with_its_contract_headers(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path) -> None:
    n, partitions, held = 30_000, 3, 20_000
    source, subject = setup(kafka, registry_url, unique_name, 6_000, partitions=partitions)
    pipeline = write_pipeline(tmp_path, unique_name, source, commit={"every_records": 2000, "every_ms": 300})
    offsets = Offsets(kafka, f"sentinel-{unique_name}", source, partitions)
    kills_done = threading.Event()

    def more() -> None:  # payments keep arriving during the kills; the last ones only after them
        for first in range(6_000, n, 2_000):
            if first >= held:
                kills_done.wait()
            time.sleep(0.3)
            produce_indexed(kafka, source, range(first, first + 2_000), subject.value)

    producing = threading.Thread(target=more, daemon=True)
    producing.start()
    try:
        for progress in (1, 4_000):
            sentinel = start(pipeline, kafka, registry_url, "--instance-id", "slot-0", "--workers", "1")
            try:
                wait_until(lambda: records_in(sentinel, unique_name) >= progress, timeout=90, interval=0.05)
                assert sentinel.process.poll() is None, sentinel.output
            finally:
                sentinel.kill()
            assert sentinel.process.returncode == -signal.SIGKILL
            assert offsets.end() <= held, "killed while payments were still to come"
        kills_done.set()
        last = start(pipeline, kafka, registry_url, "--instance-id", "slot-0")
        try:
            producing.join(120)
            wait_until(lambda: offsets.committed() == offsets.end() == n, timeout=180, interval=0.2)
        finally:
            assert last.stop(signal.SIGTERM) == 0, last.output
    finally:
        kills_done.set()
        offsets.close()
    assert_routed(kafka, unique_name, source, subject.subject, n)
    assert_kpis(kafka, registry_url, unique_name, n)


# ---------------------------------------------------------------- Protobuf and JSON Schema subjects

PROTO = """syntax = "proto3";
package {package};

message Payment {{
  string id = 1;
  double amount = 2;
  string currency = 3;
}}
"""
JSON_PAYMENT = {"type": "object", "properties": {
    "id": {"type": "string"}, "amount": {"type": "number", "confluent:tags": ["MONEY"]}, "currency": {"type": "string"},
}, "required": ["id", "amount", "currency"]}  # fmt: skip
SMALL_RULES = [V1_RULES[0], rule("currency", "message.currency in ['EUR', 'USD']"),
               rule("cap", "name == 'amount' ; value < 10000.0", type="CEL_FIELD")]  # no tags: every field, guarded


def small_payment(i: int) -> dict[str, Any]:
    return {"id": f"p-{i}", "amount": -1.5 if i % 4 == 1 else 20_000.5 if i % 6 == 5 else 10.5,
            "currency": "GBP" if i % 5 == 2 else "EUR"}


def protobuf_serializer(client: SchemaRegistryClient, source: str, package: str) -> Any:
    """A ProtobufSerializer of the payment message, writing with the id of the subject's version that has
    the rules: the first serializer registers the message, the rules are registered on its text as a new
    version, and a serializer that does not register finds that newest version."""
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
    from google.protobuf import message_factory

    from governance.protobuf import parse_schema

    schema = parse_schema(PROTO.format(package=package), f"{package}/payment.proto")
    cls = message_factory.GetMessageClass(schema.pool.FindMessageTypeByName(f"{package}.Payment"))
    context = SerializationContext(source, MessageField.VALUE)
    ProtobufSerializer(cls, client)(cls(**small_payment(0)), context)
    registered = client.get_latest_version(f"{source}-value").schema
    client.register_schema(f"{source}-value", Schema(registered.schema_str, "PROTOBUF", registered.references,
                                                     rule_set=RuleSet(None, SMALL_RULES)))
    serialize = ProtobufSerializer(cls, client, conf={"auto.register.schemas": False})
    return lambda record: serialize(cls(**record), context)


def json_schema_serializer(client: SchemaRegistryClient, source: str) -> Any:
    from confluent_kafka.schema_registry.json_schema import JSONSerializer

    schema = Schema(json.dumps(JSON_PAYMENT), "JSON", rule_set=RuleSet(None, SMALL_RULES))
    client.register_schema(f"{source}-value", schema)
    serialize = JSONSerializer(schema, client, conf={"auto.register.schemas": False})
    context = SerializationContext(source, MessageField.VALUE)
    return lambda record: serialize(record, context)


@pytest.mark.parametrize("value_format", ["protobuf", "json_schema"])
def test_a_protobuf_and_a_json_schema_subjects_contract_is_enforced_too(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path, value_format: str) -> None:
    n = 60
    source = f"{unique_name}-in"
    create_topic(kafka, source)
    client = SchemaRegistryClient({"url": registry_url})
    serialize = (protobuf_serializer(client, source, "p" + unique_name.rsplit("-", 1)[-1])
                 if value_format == "protobuf" else json_schema_serializer(client, source))
    produce_indexed(kafka, source, range(n), lambda i: serialize(small_payment(i)))
    path = tmp_path / f"{unique_name}.yml"
    path.write_text(yaml.safe_dump({"name": unique_name, "source": source, "value_format": value_format}))
    sentinel = Sentinel(path, kafka, registry_url, "--idle-exit", "3", "--workers", "0")
    assert sentinel.process.wait(180) == 0, sentinel.output

    def broken(i: int) -> list[str]:
        p = small_payment(i)
        return [name for name, bad in (("positive", p["amount"] <= 0), ("currency", p["currency"] != "EUR"),
                                       ("cap", p["amount"] >= 10_000)) if bad]

    version = 2 if value_format == "protobuf" else 1
    assert f"v{version}    [critical] contract:cap (CEL_FIELD, WRITE, onFailure DLQ): name == 'amount'" in sentinel.output
    invalid = [i for i in range(n) if broken(i)]
    valid_out, dlq_out = (consume_all(kafka, f"{source}-valid", n - len(invalid), group=f"{unique_name}-v"),
                          consume_all(kafka, f"{source}-dlq", len(invalid), group=f"{unique_name}-d"))
    assert sorted(int(m.key()[1:]) for m in valid_out) == [i for i in range(n) if not broken(i)]
    assert sorted(int(m.key()[1:]) for m in dlq_out) == invalid
    for m in dlq_out:
        dead, rules = dead_letter(m.headers() or []), broken(int(m.key()[1:]))
        assert dead.rules == [f"contract:{r}" for r in rules]
        first = next(r for r in SMALL_RULES if r.name == rules[0])
        assert dead.contract == ContractBreach(first.name, "WRITE", f"{source}-value",
                                               first.doc or f"Rule expr failed: {first.expr}")
    assert f"v{version}    [critical] contract:positive (CEL, WRITE, onFailure DLQ): message.amount > 0.0" in sentinel.output


def test_a_protobuf_schemas_references_reach_the_contract_so_cel_field_walks_imported_messages() -> None:
    from protobuf_orders import order_files

    files = order_files("refs")
    rule_set = {"domainRules": [{"name": "zip", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
                                 "expr": "name == 'zip' ; size(value) == 5", "onFailure": "DLQ"}]}
    registered = {"schema": files.order, "schemaType": "PROTOBUF", "ruleSet": rule_set}
    contract = version_contract("refs-value", 1, registered, "enforce", {files.address_path: files.address})
    assert contract is not None
    address = {"street": "s", "city": "c", "country": "DE"}
    records = [{"orderId": "o", "shippingAddress": {**address, "zip": zip_code}} for zip_code in ("10115", "!!")]
    failures, _ = contract.check(records)
    assert [[f.rule for f in failed] for failed in failures] == [[], ["contract:zip"]]


def test_a_protobuf_record_is_walked_as_the_message_its_index_list_names() -> None:
    from protobuf_orders import order_files

    from governance.protobuf import encode_indexes

    files = order_files("msgs")
    rule_set = {"domainRules": [{"name": "refund", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
                                 "expr": "name == 'amountCents' ; value > 0", "onFailure": "DLQ"}]}
    registered = {"schema": files.order, "schemaType": "PROTOBUF", "ruleSet": rule_set}
    contracts = WriterContracts("msgs-value", "enforce", lambda _: (1, registered, {files.address_path: files.address}),
                                protobuf=True)
    header = b"\x00" + (5).to_bytes(4, "big")
    refund, order = header + encode_indexes([1]) + b"payload", header + b"\x00" + b"payload"
    assert [contracts.key(v) for v in (refund, order)] == [(5, (1,)), (5, (0,))]
    checked = contracts.check([{"orderId": "o", "amountCents": -5}] * 2, [refund, order])
    assert checked is not None
    failures, breaches = checked
    assert [[f.rule for f in failed] for failed in failures] == [["contract:refund"], []]  # an Order has no amountCents
    assert breaches[0] is not None and breaches[0].name == "refund"
