"""The live demo's producers: a clickstream, shop orders and card payments (Avro),
shipments (Protobuf) and returns (JSON Schema) like the seed's, with about 5% bad records
of several kinds, and the truth about each record.

Every record carries two headers, `demo.run` and `demo.seq`, which the sentinel keeps
on the valid topic and the DLQ; the demo reads them back and checks each record landed
where its kind says (`Outcome`). A kind whose rule the pipeline does not have is left
out, so the truth never depends on guessing what the rules would say.
"""

from __future__ import annotations

import random
import struct
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from governance.sentinel.pipeline import Pipeline, Rule

RUN_HEADER = "demo.run"
SEQ_HEADER = "demo.seq"
UNKNOWN_SCHEMA_ID = 2**31 - 1


@dataclass(frozen=True)
class Outcome:
    """Where a record must land: the valid topic, or the DLQ at a stage with a reason."""

    valid: bool
    stage: str = ""
    rules: frozenset[str] = frozenset()
    """Stage `validate`: exactly the critical rules that fail."""
    message: str = ""
    """Stage `deserialize`: text the exception message contains."""
    why: str = ""
    """The reason in words, for the report."""

    def matches(self, valid: bool, stage: str, rules: frozenset[str], message: str) -> bool:
        if valid or self.valid:
            return valid == self.valid
        if stage != self.stage:
            return False
        return rules == self.rules if stage == "validate" else self.message in message


VALID = Outcome(True)


@dataclass(frozen=True)
class Kind:
    """One kind of record a stream writes: how to make its value, how often, and where it must land."""

    label: str
    share: float
    make: Callable[[random.Random, float], Any]
    """(rng, now in seconds) -> a dict to serialize, or raw bytes / None to write as they are."""
    outcome: Outcome = VALID
    warning: str = ""
    """A warning rule it fails on purpose: it passes, and the KPIs count it."""


@dataclass
class Tally:
    generated: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass
class Stream:
    """One topic's producer: its pipeline, its kinds and what it has written so far."""

    pipeline: Pipeline
    rate: float
    kinds: list[Kind]
    skipped: list[str] = field(default_factory=list)
    """Kinds left out because the pipeline has no rule that catches them."""
    serialize: Callable[[dict[str, Any]], bytes] | None = None
    tally: Tally = field(default_factory=Tally)
    _weights: list[float] = field(default_factory=list)

    @property
    def topic(self) -> str:
        return self.pipeline.sources[0]

    def pick(self, rng: random.Random) -> Kind:
        if not self._weights:
            bad = sum(k.share for k in self.kinds[1:])
            self._weights = [max(0.0, 1.0 - bad)] + [k.share for k in self.kinds[1:]]
        return rng.choices(self.kinds, self._weights)[0]


def critical_rule(pipeline: Pipeline, expectation: str, column: str) -> Rule | None:
    for rule in pipeline.record_rules:
        if rule.severity == "critical" and rule.expectation_type == expectation and column in rule.columns():
            return rule
    return None


def _rule_kind(pipeline: Pipeline, label: str, share: float, make: Callable[[random.Random, float], Any],
               expectation: str, column: str) -> Kind | None:
    rule = critical_rule(pipeline, expectation, column)
    if rule is None:
        return None
    return Kind(label, share, make, Outcome(False, "validate", frozenset({rule.name}), why=f"rule {rule.name}"))


def _warning_kind(pipeline: Pipeline, label: str, share: float, make: Callable[[random.Random, float], Any],
                  expectation: str, column: str) -> Kind:
    """A record that passes but fails a warning rule, named when the pipeline has one."""
    for rule in pipeline.record_rules:
        if rule.severity == "warning" and rule.expectation_type == expectation and column in rule.columns():
            return Kind(label, share, make, warning=rule.name)
    return Kind(label, share, make)


def _poison(label: str, share: float, value: Callable[[random.Random, float], Any], message: str, why: str) -> Kind:
    return Kind(label, share, value, Outcome(False, "deserialize", message=message, why=f"deserialize: {why}"))


# ---------------------------------------------------------------------------- records

