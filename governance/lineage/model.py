"""One model of what the project knows about data around Kafka: datasets (topics with
their schemas, and datasets on other platforms), the jobs between them (sentinel
pipelines, Kafka Connect connectors, declared jobs) and the quality rules on them.

It is built once (`build.py`) and read by every view: the DataHub mapping
(`datahub.py`), the terminal (`lineage show`, `lineage impact`) and the CI gate's
downstream impact. Nothing here imports DataHub.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from governance.lineage.levels import Levels


@dataclass(frozen=True, order=True)
class DatasetRef:
    """A dataset by DataHub platform name and the dataset's name on it: `kafka:orders`."""

    platform: str
    name: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.name}"


def topic(name: str) -> DatasetRef:
    return DatasetRef("kafka", name)


@dataclass(frozen=True)
class TopicSchema:
    subject: str
    text: str
    version: int | None = None
    schema_id: int | None = None
    levels: Levels = Levels()
    origin: str = ""
    """Where the schema came from: a file (`schemas/orders-value.avsc`) or the registry URL."""
    schema_type: str = "AVRO"
    """Confluent's schemaType: which schema format reads `text` (governance.formats)."""
    references: tuple[tuple[str, str], ...] = ()
    """(reference name, text) of what `text` refers to and is not inlined in it: the files a `.proto` imports."""

    @property
    def reference_texts(self) -> dict[str, str]:
        return dict(self.references)

    @property
    def compatibility(self) -> str | None:
        return self.levels.published


@dataclass
class Dataset:
    ref: DatasetRef
    schema: TopicSchema | None = None
    description: str | None = None
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)
    partitions: int | None = None
    origin: str = ""


@dataclass(frozen=True)
class Assertion:
    """A quality rule of a sentinel pipeline on a dataset (a GX expectation)."""

    rule: str
    expectation_type: str
    kwargs: Mapping[str, Any]
    severity: str
    dataset: DatasetRef
    window: bool = False

    @property
    def column(self) -> str | None:
        column = self.kwargs.get("column")
        return column if isinstance(column, str) else None


@dataclass(frozen=True)
class FieldFlow:
    """A field of one dataset copied unchanged into a field of another."""

    source: DatasetRef
    source_field: str
    target: DatasetRef
    target_field: str


@dataclass
class Job:
    flow: str
    name: str
    kind: str
    """`sentinel`, `connector` or `declared`."""
    orchestrator: str
    """The DataHub platform of the job's flow: `governance` for sentinels, `kafka-connect`, `airflow`, ..."""
    inputs: tuple[DatasetRef, ...]
    outputs: tuple[DatasetRef, ...]
    description: str | None = None
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)
    field_flows: tuple[FieldFlow, ...] = ()
    assertions: tuple[Assertion, ...] = ()
    origin: str = ""


@dataclass
class Estate:
    datasets: dict[DatasetRef, Dataset] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)

    def dataset(self, ref: DatasetRef) -> Dataset:
        """The dataset, added bare if the model has not met it yet."""
        if ref not in self.datasets:
            self.datasets[ref] = Dataset(ref)
        return self.datasets[ref]

    def readers(self, ref: DatasetRef) -> list[Job]:
        return [j for j in self.jobs if ref in j.inputs]

    def writers(self, ref: DatasetRef) -> list[Job]:
        return [j for j in self.jobs if ref in j.outputs]

    def downstream(self, ref: DatasetRef) -> Iterator[tuple[int, Job, DatasetRef]]:
        """(depth, job, output) breadth first from `ref`, each job once."""
        yield from self._walk(ref, self.readers, lambda job: job.outputs)

    def upstream(self, ref: DatasetRef) -> Iterator[tuple[int, Job, DatasetRef]]:
        yield from self._walk(ref, self.writers, lambda job: job.inputs)

    def downstream_tree(self, ref: DatasetRef) -> Iterator[tuple[int, Job, DatasetRef]]:
        """(depth, job, output) depth first: each output right after the dataset its job reads,
        and before that dataset's next sibling, so indenting by depth draws the true tree."""
        yield from self._tree(ref, 0, self.readers, lambda job: job.outputs, set())

    def upstream_tree(self, ref: DatasetRef) -> Iterator[tuple[int, Job, DatasetRef]]:
        yield from self._tree(ref, 0, self.writers, lambda job: job.inputs, set())

    @classmethod
    def _tree(cls, ref: DatasetRef, depth: int, jobs_of: Any, ends_of: Any,
              seen_jobs: set[int]) -> Iterator[tuple[int, Job, DatasetRef]]:
        for job in jobs_of(ref):
            if id(job) in seen_jobs:
                continue
            seen_jobs.add(id(job))
            for end in ends_of(job):
                yield depth + 1, job, end
                yield from cls._tree(end, depth + 1, jobs_of, ends_of, seen_jobs)

    @staticmethod
    def _walk(start: DatasetRef, jobs_of: Any, ends_of: Any) -> Iterator[tuple[int, Job, DatasetRef]]:
        seen_jobs: set[int] = set()
        frontier = [(start, 0)]
        while frontier:
            ref, depth = frontier.pop(0)
            for job in jobs_of(ref):
                if id(job) in seen_jobs:
                    continue
                seen_jobs.add(id(job))
                for end in ends_of(job):
                    yield depth + 1, job, end
                    frontier.append((end, depth + 1))

    def level_warnings(self) -> list[str]:
        """One line per subject whose registry level differs from the declared one."""
        found = {d.schema.subject: d.schema.levels.mismatch(d.schema.subject)
                 for _, d in sorted(self.datasets.items()) if d.schema is not None}
        return [w for w in found.values() if w]

    def subject_topic(self, subject: str) -> DatasetRef | None:
        """The topic a `-value` subject names (TopicNameStrategy); else the first topic carrying it."""
        named = topic(subject.removesuffix("-value"))
        carrying = [d.ref for d in self.datasets.values()
                    if d.schema is not None and d.schema.subject == subject and d.ref.platform == "kafka"]
        return named if named in carrying else (carrying[0] if carrying else None)
