"""The demo's truth: what each kind of generated record is, where it must land, and a
report that says MISMATCH when a record landed anywhere else."""

from __future__ import annotations

import io
import json
import random
import re
import struct
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from google.protobuf import json_format, message_factory

from governance.demo.generator import (Kind, Outcome, Stream, order, order_kinds, payment, payment_kinds, return_kinds,
                                       shipment_kinds)
from governance.demo.live import LiveResult, Landed, compare, report
from governance.formats import format_for
from governance.json_schema import JsonBodyError, JsonSchemaViolation
from governance.protobuf import Decoder, ProtobufDecodeError, encode_indexes, find_message, parse_schema
from governance.sentinel.pipeline import load_pipeline

RULES = Path(__file__).resolve().parents[2] / "rules"
SCHEMAS = RULES.parent / "schemas"


def test_an_outcome_matches_only_its_destination_stage_and_reason() -> None:
    rule = Outcome(False, "validate", frozenset({"zip"}))
    assert rule.matches(False, "validate", frozenset({"zip"}), "")
    assert not rule.matches(False, "validate", frozenset({"zip", "total"}), "")
    assert not rule.matches(True, "", frozenset(), "")
    poison = Outcome(False, "deserialize", message="unknown schema id")
    assert poison.matches(False, "deserialize", frozenset(), "unknown schema id 7: the registry has no such schema")
    assert not poison.matches(False, "validate", frozenset(), "unknown schema id 7")
    assert Outcome(True).matches(True, "", frozenset(), "")
    assert not Outcome(True).matches(False, "deserialize", frozenset(), "")


def test_bad_kinds_name_the_rule_of_the_pipeline_that_catches_them() -> None:
    kinds, skipped = order_kinds(load_pipeline(RULES / "orders.yml", check_rules=False), None)
    by_label = {k.label: k for k in kinds}
    assert by_label["malformed zip code"].outcome.rules == {
        "expect_column_values_to_match_regex(shippingAddress.zip)"}
    assert skipped == ["wrong subject"]  # no serializer for another subject's schema was given
    assert 0.03 < sum(k.share for k in kinds[1:]) < 0.08


def test_a_kind_whose_rule_the_pipeline_lacks_is_left_out(tmp_path: Path) -> None:
    text = (RULES / "transactions.yml").read_text().replace("column: currency", "column: merchant")
    (tmp_path / "transactions.yml").write_text(text)
    kinds, skipped = payment_kinds(load_pipeline(tmp_path / "transactions.yml", check_rules=False))
    assert "malformed currency" in skipped
    assert all("currency" not in k.label for k in kinds)


def test_valid_records_of_each_stream_pass_the_shipped_rules_bounds() -> None:
    rng = random.Random(1)
    for _ in range(500):
        o, p = order(rng, 1_764_000_000.0), payment(rng, 1_764_000_000.0)
        assert o["totalCents"] >= 0 and len(o["shippingAddress"]["zip"]) >= 3
        assert 0 <= p["amount"] <= 1_000_000 and len(p["currency"]) == 3


def test_a_record_that_landed_elsewhere_or_nowhere_is_a_mismatch_with_examples() -> None:
    pipeline = load_pipeline(RULES / "orders.yml", check_rules=False)
    good = Kind("valid orders", 1.0, order)
    zip_rule = Kind("malformed zip code", 0.02, order, Outcome(False, "validate", frozenset({"zip-rule"}), why="rule zip-rule"))
    stream = Stream(pipeline, 10.0, [good, zip_rule])
    stream.tally.generated = 3
    landed = Landed(valid={"orders": 2}, dlq={"orders": 0})
    landed.outcomes = {0: (True, "", frozenset(), ""), 1: (True, "", frozenset(), "")}  # the bad one passed
    results = compare([stream], {0: (stream, good), 1: (stream, zip_rule), 2: (stream, good)}, landed)
    (result,) = results
    assert not result.ok
    assert [(k.written, k.as_expected) for k in result.kinds] == [(2, 1), (1, 0)]
    out = io.StringIO()
    report(LiveResult("r", 1.0, results, 0, 0, True, []), out)
    text = out.getvalue()
    assert "orders: written 3 = 2 valid + 0 to the DLQ  MISMATCH" in text
    assert "record 1: on the valid topic" in text and "record 2: not found on the valid topic or the DLQ" in text


def shipment_encoder(schema_id: int = 7) -> tuple[Callable[[dict], bytes], Decoder]:
    """The seed's Shipment in Confluent's framing (magic byte, id, index list [0]), and our decoder for it."""
    schema = parse_schema((SCHEMAS / "shipments-value.proto").read_text(), "shipments-value.proto")
    cls = message_factory.GetMessageClass(find_message(schema))
    head = b"\x00" + schema_id.to_bytes(4, "big")
    return (lambda value: head + encode_indexes([0]) + json_format.ParseDict(value, cls()).SerializeToString(),
            Decoder(schema))


