"""What the console tells of one lineage node or one subject: every job, dataset, pipeline and
subject it names, so that the page can link each name to its node or page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from governance.console.graph import job_id
from governance.lineage.model import Assertion, Dataset, DatasetRef, Estate, Job, TopicSchema


@dataclass(frozen=True)
class Guard:
    """A sentinel pipeline as it stands to a topic: reading it, writing it valid records, or dead letters."""

    job: Job
    role: str
    """`source`, `valid` or `dlq`."""
    health: str
    latest: dict[str, str]
    """Rule -> its last window's verdict (`held`, `failed`, `3 failing`)."""

    @property
    def rules(self) -> tuple[Assertion, ...]:
        return self.job.assertions


@dataclass(frozen=True)
class Story:
    kind: str
    """`job` or `dataset`."""
    id: str
    job: Job | None = None
    dataset: Dataset | None = None
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    """Node ids of what the job reads and writes; of a dataset, its readers' and writers' ids."""
    guards: list[Guard] = field(default_factory=list)
    schema: str | None = None
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


def node_story(estate: Estate, selected: str, pipelines: dict[str, dict[str, Any]]) -> Story | None:
    """The story of the node `selected` (a job id or `platform:name`); `pipelines` is each sentinel
    pipeline's overview row by name (`health`, `last` window)."""
    for job in estate.jobs:
        if job_id(job) == selected:
            guards = [_guard(job, "job", pipelines)] if job.kind == "sentinel" else []
            return Story("job", selected, job=job, reads=[str(r) for r in job.inputs],
                         writes=[str(r) for r in job.outputs], guards=guards, owners=job.owners, tags=job.tags)
    dataset = next((d for r, d in estate.datasets.items() if str(r) == selected), None)
    if dataset is None:
        return None
    guards = [_guard(j, "source", pipelines) for j in estate.readers(dataset.ref) if j.kind == "sentinel"]
    for job in estate.writers(dataset.ref):
        if job.kind == "sentinel":
            guards.append(_guard(job, "valid" if job.outputs.index(dataset.ref) == 0 else "dlq", pipelines))
    schema = _pretty(dataset.schema) if dataset.schema else None
    return Story("dataset", selected, dataset=dataset, reads=[job_id(j) for j in estate.readers(dataset.ref)],
                 writes=[job_id(j) for j in estate.writers(dataset.ref)], guards=guards, schema=schema,
                 owners=dataset.owners, tags=dataset.tags)


def _guard(job: Job, role: str, pipelines: dict[str, dict[str, Any]]) -> Guard:
    row = pipelines.get(job.name, {})
    last = row.get("last")
    latest: dict[str, str] = {}
    if last:
        for a in job.assertions:
            if a.window:
                verdict = last["expectations"].get(a.rule)
                latest[a.rule] = ("held" if verdict["success"] else "failed") if verdict else "-"
            else:
                latest[a.rule] = f"{last['rule_failures'].get(a.rule, 0):,} failing"
    return Guard(job, role, row["health"].state if "health" in row else "unknown", latest)


def subject_story(estate: Estate, subject: str) -> dict[str, list[Any]]:
    """The topics whose schema is the subject's and the sentinel pipelines that read or write them."""
    topics = sorted(d.ref for d in estate.datasets.values()
                    if d.schema is not None and d.schema.subject == subject and d.ref.platform == "kafka")
    pipelines = [j for j in estate.jobs if j.kind == "sentinel" and set(topics) & {*j.inputs, *j.outputs}]
    return {"topics": topics, "pipelines": pipelines}


def node_names(estate: Estate) -> dict[str, str]:
    """Node id -> the name a page shows for it: a job's name, a dataset's `platform:name`."""
    names: dict[str, str] = {job_id(j): j.name for j in estate.jobs}
    refs: set[DatasetRef] = {*estate.datasets, *(r for j in estate.jobs for r in (*j.inputs, *j.outputs))}
    names.update({str(r): str(r) for r in refs})
    return names


def _pretty(schema: TopicSchema) -> str:
    """The schema laid out by its format (Avro's JSON indented, a `.proto` file as printed)."""
    from governance.formats import format_for

    return format_for(schema.schema_type).describe(schema.text, schema.reference_texts).pretty
