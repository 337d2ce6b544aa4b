"""Several registry instances on one topic: one primary chosen through Kafka,
followers forward writes, and a killed primary is replaced within 15 seconds
with no id handed out twice and none lost."""

from __future__ import annotations

import signal
import time

from registry_helpers import http, schema


def test_one_primary_and_followers_forward_writes(pair) -> None:
    first, second = pair
    assert [first.says_primary, second.says_primary].count(True) == 1
    ids = {}
    for i in range(10):
        instance = pair[i % 2]
        status, body = http("POST", f"{instance.url}/subjects/fw-{i}/versions", schema(f"Fw{i}"))
        assert status == 200, body
        ids[f"fw-{i}"] = body["id"]
        # The instance that took the write answers with it at once, forwarded or not.
        assert http("GET", f"{instance.url}/subjects/fw-{i}/versions/1")[1]["id"] == body["id"]
    assert len(set(ids.values())) == 10
    deadline = time.monotonic() + 10
    for instance in pair:  # and every instance has every write soon after
        for subject, schema_id in ids.items():
            while (answer := http("GET", f"{instance.url}/subjects/{subject}/versions/1")[1]).get("id") is None:
                assert time.monotonic() < deadline, answer
                time.sleep(0.05)
            assert answer["id"] == schema_id


def test_killed_primary_is_replaced_within_15_seconds_without_duplicate_or_lost_ids(pair) -> None:
    primary, follower = pair if pair[0].says_primary else pair[::-1]
    before = {}
    for i in range(20):
        status, body = http("POST", f"{follower.url}/subjects/before-{i}/versions", schema(f"Before{i}"))
        assert status == 200, body
        before[f"before-{i}"] = body["id"]

    primary.stop(signal.SIGKILL)
    killed_at = time.monotonic()
    while True:
        status, body = http("POST", f"{follower.url}/subjects/after-0/versions", schema("After0"))
        if status == 200:
            break
        assert body["error_code"] in (50003, 50004), body
        assert time.monotonic() - killed_at < 15, "no new primary within 15 s"
        time.sleep(0.2)
    took_over_in = time.monotonic() - killed_at
    assert follower.says_primary
    after = {"after-0": body["id"]}
    for i in range(1, 20):
        status, body = http("POST", f"{follower.url}/subjects/after-{i}/versions", schema(f"After{i}"))
        assert status == 200, body
        after[f"after-{i}"] = body["id"]

    every = {**before, **after}
    assert len(set(every.values())) == 40, "no id handed out twice"
    assert min(after.values()) > max(before.values())
    for subject, schema_id in every.items():
        assert http("GET", f"{follower.url}/subjects/{subject}/versions/latest")[1]["id"] == schema_id
    print(f"new primary took over in {took_over_in:.1f}s")