_ACTIONS = ["view"] * 12 + ["click"] * 6 + ["search"] * 3 + ["purchase", "login", "logout"]
_CITIES = [("Berlin", "10115"), ("Hamburg", "20095"), ("München", "80331"), ("Köln", "50667"),
           ("Leipzig", "04109"), ("Wien", "1010"), ("Zürich", "8001")]
_CURRENCIES = ["EUR"] * 6 + ["USD", "GBP", "CHF"]
_MERCHANTS = ["Kaffeehaus Lindner", "Bahnhof Kiosk", "Stadtwerke", "Buchladen am Markt", "Online Shop GmbH"]


def click(rng: random.Random, now: float) -> dict[str, Any]:
    return {"userId": f"u-{rng.randrange(2000):04d}", "eventTime": int(now * 1000),
            "action": rng.choice(_ACTIONS), "pageViewCount": rng.randint(1, 12)}


def order(rng: random.Random, now: float) -> dict[str, Any]:
    items = [{"sku": f"SKU-{rng.randrange(300):03d}", "quantity": rng.randint(1, 3),
              "unitPriceCents": rng.choice([199, 499, 1299, 2499, 8999])} for _ in range(rng.randint(1, 4))]
    city, zip_code = rng.choice(_CITIES)
    return {"orderId": f"o-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}", "customerId": f"c-{rng.randrange(500):03d}",
            "orderedAt": int(now * 1000), "items": items,
            "totalCents": sum(i["quantity"] * i["unitPriceCents"] for i in items),
            "shippingAddress": {"street": f"Hauptstr. {rng.randint(1, 200)}", "city": city, "zip": zip_code,
                                "country": "AT" if zip_code in ("1010",) else "CH" if zip_code == "8001" else "DE"},
            "couponCode": rng.choice([None, None, None, "SPRING24", "WELCOME10"])}


def payment(rng: random.Random, now: float) -> dict[str, Any]:
    return {"transactionId": f"tx-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}",
            "accountId": f"acct-{rng.randrange(800):04d}",
            "amount": Decimal(rng.randint(50, 25_000)) / 100, "currency": rng.choice(_CURRENCIES),
            "status": rng.choice(["AUTHORIZED"] * 8 + ["DECLINED", "REFUNDED"]), "createdAt": int(now * 1000),
            "merchant": rng.choice(_MERCHANTS)}


_CARRIERS = ["DHL"] * 4 + ["DPD"] * 2 + ["UPS", "POST"]


def shipment(rng: random.Random, now: float) -> dict[str, Any]:
    """A shipment in Protobuf's JSON mapping (enum by name, Timestamp as RFC 3339, null for absent), for `ParseDict`."""
    city, zip_code = rng.choice(_CITIES)
    shipment_id = f"sh-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}"
    return {"shipmentId": shipment_id, "orderId": f"o-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}",
            "shippedAt": datetime.fromtimestamp(now, timezone.utc).isoformat().replace("+00:00", "Z"),
            "carrier": rng.choice(_CARRIERS),
            "parcel": {"weightGrams": rng.randint(150, 15_000), "lengthCm": rng.randint(10, 80),
                       "widthCm": rng.randint(10, 60), "heightCm": rng.randint(5, 50)},
            "destination": {"city": city, "zip": zip_code,
                            "country": "AT" if zip_code == "1010" else "CH" if zip_code == "8001" else "DE"},
            "trackingUrl": f"https://track.example.com/{shipment_id}"}


_RETURN_REASONS = ["DAMAGED", "WRONG_ITEM", "NOT_AS_DESCRIBED", "CHANGED_MIND", "CHANGED_MIND", "OTHER"]


def customer_return(rng: random.Random, now: float) -> dict[str, Any]:
    """A return as the JSON Schema returns-value.json describes it."""
    user = rng.randrange(2000)
    return {"returnId": f"r-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}",
            "orderId": f"o-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}",
            "requestedAt": datetime.fromtimestamp(now, timezone.utc).isoformat().replace("+00:00", "Z"),
            "reason": rng.choice(_RETURN_REASONS), "itemCount": rng.randint(1, 4),
            "refund": {"amountCents": rng.randint(499, 45_000), "currency": rng.choice(["EUR"] * 5 + ["CHF"])},
            "customer": {"userId": f"u-{user:04d}", "email": f"kunde{user}@example.com"},
            "comment": rng.choice(["Passt nicht.", "Kam beschädigt an.", "Falsche Farbe geliefert."])}


