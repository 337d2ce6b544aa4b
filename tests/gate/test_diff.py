"""`schemas diff` end to end: the versions from git or the registry, against the local file."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from gate_cases import DIFF_EXPECTED as EXPECTED
from gate_cases import DIFF_V1 as V1
from gate_cases import DIFF_V2 as V2
from gate_helpers import make_repo, run_gate


def test_diff_from_git(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"orders-value.avsc": V1})
    repo.commit({"orders-value.avsc": V2})
    result = run_gate(repo, "diff", "orders-value", "--against", "HEAD", "--from", "1", "--to", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["orders-value: version 1 -> version 2", *(f"  {line}" for line in EXPECTED)]

    unchanged = run_gate(repo, "diff", "orders-value", "--against", "HEAD")
    assert unchanged.stdout.splitlines() == ["orders-value: version 2 -> local file", "  no structural changes"]

    missing = run_gate(repo, "diff", "orders-value", "--against", "HEAD", "--from", "7")
    assert missing.returncode == 2 and "no version 7 (versions: 1, 2)" in missing.stderr


def test_diff_from_the_registry_against_the_local_file(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    request = urllib.request.Request(f"{registry_url}/subjects/{unique_name}/versions", method="POST",
                                     data=json.dumps({"schema": V1}).encode(),
                                     headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    urllib.request.urlopen(request, timeout=30).close()
    repo = make_repo(tmp_path / "repo")
    repo.write({f"{unique_name}.avsc": V2})
    result = run_gate(repo, "diff", unique_name, "--registry", registry_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{unique_name}: version 1 -> local file", *(f"  {line}" for line in EXPECTED)]
