"""The console's liveness probe: GET /healthz answers 200 with what the pages read, without reading it
(a console whose Kafka and registry are unreachable is alive) and without credentials when every page needs them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from console.test_pages import Console

from governance.kafka import KafkaSettings
from governance.registry.auth import hash_password


def test_healthz_answers_without_kafka_the_registry_or_credentials(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    users.write_text(f"steward: {{password: '{hash_password('s3cret', iterations=1000)}', role: read}}\n")
    (tmp_path / "schemas").mkdir()
    nowhere = KafkaSettings("127.0.0.1:1", source="test")  # nothing listens on port 1
    console = Console(tmp_path, nowhere, "http://127.0.0.1:1", "--users-file", str(users))
    try:
        with urllib.request.urlopen(console.url + "/healthz", timeout=10) as answer:
            assert answer.status == 200 and answer.headers["Content-Type"] == "application/json"
            body = json.loads(answer.read())
        assert body == {"status": "ok", "reasons": [], "project": str(tmp_path.resolve()), "kafka": "127.0.0.1:1",
                        "registry": "http://127.0.0.1:1", "users_file": True}
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(console.url + "/", timeout=10)
        assert e.value.code == 401, "the pages still need credentials"
    finally:
        console.stop()
