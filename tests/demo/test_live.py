"""`governance demo` runs the whole product live, checks each record against the
generator's truth, ends by itself, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from registry_helpers import http

from governance.stack.cluster import LocalStack

pytestmark = pytest.mark.slow  # the live demo

KIND_LINE = re.compile(r"^    (?P<kind>\S.*?)\s+(?P<written>[\d,]+) written\s+(?P<landed>[\d,]+) (?P<where>(on|in) .*)$")
STREAM_LINE = re.compile(r"^  (?P<pipeline>[\w-]+): written (?P<written>[\d,]+) = (?P<valid>[\d,]+) valid "
                         r"\+ (?P<dlq>[\d,]+) to the DLQ  (?P<mark>\w+)$")


def number(text: str) -> int:
    return int(text.replace(",", ""))


def governance(*args: str, timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "governance", *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


def test_a_thirty_second_demo_on_the_local_stack_ends_by_itself_with_counts_equal_to_the_generators(
    kafka_stack: LocalStack, tmp_path: Path,
) -> None:
    home = datahub_home(tmp_path)
    result = governance("demo", "--duration", "30", "--records", "100", "--data-dir", str(kafka_stack.data_dir),
                        env=home)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "registered user-activity-value" in out and "1000/1000 read back equal" in out
    assert "    field `email` was added without a default, so records written with version 1 cannot be read by the new " \
        "schema\n" in out
    assert re.search(r"a producer tried to register orders-value .*: refused \(409\): .*field `totalCents` changed type "
                     r"from long to string, so records written with version 1 cannot be read by the new schema\n", out)
    for entry in ("{errorType", "{oldSchema", "compatibility: '", "validateFields", "Schema being registered"):
        assert entry not in out, f"people see only our sentences, not Confluent's entries: {entry}"
    assert "duplicates 0, undelivered 0, breaking schema refused by the registry" in out

    streams = {m["pipeline"]: m for m in map(STREAM_LINE.match, out.splitlines()) if m}
    assert set(streams) == {"orders", "transactions", "user-activity", "shipments", "returns"}
    for name, m in streams.items():
        assert m["mark"] == "OK", name
        assert number(m["written"]) == number(m["valid"]) + number(m["dlq"]) > 0
        assert number(m["dlq"]) > 0, f"{name}: the generator writes bad records to every stream"
    kinds = [m for m in map(KIND_LINE.match, out.splitlines()) if m]
    assert len(kinds) >= 29
    for m in kinds:
        assert m["written"] == m["landed"], m.group(0)
    written = sum(number(m["written"]) for m in streams.values())
    dlq = sum(number(m["dlq"]) for m in streams.values())
    assert 0.02 < dlq / written < 0.10, "about 5% of the records are bad"
    assert sum(number(m["written"]) for m in kinds) == written
    assert re.search(r"\d in the DLQ, rule expect_column_values_to_match_regex\(shippingAddress.zip\)", out)
    assert "in the DLQ, deserialize: unknown schema id" in out
    assert re.search(r"\d in the DLQ, rule expect_column_values_to_be_between\(parcel.weightGrams\)", out)  # Protobuf
    assert "in the DLQ, deserialize: index list names no message" in out
    assert "in the DLQ, deserialize: payload does not parse" in out
    assert re.search(r"\d in the DLQ, rule expect_column_values_to_be_between\(refund.amountCents\)", out)  # JSON Schema
    assert "in the DLQ, deserialize: schema refuses the value" in out
    state = kafka_stack.state()
    assert state is not None and state.console is not None
    assert state.registry is not None  # the demo registered as `schemas register` does, levels included
    assert http("GET", f"{state.registry.url}/config/orders-value") == (200, {"compatibilityLevel": "FULL_TRANSITIVE"})
    for topic in ("orders", "transactions", "user-activity", "shipments", "returns"):  # where a serializer on the valid topic would look
        source = http("GET", f"{state.registry.url}/subjects/{topic}-value/versions/latest")[1]
        status, valid = http("GET", f"{state.registry.url}/subjects/{topic}-valid-value/versions/latest")
        assert status == 200 and valid["id"] == source["id"], (topic, valid)
        assert source.get("schemaType", "AVRO") == {"shipments": "PROTOBUF", "returns": "JSON"}.get(topic, "AVRO"), source
    assert f"Console: {state.console.url}" in out
    for log in Path("build/demo").glob("sentinel-*.log"):
        assert re.search(r"sentinel [\w-]+: stopped after [\d,]+ records", log.read_text()), log
    assert_datahub_lite_holds_health(home, out, state.registry.url)


def datahub_home(tmp_path: Path) -> dict[str, str]:
    """A home of its own, so that the demo's DataHub Lite store is this test's; with the ~/.datahubenv
    that `datahub lite` insists on."""
    (tmp_path / ".datahubenv").write_text("gms:\n  server: http://localhost:8080\n  token: ''\n")
    return {**os.environ, "HOME": str(tmp_path), "DATAHUB_TELEMETRY_ENABLED": "false"}


def assert_datahub_lite_holds_health(home: dict[str, str], out: str, registry_url: str) -> None:
    """After the demo, DataHub Lite answers "how healthy" with DataHub's own reader: the zip rule of
    orders has run events, failing (the generator writes bad zips), on the schema's own field."""
    from datahub.emitter.mce_builder import make_schema_field_urn

    from governance.lineage.build import Sources, build_estate
    from governance.lineage.datahub import Mapper

    found = re.search(r"  (\d+) assertion results of (\d+) sentinel windows from 5 file\(s\) in build/demo/\n", out)
    assert found and int(found[1]) > 0 and int(found[2]) >= 3, out[-3000:]
    assert re.search(rf"  \d+ aspects -> DataHub Lite at {re.escape(home['HOME'])}", out), out[-3000:]

    def lite_get(urn: str, aspect: str) -> dict:
        done = subprocess.run([str(Path(sys.executable).parent / "datahub"), "lite", "get", "--urn", urn, "-a", aspect],
                              capture_output=True, text=True, env=home, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)[aspect]

    mapper = Mapper(build_estate(Sources(Path("schemas"), Path("rules"), Path("lineage"), registry_url)))
    (job,) = [j for j in mapper.estate.jobs if j.name == "orders"]
    (zip_rule,) = [a for a in job.assertions if a.rule == "expect_column_values_to_match_regex(shippingAddress.zip)"]
    urn = mapper.assertion_urn(zip_rule)
    orders = mapper.dataset_urn(zip_rule.dataset)
    published = [r["aspect"]["json"] for r in json.loads(Path("build/lineage.json").read_text())
                 if r["aspectName"] == "assertionRunEvent" and r["entityUrn"] == urn]
    assert any(e["result"]["type"] == "FAILURE" and e["result"]["unexpectedCount"] > 0 for e in published), published
    event = lite_get(urn, "assertionRunEvent")  # the newest window's
    assert event["asserteeUrn"] == orders and event["status"] == "COMPLETE"
    assert (event["runId"], event["timestampMillis"]) == (published[-1]["runId"], published[-1]["timestampMillis"])
    info = lite_get(urn, "assertionInfo")["customAssertion"]
    schema_fields = {make_schema_field_urn(orders, f["fieldPath"]) for f in lite_get(orders, "schemaMetadata")["fields"]}
    assert info["field"] in schema_fields
    assert info["field"].endswith(".shippingAddress.[type=string].zip)"), info["field"]
    checked = subprocess.run([str(Path(sys.executable).parent / "datahub"), "check", "metadata-file",
                              "build/lineage.json"], capture_output=True, text=True, env=home, timeout=300)
    assert checked.returncode == 0 and "all valid" in checked.stdout + checked.stderr, checked.stdout + checked.stderr


