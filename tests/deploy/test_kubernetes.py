"""deploy/kubernetes/sentinel.yaml: the container's command line is one the CLI parses, with the pod's
stable name as --instance-id; its probes ask the paths and the port a real running sentinel answers
(started here with the ConfigMap's pipeline on the test stack); the grace period matches the systemd unit's."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from deploy_helpers import DEPLOY, cli_params, unit_file
from kafka_helpers import create_topic
from sentinel_helpers import produce_orders, start, wait_until

from governance.kafka import KafkaSettings
from governance.sentinel.pipeline import load_pipeline

MANIFEST = DEPLOY / "kubernetes" / "sentinel.yaml"


def manifest() -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(MANIFEST.read_text())}


def container() -> dict[str, Any]:
    (sentinel,) = manifest()["StatefulSet"]["spec"]["template"]["spec"]["containers"]
    return sentinel


def probe_port(probe: dict[str, Any]) -> int:
    """A probe's port: a number, or the name of one of the container's ports."""
    port = probe["httpGet"]["port"]
    return port if isinstance(port, int) else {p["name"]: p["containerPort"] for p in container()["ports"]}[port]


def words(pod: str) -> list[str]:
    """The container's command line as the kubelet runs it in `pod`: $(VAR) from the container's env."""
    env = {e["name"]: pod for e in container()["env"] if e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
           == "metadata.name"}
    return [re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], w) for w in [*container()["command"], *container()["args"]]]


def test_the_command_line_parses_with_the_pod_name_as_instance_id_and_serves_on_the_probed_port() -> None:
    executable, *args = words("orders-sentinel-0")
    assert executable == "governance"
    path, params = cli_params(args)
    assert path == "sentinel run" and params["instance_id"] == "orders-sentinel-0"
    c = container()
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert probe_port(c[probe]) == params["metrics_port"], probe
    annotations = manifest()["StatefulSet"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/path"] == "/metrics"
    assert int(annotations["prometheus.io/port"]) == params["metrics_port"]
    (mount,) = [m for m in c["volumeMounts"] if m["name"] == "pipeline"]
    (key,) = manifest()["ConfigMap"]["data"]
    assert params["pipeline_file"] == Path(mount["mountPath"]) / key


def test_the_grace_period_is_the_systemd_units_stop_timeout() -> None:
    (stop_s,) = unit_file(DEPLOY / "systemd" / "governance-sentinel@.service")["Service.TimeoutStopSec"]
    assert manifest()["StatefulSet"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == int(stop_s)


def test_a_running_sentinel_answers_the_probes_paths(kafka: KafkaSettings, registry_url: str, tmp_path: Path,
                                                      unique_name: str) -> None:
    """The ConfigMap's pipeline with this test's topics, run by `governance sentinel run`."""
    source = f"{unique_name}-raw"
    create_topic(kafka, source)
    produce_orders(kafka, registry_url, source, range(10))
    (text,) = manifest()["ConfigMap"]["data"].values()
    doc = {**yaml.safe_load(text), "name": unique_name, "source": source, "subject": f"{source}-value"}
    pipeline = tmp_path / "pipeline.yml"
    pipeline.write_text(yaml.safe_dump(doc))
    load_pipeline(pipeline)
    sentinel = start(pipeline, kafka, registry_url, "--instance-id", "orders-sentinel-0")
    try:
        base = sentinel.metrics_url().removesuffix("/metrics")
        c = container()

        def answers(probe: str) -> dict[str, Any] | None:
            try:
                with urllib.request.urlopen(base + c[probe]["httpGet"]["path"], timeout=5) as response:
                    return json.loads(response.read())
            except OSError:  # 503 (HTTPError) or not listening yet
                return None

        wait_until(lambda: answers("readinessProbe") is not None, 90)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            body = answers(probe)
            assert body is not None and body["status"] == "ok" and body["pipeline"] == unique_name, (probe, body)
    finally:
        assert sentinel.stop() == 0, sentinel.output
