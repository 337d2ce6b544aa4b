"""DLQ context headers: what `dlq_headers` writes, `dead_letter` reads back, whatever else a
record carries and however its headers were damaged on the way."""

from __future__ import annotations

import json

from governance.sentinel import headers as h
from governance.sentinel.headers import ContractBreach, DeadLetter, FailedRule, dead_letter, dlq_headers, original_headers

OWN = [("trace-id", b"abc"), ("seq", b"7")]


def _written(**overrides: object) -> list[tuple[str, bytes]]:
    arguments: dict = dict(topic="orders", partition=2, offset=41, stage="validate", pipeline="orders-quality",
                           failed_rules=[("expect_a", "got -1"), ("expect_b", "got é")],
                           exception_class=None, exception_message=None)
    return dlq_headers(OWN, **{**arguments, **overrides})


def test_what_is_written_is_read_back() -> None:
    assert dead_letter(_written()) == DeadLetter(
        topic="orders", partition=2, offset=41, stage="validate", pipeline="orders-quality",
        failed_rules=(FailedRule("expect_a", "got -1"), FailedRule("expect_b", "got é")))


def test_an_exception_is_read_back_and_an_unencodable_message_is_replaced() -> None:
    dead = dead_letter(_written(stage="deserialize", failed_rules=[], exception_class="SerializationError",
                                exception_message="magic byte is 7 \udc00"))
    assert (dead.stage, dead.failed_rules, dead.rules) == ("deserialize", (), [])
    assert (dead.exception_class, dead.exception_message) == ("SerializationError", "magic byte is 7 ?")


def test_the_records_own_headers_are_kept_apart() -> None:
    written = _written()
    assert written[:2] == OWN
    assert original_headers(written) == OWN
    assert dead_letter(OWN) == DeadLetter()


def test_decoded_values_read_as_raw_ones() -> None:
    written = _written()
    assert dead_letter((k, v.decode()) for k, v in written) == dead_letter(written)


def test_what_the_router_adds_when_the_dlq_refuses_a_record_is_read_back() -> None:
    added = [(h.OMITTED, b"value,key,headers"), (h.OMITTED_REASON, b"too large"),
             (h.ORIGINAL_TIMESTAMP, b"1700000000000")]
    dead = dead_letter(_written() + added)
    assert dead.omitted == ("value", "key", "headers") and dead.omitted_reason == "too large"
    assert dead.original_timestamp == 1_700_000_000_000


def test_missing_headers_read_as_empty() -> None:
    dead = dead_letter([])
    assert dead == DeadLetter()
    assert (dead.partition, dead.offset, dead.original_timestamp, dead.omitted) == (None, None, None, ())
    assert dead.source == "?[?]@?"
    assert dead_letter(_written(partition=0, offset=0)).source == "orders[0]@0"


def test_unknown_headers_are_ignored_and_a_repeated_name_is_read_as_its_last_value() -> None:
    upstream = [(h.TOPIC, b"connect-source"), (h.STAGE, b"transformation"), ("__sentinel.future", b"x"), ("z", None)]
    dead = dead_letter(dlq_headers(upstream, topic="orders", partition=0, offset=1, stage="validate", pipeline="p",
                                   failed_rules=[], exception_class=None, exception_message=None))
    assert (dead.topic, dead.stage, dead.offset) == ("orders", "validate", 1)


def test_damaged_values_read_as_missing() -> None:
    damaged = [(h.PARTITION, b"two"), (h.OFFSET, b""), (h.ORIGINAL_TIMESTAMP, b"soon"), (h.STAGE, None)]
    assert dead_letter(damaged) == DeadLetter()
    for text in (b"not json", b'{"rule": "a"}', b"null", b"[1, 2]"):
        assert dead_letter([(h.FAILED_RULES, text)]).failed_rules == ()
    partly = json.dumps([{"rule": "a", "message": "m"}, {"message": "no rule"}, "b", {"rule": "c"}]).encode()
    assert dead_letter([(h.FAILED_RULES, partly)]).failed_rules == (FailedRule("a", "m"), FailedRule("c", ""))


def test_every_name_has_a_context_prefix_so_the_records_own_headers_never_include_one() -> None:
    names = [value for name, value in vars(h).items()
             if name.isupper() and isinstance(value, str) and not name.endswith("PREFIX")]
    assert len(names) == 17
    assert all(name.startswith(h.CONTEXT_PREFIXES) for name in names)
    assert original_headers([(name, b"") for name in names]) == []


def test_a_contract_breach_adds_confluents_rule_headers_as_its_dlq_action_writes_them() -> None:
    breach = ContractBreach("positive", "WRITE", "orders-value", "Rule expr failed: message.amount > 0")
    written = _written(failed_rules=[("contract:positive", "message.amount > 0 failed")], contract=breach)

    assert written[-5:] == [("__rule.name", b"positive"), ("__rule.mode", b"WRITE"), ("__rule.subject", b"orders-value"),
                            ("__rule.topic", b"orders"), ("__rule.exception", b"Rule expr failed: message.amount > 0")]
    dead = dead_letter(written)
    assert (dead.contract, dead.rule_topic, dead.rules) == (breach, "orders", ["contract:positive"])
    assert original_headers(written) == OWN


def test_without_a_breach_there_are_no_rule_headers() -> None:
    assert not [name for name, _ in _written() if name.startswith(h.RULE_PREFIX)]
    assert dead_letter(_written()).contract is None


def test_rule_headers_the_source_record_carried_are_dropped_so_only_a_breach_found_here_is_named() -> None:
    """A Confluent dead letter produced again carries `__rule.*`; failing a GX rule here is no contract breach."""
    confluents = [("__rule.name", b"old"), ("__rule.mode", b"READ"), ("__rule.exception", b"elsewhere")]
    written = dlq_headers([*OWN, *confluents], topic="orders", partition=0, offset=1, stage="validate",
                          pipeline="p", failed_rules=[("expect_a", "got -1")], exception_class=None,
                          exception_message=None)
    assert dead_letter(written).contract is None
    assert not [name for name, _ in written if name.startswith(h.RULE_PREFIX)]
    breach = ContractBreach("positive", "WRITE", "orders-value", "Rule expr failed")
    again = dlq_headers([*OWN, *confluents], topic="orders", partition=0, offset=1, stage="validate", pipeline="p",
                        failed_rules=[("contract:positive", "failed")], exception_class=None, exception_message=None,
                        contract=breach)
    assert [value for name, value in again if name == "__rule.name"] == [b"positive"]
