"""`governance sentinel run` end to end: the real CLI in a child process, the real
broker, the stack's registry, Great Expectations rules from rules/orders.yml."""

from __future__ import annotations

import io
import json
import signal
import socket
import struct
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka import Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import consume_all, create_topic
from sentinel_helpers import (
    kpi_records,
    COUPON_RULE,
    COUNTRY_RULE,
    GOVERNANCE,
    ORDER_SCHEMA,
    TOTAL_RULE,
    ZIP_RULE,
    Sentinel,
    failed_rules_of,
    order,
    pipeline_file,
    produce_orders,
    scrape,
    wait_until,
)

from governance.kafka import KafkaSettings
from governance.sentinel.pipeline import load_pipeline
from governance.sentinel.service import Preparation, RunOptions, Sentinel as SentinelService

N = 100_000
POISON_EVERY = 10_007


def is_poison(i: int) -> bool:
    return i % POISON_EVERY == 5


@dataclass
class Truth:
    records_in: int = 0
    valid: int = 0
    invalid: int = 0
    schema_failures: int = 0
    warning_records: int = 0
    rule_failures: Counter[str] | None = None


def truth(n: int) -> Truth:
    t = Truth(rule_failures=Counter())
    for i in range(n):
        t.records_in += 1
        if is_poison(i):
            t.invalid += 1
            t.schema_failures += 1
            continue
        failed = failed_rules_of(i)
        warned = i % 13 == 0
        t.rule_failures.update(failed + ([COUPON_RULE] if warned else []))
        if failed:
            t.invalid += 1
        else:
            t.valid += 1
            t.warning_records += warned
    return t


@dataclass
class Run:
    name: str
    source: str
    sentinel: Sentinel
    exit_code: int
    metrics: dict
    source_messages: dict[bytes, Message]
    valid: list[Message]
    dlq: list[Message]
    kpis: list[dict]