def _with(make: Callable[[random.Random, float], dict[str, Any]], change: Callable[[dict[str, Any], random.Random], None]
          ) -> Callable[[random.Random, float], dict[str, Any]]:
    def made(rng: random.Random, now: float) -> dict[str, Any]:
        value = make(rng, now)
        change(value, rng)
        return value
    return made


def _not_avro(rng: random.Random, now: float) -> bytes:
    return rng.choice([b'{"userId": "u-0001", "action": "view"}', b"GET /cart HTTP/1.1", b"\xff\xfe garbage"])


def _wrong_index_list(serialize: Callable[[dict[str, Any]], bytes]) -> Callable[[random.Random, float], bytes]:
    """A good shipment whose message-index list names no message of the file (there is one top-level
    message with two nested ones): what a producer with another version of the file could write."""
    from governance.protobuf import encode_indexes

    def made(rng: random.Random, now: float) -> bytes:
        good = serialize(shipment(rng, now))  # index list [0] is the single byte after the schema id
        return good[:5] + encode_indexes(rng.choice([[3], [0, 5]])) + good[6:]
    return made


def _unparsable_payload(serialize: Callable[[dict[str, Any]], bytes]) -> Callable[[random.Random, float], bytes]:
    """A good shipment's framing with a payload cut short: field 1 claims 40 bytes and has 5."""
    def made(rng: random.Random, now: float) -> bytes:
        return serialize(shipment(rng, now))[:6] + b"\x0a\x28sh-00"
    return made


def _not_json(serialize: Callable[[dict[str, Any]], bytes]) -> Callable[[random.Random, float], bytes]:
    """A good return's framing (magic byte, the subject's schema id) with a body that is not JSON."""
    def made(rng: random.Random, now: float) -> bytes:
        return serialize(customer_return(rng, now))[:5] + rng.choice([b'{"returnId": "r-', b"returnId=r-1", b"{'a': 1}"])
    return made


def _unknown_id(rng: random.Random, now: float) -> bytes:
    return b"\x00" + struct.pack(">I", UNKNOWN_SCHEMA_ID) + b"\x02\x10anything"


def _tombstone(rng: random.Random, now: float) -> None:
    return None


# --------------------------------------------------------------------------- streams

def clickstream_kinds(p: Pipeline) -> tuple[list[Kind], list[str]]:
    candidates = [
        ("good clicks", Kind("valid clicks", 1.0, click)),
        ("unknown action", _rule_kind(p, "unknown action value (e.g. `teleport`)", 0.02,
                                      _with(click, lambda v, r: v.update(action=r.choice(["teleport", "hover", "VIEW"]))),
                                      "expect_column_values_to_be_in_set", "action")),
        ("page views out of range", _rule_kind(p, "pageViewCount out of range (5,000+)", 0.01,
                                               _with(click, lambda v, r: v.update(pageViewCount=r.randint(5000, 90000))),
                                               "expect_column_values_to_be_between", "pageViewCount")),
        ("not avro", _poison("bytes that are not Avro", 0.015, _not_avro, "not Confluent wire format", "no magic byte")),
        ("busy users", _warning_kind(p, "many page views (101-1000)", 0.01,
                                     _with(click, lambda v, r: v.update(pageViewCount=r.randint(101, 1000))),
                                     "expect_column_values_to_be_between", "pageViewCount")),
    ]
    return _keep(candidates)


