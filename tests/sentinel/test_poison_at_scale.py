"""Poison at scale, small: a topic a fifth of which is poison of every kind (bad bytes of
twelve sorts, a deleted schema's id, one-megabyte records, a thousand headers) goes
through `governance sentinel run` whole: every record exactly once where it belongs, at
the right DLQ stage with its reason, its headers and its full size. bench/poison.py runs
the same corpus at a million records and reports throughput and memory."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from kafka_helpers import create_topic
from sentinel_helpers import GOVERNANCE

from bench import children, common, poison
from bench import poison_corpus as corpus_module
from governance.kafka import KafkaSettings


def test_a_fifth_poison_of_every_kind_is_routed_whole_and_exactly_once(
    kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path
) -> None:
    source = f"{unique_name}-in"
    valid, dlq = f"{source}-valid", f"{source}-dlq"
    create_topic(kafka, source, partitions=3)
    ids = poison.register_ids(registry_url, [f"{source}-value"], f"{unique_name}-other-value")
    corpus = corpus_module.Corpus(6_000, ids, ratio=0.2, big=3)
    assert set(corpus.counts()) == {*corpus_module.KINDS, corpus_module.BIG, "payment"}
    corpus_module.produce(kafka.bootstrap_servers, source, corpus)
    pipeline = children.write_pipeline(tmp_path, unique_name, source, valid, dlq, 1_000)

    run = subprocess.run([*GOVERNANCE, "sentinel", "run", str(pipeline), "-b", kafka.bootstrap_servers,
                          "--registry", registry_url, "--idle-exit", "3"], capture_output=True, text=True, timeout=300)

    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    dead = list(common.read_messages(kafka.bootstrap_servers, dlq))
    problems = corpus_module.check(corpus, common.read_messages(kafka.bootstrap_servers, valid), dead)
    assert problems == []
    reasons = {m.key().decode().rpartition("-")[0]: headers["__connect.errors.exception.message"].decode()
               for m in dead if (headers := dict(m.headers()))["__connect.errors.stage"] == b"deserialize"}
    assert set(reasons) == set(corpus_module.DESERIALIZE_KINDS)
    assert f"schema id {ids.deleted}" in reasons["deleted-id"]
    assert f"schema id {ids.foreign}" in reasons["foreign-id"]
    assert "null value" in reasons["null"] and "empty value" in reasons["empty"]
    assert [json.loads(dict(m.headers())["__sentinel.failed.rules"])[0]["rule"] for m in dead
            if m.key().startswith(corpus_module.BIG.encode())] == ["expect_column_value_lengths_to_be_between(note)"] * 3