@pytest.fixture(scope="module")
def orders_run(kafka: KafkaSettings, registry_url: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """100,000 orders (some invalid, some poison) through one sentinel judging on two worker
    processes besides its own, scraped while running and then stopped with SIGTERM; every
    output topic read back."""
    name = f"orders-e2e-{time.time_ns() % 10**8}"
    source = f"{name}-raw"
    create_topic(kafka, source, partitions=3)
    produce_orders(kafka, registry_url, source, range(N), poison={i: b"\x07not-avro" for i in range(N) if is_poison(i)})
    path = pipeline_file(tmp_path_factory.mktemp("orders"), name, source,
                         window={"seconds": 2, "expectations": [{"expectation": "expect_column_mean_to_be_between",
                                                                  "column": "totalCents", "min_value": 100}]},
                         commit={"every_records": 5000, "every_ms": 500})
    sentinel = Sentinel(path, kafka, registry_url, "--metrics-port", "0", "--workers", "2")
    url = sentinel.metrics_url()
    key = ("sentinel_records_in_total", frozenset({("pipeline", name)}))
    wait_until(lambda: scrape(url).get(key) == N, timeout=240)
    metrics = scrape(url)
    exit_code = sentinel.stop(signal.SIGTERM)

    expected = truth(N)
    source_messages = {m.key(): m for m in consume_all(kafka, source, N, group=f"{name}-src")}
    valid = consume_all(kafka, f"{source}-valid", expected.valid, group=f"{name}-v")
    dlq = consume_all(kafka, f"{source}-dlq", expected.invalid, group=f"{name}-d")
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    kpi_topic = f"{name}-kpi"
    kpis = kpi_records(kafka, kpi_topic, f"{name}-k",
                       lambda v: deserializer(v, SerializationContext(kpi_topic, MessageField.VALUE)))
    return Run(name, source, sentinel, exit_code, metrics, source_messages, valid, dlq, kpis)


@pytest.mark.slow  # the 100,000 records of orders_run
def test_startup_prints_the_pipeline_topics_rules_and_connection(orders_run: Run, kafka: KafkaSettings) -> None:
    out = orders_run.sentinel.output
    assert f"sentinel {orders_run.name} (" in out
    assert kafka.bootstrap_servers in out
    assert f"valid -> {orders_run.source}-valid, invalid -> {orders_run.source}-dlq" in out
    assert f"KPIs -> {orders_run.name}-kpi (schema id" in out
    assert "[critical] expect_column_values_to_match_regex(column='shippingAddress.zip'" in out
    assert "[warning] expect_column_value_lengths_to_be_between(column='couponCode'" in out
    assert "[window] expect_column_mean_to_be_between(column='totalCents'" in out
    assert "split between this process and 2 worker processes" in out


@pytest.mark.slow  # the 100,000 records of orders_run
def test_sigterm_commits_and_exits_0_with_a_summary(orders_run: Run) -> None:
    assert orders_run.exit_code == 0
    expected = truth(N)
    assert (f"stopped after {N:,} records ({expected.valid:,} valid, {expected.invalid:,} to the DLQ)"
            in orders_run.sentinel.output)


@pytest.mark.slow  # the 100,000 records of orders_run
def test_100k_orders_land_exactly_once_in_valid_or_dlq(orders_run: Run) -> None:
    valid_keys = [m.key() for m in orders_run.valid]
    dlq_keys = [m.key() for m in orders_run.dlq]
    assert len(valid_keys) == len(set(valid_keys)) and len(dlq_keys) == len(set(dlq_keys))
    assert set(valid_keys) == {f"k{i}".encode() for i in range(N) if not is_poison(i) and not failed_rules_of(i)}
    assert set(dlq_keys) == {f"k{i}".encode() for i in range(N) if is_poison(i) or failed_rules_of(i)}


@pytest.mark.slow  # the 100,000 records of orders_run
def test_valid_records_keep_key_value_headers_and_timestamp(orders_run: Run) -> None:
    for m in orders_run.valid:
        original = orders_run.source_messages[m.key()]
        assert m.value() == original.value()
        assert m.headers() == original.headers()
        assert m.timestamp() == original.timestamp()


@pytest.mark.slow  # the 100,000 records of orders_run
def test_dlq_records_carry_their_source_position_stage_and_failed_rules(orders_run: Run) -> None:
    for m in orders_run.dlq:
        i = int(m.key()[1:])
        original = orders_run.source_messages[m.key()]
        headers = dict(m.headers())
        assert m.value() == original.value() and m.timestamp() == original.timestamp()
        assert headers["seq"] == str(i).encode()
        assert headers["__connect.errors.topic"] == orders_run.source.encode()
        assert headers["__connect.errors.partition"] == str(original.partition()).encode()
        assert headers["__connect.errors.offset"] == str(original.offset()).encode()
        assert headers["__sentinel.pipeline"] == orders_run.name.encode()
        if is_poison(i):
            assert headers["__connect.errors.stage"] == b"deserialize"
            assert b"magic byte is 7" in headers["__connect.errors.exception.message"]
            assert headers["__connect.errors.exception.class.name"] == b"SerializationError"
        else:
            assert headers["__connect.errors.stage"] == b"validate"
            failed = json.loads(headers["__sentinel.failed.rules"])
            assert [f["rule"] for f in failed] == failed_rules_of(i)
            assert all(f["message"].startswith(f["rule"].split("(")[0]) for f in failed)


@pytest.mark.slow  # the 100,000 records of orders_run
def test_kpi_topic_windows_add_up_to_the_true_counts(orders_run: Run) -> None:
    kpis, expected = orders_run.kpis, truth(N)
    assert len({k["instance"] for k in kpis}) == 1
    windows = [k["window"] for k in kpis]
    assert sum(w["records_in"] for w in windows) == N
    assert sum(w["valid"] for w in windows) == expected.valid
    assert sum(w["invalid"] for w in windows) == expected.invalid
    assert sum(w["schema_failures"] for w in windows) == expected.schema_failures
    assert sum(w["warning_records"] for w in windows) == expected.warning_records
    for rule in (ZIP_RULE, TOTAL_RULE, COUNTRY_RULE, COUPON_RULE):
        assert sum(w["rule_failures"][rule] for w in windows) == expected.rule_failures[rule], rule
    final = kpis[-1]
    assert final["final"] and final["total"]["records_in"] == N and final["total"]["invalid"] == expected.invalid
    assert final["total"]["schema_compliance_rate"] == pytest.approx((N - expected.schema_failures) / N)
    assert final["total"]["dlq_rate"] == pytest.approx(expected.invalid / N)
    for k in kpis:
        assert (k["window_end"] - k["window_start"]).total_seconds() == 2
        w = k["window"]
        assert w["invalid_records_per_minute"] == pytest.approx(w["invalid"] * 30)
        if w["records_in"]:
            assert [e["rule"] for e in k["window_expectations"]] == ["expect_column_mean_to_be_between(totalCents)"]
            assert k["window_expectations"][0]["success"] is True


@pytest.mark.slow  # the 100,000 records of orders_run
def test_metrics_agree_with_the_true_counts(orders_run: Run) -> None:
    m, expected, p = orders_run.metrics, truth(N), ("pipeline", orders_run.name)

    def value(name: str, **labels: str) -> float:
        return m[(name, frozenset({p, *labels.items()}))]

    assert value("sentinel_records_in_total") == N
    assert value("sentinel_records_total", outcome="valid") == expected.valid
    assert value("sentinel_records_total", outcome="invalid") == expected.invalid
    assert value("sentinel_schema_failures_total") == expected.schema_failures
    assert value("sentinel_warning_records_total") == expected.warning_records
    assert value("sentinel_rule_failures_total", rule=ZIP_RULE, severity="critical") == expected.rule_failures[ZIP_RULE]
    assert value("sentinel_rule_failures_total", rule=COUPON_RULE, severity="warning") == expected.rule_failures[COUPON_RULE]
    assert value("sentinel_consumer_lag") == 0
    assert value("sentinel_transactions_total", result="committed") >= N / 5000


# ----------------------------------------------------------------- poison


def test_every_kind_of_avro_poison_goes_to_the_dlq_at_stage_deserialize_and_the_sentinel_keeps_going(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path) -> None:
    source = f"{unique_name}-raw"
    create_topic(kafka, source, partitions=1)
    client = SchemaRegistryClient({"url": registry_url})
    context = SerializationContext(source, MessageField.VALUE)
    good = AvroSerializer(client, ORDER_SCHEMA)(order(1), context)
    other_subject = AvroSerializer(client, '{"type": "record", "name": "Other", "fields": [{"name": "x", "type": "long"}]}')(
        {"x": 1}, SerializationContext(f"{unique_name}-other", MessageField.VALUE))
    poison: dict[str, bytes | None] = {
        "wrong-magic": b"\x01" + good[1:],
        "unknown-id": b"\x00" + struct.pack(">I", 987_654) + good[5:],
        "other-subject": other_subject,
        "truncated": good[: len(good) // 2],
        "random": bytes(range(256))[::7] * 3,
        "empty": b"",
        "null": None,
        "trailing-garbage": good + b"\xff\xff",
    }
    producer = Producer(kafka.client_config())
    for key, value in poison.items():
        producer.produce(source, value, key.encode())
    producer.produce(source, good, b"good-after-poison")
    producer.flush(30)
    path = pipeline_file(tmp_path, unique_name, source)
    sentinel = Sentinel(path, kafka, registry_url, "--idle-exit", "3")
    assert sentinel.process.wait(120) == 0, sentinel.output

    dlq = consume_all(kafka, f"{source}-dlq", len(poison), group=f"{unique_name}-d")
    valid = consume_all(kafka, f"{source}-valid", 1, group=f"{unique_name}-v")
    assert [m.key() for m in valid] == [b"good-after-poison"]
    reasons = {m.key().decode(): dict(m.headers()) for m in dlq}
    assert sorted(reasons) == sorted(poison)
    for key, headers in reasons.items():
        assert headers["__connect.errors.stage"] == b"deserialize", key
        assert headers["__connect.errors.exception.message"], key
    assert b"magic byte is 1" in reasons["wrong-magic"]["__connect.errors.exception.message"]
    assert b"unknown schema id 987654" in reasons["unknown-id"]["__connect.errors.exception.message"]
    assert f"not under {source}-value".encode() in reasons["other-subject"]["__connect.errors.exception.message"]
    assert b"truncated" in reasons["truncated"]["__connect.errors.exception.message"]
    assert b"tombstone" in reasons["null"]["__connect.errors.exception.message"]
    assert b"trailing" in reasons["trailing-garbage"]["__connect.errors.exception.message"]
    kpis = kpi_records(kafka, f"{unique_name}-kpi", f"{unique_name}-k",
                       lambda v: AvroDeserializer(client)(v, SerializationContext(f"{unique_name}-kpi", MessageField.VALUE)))
    assert sum(k["window"]["records_in"] for k in kpis) == len(poison) + 1
    assert sum(k["window"]["schema_failures"] for k in kpis) == len(poison)
    assert kpis[-1]["total"]["schema_compliance_rate"] == pytest.approx(1 / (len(poison) + 1))


def test_every_kind_of_json_poison_goes_to_the_dlq_at_stage_deserialize(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path) -> None:
    source = f"{unique_name}-raw"
    create_topic(kafka, source, partitions=1)
    poison: dict[str, bytes | None] = {
        "not-utf8": b'{"id": "\xff\xfe"}',
        "deeply-nested": b"[" * 100_000 + b"]" * 100_000,
        "not-json": b"{id: 1",
        "array": b"[1, 2, 3]",
        "empty": b"",
        "null": None,
    }
    producer = Producer(kafka.client_config())
    for key, value in poison.items():
        producer.produce(source, value, key.encode())
    producer.produce(source, b'{"id": "ok"}', b"good")
    producer.produce(source, b'{"id": null}', b"bad")
    producer.flush(30)
    path = tmp_path / "json.yml"
    path.write_text(f"name: {unique_name}\nsource: {source}\nvalue_format: json\n"
                    "expectations:\n  - {expectation: expect_column_values_to_not_be_null, column: id}\n")
    sentinel = Sentinel(path, kafka, registry_url, "--idle-exit", "3")
    assert sentinel.process.wait(120) == 0, sentinel.output
    dlq = {m.key().decode(): dict(m.headers()) for m in consume_all(kafka, f"{source}-dlq", len(poison) + 1, group=f"{unique_name}-d")}
    assert sorted(dlq) == sorted([*poison, "bad"])
    for key in poison:
        assert dlq[key]["__connect.errors.stage"] == b"deserialize", key
    assert dlq["bad"]["__connect.errors.stage"] == b"validate"
    assert b"nested deeper" in dlq["deeply-nested"]["__connect.errors.exception.message"]
    assert b"not UTF-8" in dlq["not-utf8"]["__connect.errors.exception.message"]
    assert [m.key() for m in consume_all(kafka, f"{source}-valid", 1, group=f"{unique_name}-v")] == [b"good"]


# ----------------------------------------------------------------- operations


def test_the_dlq_limit_stops_the_sentinel_with_exit_3_instead_of_flooding_the_dlq(
        kafka: KafkaSettings, unique_name: str, tmp_path: Path) -> None:
    source = f"{unique_name}-raw"
    create_topic(kafka, source, partitions=1)
    path = tmp_path / "limited.yml"
    path.write_text(f"name: {unique_name}\nsource: {source}\nvalue_format: json\nwindow: {{seconds: 1}}\n"
                    "dlq_limit: {ratio: 0.5, windows: 2}\n"
                    "expectations:\n  - {expectation: expect_column_values_to_not_be_null, column: id}\n")
    done = threading.Event()

    def flood() -> None:
        producer = Producer(kafka.client_config())
        while not done.is_set():
            for _ in range(50):
                producer.produce(source, b'{"id": null}')
            producer.flush(10)
            time.sleep(0.05)

    threading.Thread(target=flood, daemon=True).start()
    try:
        sentinel = Sentinel(path, kafka, None)
        code = sentinel.process.wait(120)
    finally:
        done.set()
    assert code == 3, sentinel.output
    assert "more than 50% of records were invalid in 2 windows in a row" in sentinel.output
    assert "stopped instead of flooding" in sentinel.output and "hint:" in sentinel.output
    assert "Traceback" not in sentinel.output


def test_ctrl_c_commits_the_open_transaction_and_exits_0(kafka: KafkaSettings, unique_name: str, tmp_path: Path) -> None:
    source = f"{unique_name}-raw"
    create_topic(kafka, source, partitions=1)
    producer = Producer(kafka.client_config())
    for i in range(10):
        producer.produce(source, json.dumps({"id": i}).encode(), str(i).encode())
    producer.flush(30)
    path = tmp_path / "p.yml"
    path.write_text(f"name: {unique_name}\nsource: {source}\nvalue_format: json\ncommit: {{every_records: 100000, every_ms: 600000}}\n")
    sentinel = Sentinel(path, kafka, None)
    sentinel.wait_for(rf"assigned {source}\[0\]")
    time.sleep(2)  # ten records are read at once; nothing commits before the signal
    assert sentinel.stop(signal.SIGINT) == 0, sentinel.output
    assert "SIGINT: committing the open transaction" in sentinel.output
    assert len(consume_all(kafka, f"{source}-valid", 10, group=f"{unique_name}-v")) == 10


def test_a_sentinel_whose_rules_all_compile_routes_without_great_expectations_in_its_process(
        kafka: KafkaSettings, unique_name: str, tmp_path: Path) -> None:
    """GX and pandas cost about 200 MB: they check the rules in a child process and stay out of the router."""
    source = f"{unique_name}-raw"
    create_topic(kafka, source, partitions=1)
    producer = Producer(kafka.client_config())
    for i in range(20):
        producer.produce(source, json.dumps({"id": i, "amount": -1 if i % 4 == 0 else i}).encode(), str(i).encode())
    producer.flush(30)
    path = tmp_path / "p.yml"
    path.write_text(f"name: {unique_name}\nsource: {source}\nvalue_format: json\ncommit: {{every_ms: 200}}\n"
                    "expectations:\n  - expectation: expect_column_values_to_be_between\n"
                    "    column: amount\n    min_value: 0\n    max_value: 100\n")
    sentinel = Sentinel(path, kafka, None)
    assert len(consume_all(kafka, f"{source}-valid", 15, group=f"{unique_name}-v")) == 15
    assert len(consume_all(kafka, f"{source}-dlq", 5, group=f"{unique_name}-d")) == 5
    libraries = Path(f"/proc/{sentinel.process.pid}/maps").read_text()
    assert sentinel.stop(signal.SIGTERM) == 0, sentinel.output
    assert "pandas" not in libraries, "the routing process loaded pandas (and so Great Expectations)"


def test_a_missing_source_topic_is_a_clear_error(kafka: KafkaSettings, unique_name: str, tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text(f"name: {unique_name}\nsource: {unique_name}-nope\nvalue_format: json\n")
    sentinel = Sentinel(path, kafka, None)
    assert sentinel.process.wait(60) == 2
    assert f"source topic {unique_name}-nope does not exist" in sentinel.output and "hint:" in sentinel.output
    assert "Traceback" not in sentinel.output


def closed_port() -> int:
    """A port nothing listens on (it was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_bootstrap_address_nothing_listens_on_is_reported_within_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It used to wait out a 30 s metadata timeout and say `Broker transport failure`."""
    monkeypatch.setenv("GOVERNANCE_STACK_DIR", str(tmp_path / "no-stack"))
    path = tmp_path / "p.yml"
    path.write_text("name: lonely\nsource: lonely-in\nvalue_format: json\n")
    address = f"127.0.0.1:{closed_port()}"
    began = time.monotonic()
    done = subprocess.run([*GOVERNANCE, "sentinel", "run", str(path), "-b", address],
                          capture_output=True, text=True, timeout=120)
    took = time.monotonic() - began
    assert done.returncode == 75, "EX_TEMPFAIL: a supervisor restarts it later; 2 would mean a mistake to fix\n" + done.stderr
    assert (f"error: Kafka at {address} (from --bootstrap-servers) did not answer: nothing listens at {address} "
            "(connection refused).") in done.stderr
    assert "hint: start the brokers (`governance stack up` starts a local one), or check --bootstrap-servers" \
        in done.stderr
    assert "Traceback" not in done.stderr
    print(f"sentinel run against a closed port: exit 75 after {took:.1f} s")
    assert took < 25, "reported within seconds, not after the metadata timeout (30 s)"


def test_a_second_sentinel_on_the_files_metrics_port_says_which_port_and_what_to_do(
    kafka: KafkaSettings, unique_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERNANCE_STACK_DIR", str(tmp_path / "no-stack"))
    monkeypatch.delenv("GOVERNANCE_REGISTRY_URL", raising=False)
    source = f"{unique_name}-in"
    create_topic(kafka, source, partitions=2)
    port = closed_port()
    path = tmp_path / "p.yml"
    path.write_text(f"name: {unique_name}\nsource: {source}\nvalue_format: json\nmetrics_port: {port}\n")
    first = Sentinel(path, kafka, None, "--workers", "0", "--metrics-host", "127.0.0.1")
    try:
        first.wait_for(rf"metrics\s+http://127\.0\.0\.1:{port}/metrics")
        second = Sentinel(path, kafka, None, "--workers", "1", "--metrics-host", "127.0.0.1")
        assert second.process.wait(120) == 2, second.output
        assert first.process.poll() is None, first.output
    finally:
        assert first.stop(signal.SIGTERM) == 0, first.output
    said = second.output
    assert (f"error: cannot serve /metrics on 127.0.0.1:{port} (metrics_port in {path}): Address already in use "
            "by another process on this host (a second sentinel?)") in said, said
    assert ("hint: give each process on a host its own port with --metrics-port PORT, or --metrics-port 0 for a "
            "free one") in said
    assert "Traceback" not in said
    ok = Sentinel(path, kafka, None, "--workers", "0", "--metrics-port", "0", "--idle-exit", "1")
    assert ok.process.wait(120) == 0, ok.output


def test_a_bad_pipeline_file_names_file_and_line_and_exits_2(kafka: KafkaSettings, tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("name: bad\nsource: t\nexpectations:\n  - expectation: expect_column_values_to_be_betwen\n    column: a\n")
    for command in (["sentinel", "run", str(path), "-b", kafka.bootstrap_servers], ["sentinel", "check", str(path)]):
        done = subprocess.run([*GOVERNANCE, *command], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert f"{path}, line 4:" in done.stderr and "expect_column_values_to_be_betwen" in done.stderr
        assert "Traceback" not in done.stderr


def test_a_json_pipeline_without_a_registry_writes_json_kpi_records_that_sum_to_the_topics(
    kafka: KafkaSettings, unique_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERNANCE_STACK_DIR", str(tmp_path / "no-stack"))  # no registry to fall back on
    monkeypatch.delenv("GOVERNANCE_REGISTRY_URL", raising=False)
    source = f"{unique_name}-raw"
    create_topic(kafka, source, partitions=1)
    producer = Producer(kafka.client_config())
    for i in range(30):
        producer.produce(source, json.dumps({"id": i if i % 10 else None}).encode(), str(i).encode())
    producer.flush(30)
    path = tmp_path / "p.yml"
    path.write_text(f"name: {unique_name}\nsource: {source}\nvalue_format: json\n"
                    "expectations:\n  - {expectation: expect_column_values_to_not_be_null, column: id}\n")
    sentinel = Sentinel(path, kafka, None, "--idle-exit", "3")
    assert sentinel.process.wait(120) == 0, sentinel.output
    assert f"KPIs -> {unique_name}-kpi (JSON: no registry for the Avro KPI schema)" in sentinel.output
    kpis = kpi_records(kafka, f"{unique_name}-kpi", f"{unique_name}-k", json.loads)
    assert kpis and all(k["pipeline"] == unique_name for k in kpis)
    assert sum(k["window"]["records_in"] for k in kpis) == 30
    assert sum(k["window"]["invalid"] for k in kpis) == 3
    assert sum(k["window"]["rule_failures"]["expect_column_values_to_not_be_null(id)"] for k in kpis) == 3
    assert kpis[-1]["final"] is True


@pytest.mark.parametrize("compacted, setting, passes", [
    (True, None, True),      # a compacted source: a null value is a delete downstream needs
    (False, None, False),    # elsewhere it is poison, as before
    (True, "dlq", False),    # the pipeline overrides either way
    (False, "pass", True),
])
def test_tombstones_follow_the_source_topics_cleanup_policy_unless_the_pipeline_says(
    kafka: KafkaSettings, unique_name: str, tmp_path: Path, compacted: bool, setting: str | None, passes: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOVERNANCE_STACK_DIR", str(tmp_path / "no-stack"))  # JSON KPI records: no registry
    monkeypatch.delenv("GOVERNANCE_REGISTRY_URL", raising=False)
    source = f"{unique_name}-raw"
    create_topic(kafka, source, partitions=1, config={"cleanup.policy": "compact"} if compacted else None)
    producer = Producer(kafka.client_config())
    producer.produce(source, json.dumps({"id": 1}).encode(), b"a")
    producer.produce(source, None, b"a")  # the delete of key a
    producer.produce(source, json.dumps({"id": 2}).encode(), b"b")
    producer.flush(30)
    path = tmp_path / "p.yml"
    path.write_text(f"name: {unique_name}\nsource: {source}\nvalue_format: json\n"
                    + (f"tombstones: {setting}\n" if setting else ""))
    sentinel = Sentinel(path, kafka, None, "--idle-exit", "3")
    assert sentinel.process.wait(120) == 0, sentinel.output
    valid = consume_all(kafka, f"{source}-valid", 3 if passes else 2, group=f"{unique_name}-v")
    if passes:
        assert f"null values from {source} pass to {source}-valid as deletes" in sentinel.output
        assert [(m.key(), m.value()) for m in valid][1] == (b"a", None)
        kpis = kpi_records(kafka, f"{unique_name}-kpi", f"{unique_name}-k", json.loads)
        assert sum(k["window"]["tombstones"] for k in kpis) == 1
    else:
        assert "null values go to the DLQ (stage deserialize)" in sentinel.output
        assert all(m.value() is not None for m in valid)
        (dead,) = consume_all(kafka, f"{source}-dlq", 1, group=f"{unique_name}-d")
        assert dead.key() == b"a" and dict(dead.headers())["__connect.errors.stage"] == b"deserialize"


def test_building_a_sentinel_talks_to_nothing(tmp_path: Path) -> None:
    """Sentinel.connect does the network set-up; the constructor wires the parts (the router connects in run())."""
    pipeline = load_pipeline(pipeline_file(tmp_path, "offline", "offline-orders"))
    nowhere = KafkaSettings("127.0.0.1:1", source="test")  # nothing listens: any contact would fail at once
    out = io.StringIO()
    built = SentinelService(pipeline, nowhere, RunOptions(registry_url="http://127.0.0.1:1", metrics_port=0),
                            Preparation(None, [], None, frozenset()), out)
    assert built.metrics is None and not built.stopping and out.getvalue() == ""
    built.stop()
    assert built.stopping