def order_kinds(p: Pipeline, wrong_subject: Callable[[random.Random, float], bytes] | None) -> tuple[list[Kind], list[str]]:
    candidates = [
        ("good orders", Kind("valid orders", 1.0, order)),
        ("negative total", _rule_kind(p, "negative totalCents", 0.015,
                                      _with(order, lambda v, r: v.update(totalCents=-v["totalCents"])),
                                      "expect_column_values_to_be_between", "totalCents")),
        ("malformed zip", _rule_kind(p, "malformed zip code", 0.015,
                                     _with(order, lambda v, r: v["shippingAddress"].update(zip=r.choice(["??", "1O1#5", ""]))),
                                     "expect_column_values_to_match_regex", "shippingAddress.zip")),
        ("null value", _poison("null value (tombstone)", 0.005, _tombstone, "null value", "null value")),
        ("unknown schema id", _poison(f"unknown schema id {UNKNOWN_SCHEMA_ID}", 0.005, _unknown_id,
                                      f"unknown schema id {UNKNOWN_SCHEMA_ID}", "unknown schema id")),
        ("wrong subject", _poison("a clickstream event (another subject's schema)", 0.01, wrong_subject,
                                  "registered under", "another subject's schema id") if wrong_subject is not None else None),
    ]
    return _keep(candidates)


def payment_kinds(p: Pipeline) -> tuple[list[Kind], list[str]]:
    candidates = [
        ("good payments", Kind("valid payments", 1.0, payment)),
        ("amount out of range", _rule_kind(p, "amount out of range (negative or over 1,000,000)", 0.02,
                                           _with(payment, lambda v, r: v.update(amount=r.choice(
                                               [Decimal("-12.50"), Decimal("2500000.00"), Decimal("-0.01")]))),
                                           "expect_column_values_to_be_between", "amount")),
        ("malformed currency", _rule_kind(p, "malformed currency (e.g. `euro`)", 0.015,
                                          _with(payment, lambda v, r: v.update(currency=r.choice(["euro", "E", "€"]))),
                                          "expect_column_values_to_match_regex", "currency")),
        ("not avro", _poison("bytes that are not Avro", 0.01, _not_avro, "not Confluent wire format", "no magic byte")),
        ("no merchant", _warning_kind(p, "merchant is null", 0.02, _with(payment, lambda v, r: v.update(merchant=None)),
                                      "expect_column_values_to_not_be_null", "merchant")),
    ]
    return _keep(candidates)


def shipment_kinds(p: Pipeline, serialize: Callable[[dict[str, Any]], bytes]) -> tuple[list[Kind], list[str]]:
    """`serialize` writes a shipment dict in Confluent's Protobuf wire format (the poison is made from good records)."""
    candidates = [
        ("good shipments", Kind("valid shipments", 1.0, shipment)),
        ("overweight parcel", _rule_kind(p, "parcel.weightGrams out of range (over 31.5 kg)", 0.015,
                                         _with(shipment, lambda v, r: v["parcel"].update(
                                             weightGrams=r.randint(40_000, 90_000))),
                                         "expect_column_values_to_be_between", "parcel.weightGrams")),
        ("no carrier", _rule_kind(p, "carrier unset (CARRIER_UNSPECIFIED)", 0.01,
                                  _with(shipment, lambda v, r: v.update(carrier="CARRIER_UNSPECIFIED")),
                                  "expect_column_values_to_be_in_set", "carrier")),
        ("malformed country", _rule_kind(p, "destination.country not ISO (e.g. `Germany`)", 0.01,
                                         _with(shipment, lambda v, r: v["destination"].update(
                                             country=r.choice(["Germany", "de", "D"]))),
                                         "expect_column_values_to_match_regex", "destination.country")),
        ("not protobuf", _poison("bytes that are not Protobuf", 0.005, _not_avro, "not Confluent wire format",
                                 "no magic byte")),
        ("wrong index list", _poison("message index list naming no message", 0.005, _wrong_index_list(serialize),
                                     "names no message of", "index list names no message")),
        ("unparsable payload", _poison("payload that does not parse", 0.005, _unparsable_payload(serialize),
                                       "the payload is not a valid", "payload does not parse")),
        ("no tracking url", _warning_kind(p, "trackingUrl absent", 0.02,
                                          _with(shipment, lambda v, r: v.update(trackingUrl=None)),
                                          "expect_column_values_to_not_be_null", "trackingUrl")),
    ]
    return _keep(candidates)