def test_ctrl_c_stops_the_generator_and_every_sentinel_cleanly(kafka_stack: LocalStack) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the demo in a terminal of its own, as a user runs it
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a background CI job inherits SIGINT ignored
        os.execv(sys.executable, [sys.executable, "-m", "governance", "demo", "--duration", "120", "--records", "100",
                                  "--data-dir", str(kafka_stack.data_dir)])
    screen = b""
    deadline = time.monotonic() + 180
    interrupted = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            screen += data
        if not interrupted and b"live: 3 of 120 s" in screen:
            os.killpg(os.getpgid(pid), signal.SIGINT)  # what Ctrl-C in the terminal does
            interrupted = True
    _, status = os.waitpid(pid, 0)
    text = screen.decode("utf-8", "replace")
    assert interrupted, text[-2000:]
    assert os.waitstatus_to_exitcode(status) == 130, text[-2000:]
    assert "the stack and console keep running" in text and "Traceback" not in text
    logs = sorted(Path("build/demo").glob("sentinel-*.log"))
    assert len(logs) == 5
    for log in logs:  # each sentinel committed its last transaction and said so
        assert re.search(r"sentinel [\w-]+: stopped after", log.read_text()), log.read_text()[-1000:]
    assert LocalStack(kafka_stack.data_dir).status().running  # type: ignore[union-attr]