def test_shipment_kinds_decode_as_their_outcome_says_with_the_protobuf_decoder() -> None:
    encode, decoder = shipment_encoder()
    kinds, skipped = shipment_kinds(load_pipeline(RULES / "shipments.yml", check_rules=False), encode)
    assert skipped == []
    by_label = {k.label: k for k in kinds}
    assert by_label["parcel.weightGrams out of range (over 31.5 kg)"].outcome.rules == {
        "expect_column_values_to_be_between(parcel.weightGrams)"}
    assert by_label["trackingUrl absent"].warning == "expect_column_values_to_not_be_null(trackingUrl)"
    assert 0.03 < sum(k.share for k in kinds if not k.outcome.valid) < 0.08
    rng = random.Random(3)
    for kind in kinds:
        for _ in range(50):
            value = kind.make(rng, 1_764_000_000.5)
            body = (encode(value) if isinstance(value, dict) else value)[5:]
            if kind.outcome.stage == "deserialize":
                if value[:1] != b"\x00":
                    continue  # the sentinel's framing check catches it before the decoder
                with pytest.raises(ProtobufDecodeError, match=re.escape(kind.outcome.message)):
                    decoder.decode(body)
                continue
            name, record = decoder.decode(body)
            assert name == "com.example.logistics.Shipment"
            assert record["shippedAt"] == datetime(2025, 11, 24, 16, 0, 0, 500000, tzinfo=timezone.utc)
            weight, carrier = record["parcel"]["weightGrams"], record["carrier"]
            country = record["destination"]["country"]
            if kind.outcome.valid:
                assert 1 <= weight <= 31_500 and carrier in {"DHL", "DPD", "UPS", "POST"}
                assert re.fullmatch(r"[A-Z]{2}", country) and re.fullmatch(r"sh-[0-9a-f]{12}", record["shipmentId"])
                assert (record["trackingUrl"] is None) == bool(kind.warning)
            else:
                assert weight > 31_500 or carrier == "CARRIER_UNSPECIFIED" or not re.fullmatch(r"[A-Z]{2}", country)


def test_return_kinds_are_accepted_or_refused_by_the_json_schema_as_their_outcome_says() -> None:
    """Values framed as confluent-kafka's JSONSerializer does (magic byte, id, UTF-8 JSON), read by the format's
    decoder, which checks each against returns-value.json (its `$ref` to the Money definition included)."""
    head = b"\x00" + struct.pack(">I", 7)
    encode = lambda value: head + json.dumps(value).encode()  # noqa: E731
    other_subject = lambda rng, now: b"\x00" + struct.pack(">I", 8) + b"\x02\x10u-0001"  # noqa: E731
    kinds, skipped = return_kinds(load_pipeline(RULES / "returns.yml", check_rules=False), encode, other_subject)
    assert skipped == []
    by_label = {k.label: k for k in kinds}
    assert by_label["customer.email not an address (e.g. `n/a`)"].outcome.rules == {
        "expect_column_values_to_match_regex(customer.email)"}
    assert by_label["comment is null"].warning == "expect_column_values_to_not_be_null(comment)"
    assert {k.outcome.message for k in kinds if k.outcome.stage == "deserialize"} == {
        "is not JSON", "registered under", "refuses the value at $.refund.amountCents"}
    assert 0.03 < sum(k.share for k in kinds if not k.outcome.valid) < 0.08
    read = format_for("JSON").decoder((SCHEMAS / "returns-value.json").read_text())
    rng = random.Random(5)
    for kind in kinds:
        for _ in range(50):
            value = kind.make(rng, 1_764_000_000.5)
            framed = encode(value) if isinstance(value, dict) else value
            if framed[:5] != head:
                assert kind.outcome.message == "registered under"  # the sentinel's subject check refuses the id
                continue
            if kind.outcome.stage == "deserialize":
                with pytest.raises((JsonBodyError, JsonSchemaViolation)) as refused:
                    read(io.BytesIO(framed[5:]))
                if isinstance(refused.value, JsonSchemaViolation):
                    assert f"refuses the value at {refused.value.path}" == kind.outcome.message
                else:
                    assert kind.outcome.message in refused.value.reason
                continue
            record = read(io.BytesIO(framed[5:]))
            assert record["requestedAt"] == "2025-11-24T16:00:00.500000Z"
            cents, email = record["refund"]["amountCents"], record["customer"]["email"]
            if kind.outcome.valid:
                assert 1 <= cents <= 500_000 and re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", email)
                assert re.fullmatch(r"r-[0-9a-f]{12}", record["returnId"]) and record["orderId"]
                assert (record["comment"] is None) == bool(kind.warning)
            else:
                assert not 1 <= cents <= 500_000 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", email)