def return_kinds(p: Pipeline, serialize: Callable[[dict[str, Any]], bytes],
                 avro_record: Callable[[random.Random, float], bytes] | None) -> tuple[list[Kind], list[str]]:
    """`serialize` writes a return dict in Confluent's JSON Schema wire format without validating it (so the
    schema's refusals reach the topic, as from a careless producer); `avro_record` is an Avro clickstream event."""
    candidates = [
        ("good returns", Kind("valid returns", 1.0, customer_return)),
        ("refund out of range", _rule_kind(p, "refund.amountCents <= 0 or over 500,000", 0.015,
                                           _with(customer_return, lambda v, r: v["refund"].update(
                                               amountCents=r.choice([0, -1999, 900_000]))),
                                           "expect_column_values_to_be_between", "refund.amountCents")),
        ("malformed email", _rule_kind(p, "customer.email not an address (e.g. `n/a`)", 0.015,
                                       _with(customer_return, lambda v, r: v["customer"].update(
                                           email=r.choice(["n/a", "kunde(at)example.com", ""]))),
                                       "expect_column_values_to_match_regex", "customer.email")),
        ("not json", _poison("bytes after the header that are not JSON", 0.005, _not_json(serialize),
                             "is not JSON", "not JSON")),
        ("wrong schema id", _poison("a clickstream event (another subject's Avro id)", 0.005, avro_record,
                                    "registered under", "another subject's schema id")
         if avro_record is not None else None),
        ("refused by its schema", _poison("refund.amountCents as text (schema refuses it)", 0.01,
                                          _with(customer_return, lambda v, r: v["refund"].update(
                                              amountCents=f"{v['refund']['amountCents'] / 100:.2f}")),
                                          "refuses the value at $.refund.amountCents", "schema refuses the value")),
        ("no comment", _warning_kind(p, "comment is null", 0.02,
                                     _with(customer_return, lambda v, r: v.update(comment=None)),
                                     "expect_column_values_to_not_be_null", "comment")),
    ]
    return _keep(candidates)


def _keep(candidates: list[tuple[str, Kind | None]]) -> tuple[list[Kind], list[str]]:
    kept = [k for _, k in candidates if k is not None]
    return kept, [name for name, k in candidates if k is None]


STREAM_SHARES = {"user-activity": 0.4, "orders": 0.15, "transactions": 0.15, "shipments": 0.15, "returns": 0.15}
"""How the total rate splits between the seed's five source topics."""
STREAM_FORMATS = {"shipments": "protobuf", "returns": "json_schema"}
"""The value format of each source topic that is not Avro."""


