"""The pipeline's `subject` against the registry. Only schema ids registered under it are
compliant, so a typo in it (`trial-sensor-value` for `trial-sensors-value`) would send
every record to the DLQ: the sentinel refuses to start when nothing is registered under
the subject and a registered subject is a typo away, and says plainly what happens when
nothing near exists either."""

from __future__ import annotations

from typing import Any

from governance.errors import GovernanceError, edit_distance
from governance.sentinel.pipeline import Pipeline

_TYPO = 2
"""At most this many edits from the pipeline's subject: a typo, not another test's or team's subject."""


def near_subjects(subject: str, registered: list[str]) -> list[str]:
    """Registered subjects a typo away from `subject`, nearest first."""
    scored = sorted((edit_distance(subject, s), s) for s in registered if abs(len(s) - len(subject)) <= _TYPO and s != subject)
    return [s for distance, s in scored if distance <= _TYPO]


def unregistered_subject(pipeline: Pipeline, registry: Any) -> str:
    """Nothing is registered under the pipeline's subject: raise when a registered subject is a
    typo away, else return what happens, for `sentinel check` and the start-up banner."""
    subject = pipeline.subject
    assert subject is not None
    registered = registry.call("GET", "/subjects")
    near = near_subjects(subject, [s for s in registered if isinstance(s, str)])
    given = "`subject`" if pipeline.subject_given else f"the default subject (`<source>-value` of {pipeline.sources[0]})"
    if near:
        raise GovernanceError(
            f"{pipeline.path}, line {pipeline.subject_line}: nothing is registered under subject {subject} "
            f"({given}), but {near[0]} is registered: did you mean {near[0]}? Only records whose schema id is "
            f"registered under {subject} would be valid: every other record goes to the DLQ",
            hint=f"fix `subject` in {pipeline.path}; if {subject} is right, register its first schema before "
                 "starting the sentinel")
    return (f"not checked: nothing is registered under subject {subject} ({given}) and no registered subject has "
            f"a similar name; until a schema is registered under {subject}, every record goes to the DLQ "
            "(stage deserialize)")
