"""A pipeline's rules checked by Great Expectations in a short-lived child process.

Importing GX (and pandas with it) takes about 200 MB that a process never gives back.
A sentinel whose record rules all compile to plain-Python checks, and which has no
window rules, needs GX only once: to check the rules' arguments and normalize them.
A child process does that and hands the normalized arguments back as JSON, so the
routing process stays small. GX is still imported, lazily, if a batch ever holds
values the compiled checks do not model (see `fastpath`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType

from governance.errors import GovernanceError
from governance.sentinel.pipeline import Pipeline, load_pipeline


def load_checked(path: str | os.PathLike[str]) -> Pipeline:
    """The pipeline with every rule checked by GX, as `load_pipeline(path)` returns it, with
    GX imported in this process only when the pipeline needs it to run."""
    from governance.sentinel.fastpath import SUPPORTED

    pipeline = load_pipeline(path, check_rules=False)
    if pipeline.window_rules or any(r.expectation_type not in SUPPORTED for r in pipeline.record_rules):
        return load_pipeline(path)
    try:
        answer = subprocess.run([sys.executable, "-m", __name__, str(path)], capture_output=True, text=True,
                                timeout=300)
        reply = json.loads(answer.stdout.strip().splitlines()[-1]) if answer.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        reply = None
    if not isinstance(reply, dict):
        return load_pipeline(path)  # the child could not say: check here, as before
    if "error" in reply:
        raise GovernanceError(reply["error"], reply.get("hint"))
    checked = reply["checked"]
    if len(checked) != len(pipeline.record_rules) or any(c is None for c in checked):
        return load_pipeline(path)  # a rule stays on GX: this process needs GX anyway
    rules = tuple(dataclasses.replace(r, checked=MappingProxyType(c)) for r, c in zip(pipeline.record_rules, checked))
    return dataclasses.replace(pipeline, record_rules=rules)


def _check(path: Path) -> dict[str, object]:
    from governance.sentinel.fastpath import compile_rule

    try:
        pipeline = load_pipeline(path)
    except GovernanceError as e:
        return {"error": e.message, "hint": e.hint}
    return {"checked": [dict(r.checked) if r.checked is not None and compile_rule(r) is not None else None
                        for r in pipeline.record_rules]}


if __name__ == "__main__":
    print(json.dumps(_check(Path(sys.argv[1]))))