def streams_for(pipelines: list[Pipeline], rate: float, schemas_dir: Path, registry_url: str) -> list[Stream]:
    """A stream for each pipeline whose source is one the generator knows; serializers through the registry."""
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    client = SchemaRegistryClient({"url": registry_url})

    def serializer(subject: str, topic: str) -> Callable[[dict[str, Any]], bytes]:
        avro = AvroSerializer(client, (schemas_dir / f"{subject}.avsc").read_text(),
                              conf={"auto.register.schemas": False, "use.latest.version": False,
                                    "subject.name.strategy": lambda ctx, name: subject})
        context = SerializationContext(topic, MessageField.VALUE)
        return lambda value: avro(value, context)

    def protobuf_serializer(subject: str, topic: str) -> Callable[[dict[str, Any]], bytes]:
        """confluent-kafka's ProtobufSerializer with the file's first message, built from our compiled
        descriptor (no generated code); values are dicts in Protobuf's JSON mapping."""
        from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
        from google.protobuf import json_format, message_factory

        from governance.protobuf import find_message, parse_schema

        path = schemas_dir / f"{subject}.proto"
        schema = parse_schema(path.read_text(), path.name)
        cls = message_factory.GetMessageClass(find_message(schema))
        proto = ProtobufSerializer(cls, client, conf={"auto.register.schemas": False, "use.latest.version": False,
                                                      "subject.name.strategy": lambda ctx, name: subject})
        context = SerializationContext(topic, MessageField.VALUE)
        return lambda value: proto(json_format.ParseDict(value, cls()), context)

    def json_serializer(subject: str, topic: str) -> Callable[[dict[str, Any]], bytes]:
        from confluent_kafka.schema_registry import Schema
        from confluent_kafka.schema_registry.json_schema import JSONSerializer

        schema = Schema((schemas_dir / f"{subject}.json").read_text(), "JSON")
        as_json = JSONSerializer(schema, client, conf={"auto.register.schemas": False, "use.latest.version": False,
                                                       "subject.name.strategy": lambda ctx, name: subject,
                                                       "validate": False})
        context = SerializationContext(topic, MessageField.VALUE)
        return lambda value: as_json(value, context)

    serializers = {"avro": serializer, "protobuf": protobuf_serializer, "json_schema": json_serializer}

    clicks_as_bytes = None
    if (schemas_dir / "user-activity-value.avsc").is_file():
        to_bytes = serializer("user-activity-value", "orders")
        clicks_as_bytes = lambda rng, now: to_bytes(click(rng, now))  # noqa: E731

    streams = []
    for pipeline in pipelines:
        source = pipeline.sources[0]
        value_format = STREAM_FORMATS.get(source, "avro")
        if source not in STREAM_SHARES or pipeline.subject is None or pipeline.value_format != value_format:
            continue
        serialize = serializers[value_format](pipeline.subject, source)
        if source == "returns":
            kinds, skipped = return_kinds(pipeline, serialize, clicks_as_bytes)
        elif source == "shipments":
            kinds, skipped = shipment_kinds(pipeline, serialize)
        elif source == "user-activity":
            kinds, skipped = clickstream_kinds(pipeline)
        elif source == "orders":
            kinds, skipped = order_kinds(pipeline, clicks_as_bytes)
        else:
            kinds, skipped = payment_kinds(pipeline)
        stream = Stream(pipeline, rate * STREAM_SHARES[source], kinds, skipped, serialize)
        streams.append(stream)
    return streams


class Generator:
    """Writes the streams at their rates; remembers each delivered record's kind by sequence number."""

    def __init__(self, producer: Any, streams: list[Stream], run_id: str, seed: int = 7) -> None:
        self.producer = producer
        self.streams = streams
        self.run_id = run_id.encode()
        self.rng = random.Random(seed)
        self.truth: dict[int, tuple[Stream, Kind]] = {}
        self.failed_deliveries = 0
        self._seq = 0
        self._started: float | None = None
        self._written: dict[str, int] = {s.topic: 0 for s in streams}

    def tick(self, now: float | None = None) -> None:
        """Write what is due since the start, stream by stream (called every few milliseconds)."""
        now = time.time() if now is None else now
        if self._started is None:
            self._started = now
        elapsed = now - self._started
        for stream in self.streams:
            due = int(elapsed * stream.rate) - self._written[stream.topic]
            for _ in range(max(0, due)):
                self._write(stream, stream.pick(self.rng), now)
            self._written[stream.topic] += max(0, due)
        self.producer.poll(0)

    def _write(self, stream: Stream, kind: Kind, now: float) -> None:
        value = kind.make(self.rng, now)
        if isinstance(value, dict):
            value = stream.serialize(value)  # type: ignore[misc]
        seq = self._seq
        self._seq += 1
        key = f"{stream.topic}-{seq}".encode()

        def delivered(error: Any, message: Any) -> None:
            if error is not None:
                self.failed_deliveries += 1
                return
            self.truth[seq] = (stream, kind)
            stream.tally.generated += 1
            stream.tally.by_kind[kind.label] = stream.tally.by_kind.get(kind.label, 0) + 1

        while True:
            try:
                self.producer.produce(stream.topic, value, key, headers=[(RUN_HEADER, self.run_id),
                                                                       (SEQ_HEADER, str(seq).encode())],
                                      on_delivery=delivered)
                return
            except BufferError:
                self.producer.poll(0.1)

    def flush(self, timeout: float = 60.0) -> int:
        """Wait for every write's outcome; returns how many are still undelivered."""
        return self.producer.flush(timeout)
