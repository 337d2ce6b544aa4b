"""Registry throughput, measured from separate processes on this machine.

    .venv/bin/python -m bench.registry_http [--registry URL] [--seconds 10]

Without --registry it starts a throw-away local stack (broker + registry).
Prints: GET /schemas/ids/{id} requests/s with p50/p99 latency at 50 keep-alive
connections (wrk, Debian package `wrk`), and registrations per second from one
client, beside the public figures for Confluent Schema Registry and Karapace
measured on 2 CPUs (about 6,100 and 630 lookups/s).
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path


CONFLUENT_LOOKUPS = 6_100
KARAPACE_LOOKUPS = 630


def register(base: str, subject: str, schema: dict) -> int:
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    conn.request("POST", f"/subjects/{subject}/versions", json.dumps({"schema": json.dumps(schema)}),
                 {"Content-Type": "application/vnd.schemaregistry.v1+json"})  # fmt: skip
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    return body["id"]


def registrations_per_second(base: str, count: int) -> float:
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    stamp = int(time.time())
    started = time.perf_counter()
    for i in range(count):
        schema = {"type": "record", "name": f"Bench{stamp}_{i}", "fields": [{"name": "f", "type": "int"}]}
        conn.request("POST", f"/subjects/bench-{stamp}-{i}/versions", json.dumps({"schema": json.dumps(schema)}),
                     {"Content-Type": "application/vnd.schemaregistry.v1+json"})  # fmt: skip
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status
    return count / (time.perf_counter() - started)


def wrk(url: str, seconds: int) -> dict[str, float]:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    out = subprocess.run(["wrk", "-t2", "-c50", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip

    def latency(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50%"),
        "p99": latency("99%"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registry", help="URL of a running registry (default: start a local stack)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--registrations", type=int, default=300)
    args = parser.parse_args()

    stack = None
    base = args.registry
    if base is None:
        from governance.stack.cluster import LocalStack

        stack = LocalStack(Path(tempfile.mkdtemp(prefix="bench-stack-")))
        base = stack.up(port=0).registry.url
    try:
        schema_id = register(base, "bench-lookup-value", {"type": "record", "name": "Lookup", "fields": [
            {"name": f"f{i}", "type": "string"} for i in range(10)]})  # fmt: skip
        lookups = wrk(f"{base}/schemas/ids/{schema_id}", args.seconds)
        writes = registrations_per_second(base, args.registrations)
    finally:
        if stack is not None:
            stack.down(purge=True)

    print(f"GET /schemas/ids/{{id}}, 50 connections, {args.seconds}s (wrk):")
    print(f"  ours       {lookups['rps']:>9,.0f} req/s   p50 {lookups['p50']:.2f} ms   p99 {lookups['p99']:.2f} ms"
          f"   non-2xx {lookups['errors']:.0f}")  # fmt: skip
    print(f"  Confluent  {CONFLUENT_LOOKUPS:>9,} req/s   (public benchmark, 2 CPUs)   ours/Confluent {lookups['rps'] / CONFLUENT_LOOKUPS:.2f}x")
    print(f"  Karapace   {KARAPACE_LOOKUPS:>9,} req/s   (public benchmark, 2 CPUs)   ours/Karapace  {lookups['rps'] / KARAPACE_LOOKUPS:.1f}x")
    print(f"Registrations, one client, {args.registrations} new subjects: {writes:,.0f} per second")


if __name__ == "__main__":
    main()
