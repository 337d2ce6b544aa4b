"""The lineage model in the terminal: `lineage show [TOPIC]` and `lineage impact SUBJECT`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from governance.errors import GovernanceError
from governance.lineage.model import DatasetRef, Estate, Job, topic


def job_label(job: Job, compliance: Mapping[str, str] | None = None) -> str:
    if job.kind == "sentinel":
        rules = len(job.assertions)
        health = f"; {compliance[job.name]}" if compliance and job.name in compliance else ""
        return f"sentinel {job.name} ({rules} rule{'s' if rules != 1 else ''}{health})"
    if job.kind == "connector":
        return f"connector {job.name}"
    return f"{job.orchestrator} {job.flow}/{job.name}"


def dataset_label(estate: Estate, ref: DatasetRef) -> str:
    dataset = estate.datasets.get(ref)
    if dataset is not None and dataset.schema is not None:
        s = dataset.schema
        version = f" v{s.version}" if s.version is not None else ""
        return f"{ref}  [{s.subject}{version}]"
    return str(ref)


def find_dataset(estate: Estate, name: str) -> DatasetRef:
    if ":" in name:
        platform, _, rest = name.partition(":")
        ref = DatasetRef(platform, rest)
    else:
        ref = topic(name)
    if ref not in estate.datasets:
        topics = sorted(r.name for r in estate.datasets if r.platform == "kafka")
        raise GovernanceError(f"{name} is not in the lineage", hint=f"known topics: {', '.join(topics)}")
    return ref


def show(estate: Estate, name: str | None = None, compliance: Mapping[str, str] | None = None) -> list[str]:
    if name is None:
        return _everything(estate, compliance)
    ref = find_dataset(estate, name)
    lines = [dataset_label(estate, ref)]
    up = list(estate.upstream_tree(ref))
    lines.append("  upstream:" if up else "  upstream: nothing known")
    for depth, job, source in up:
        lines.append(f"  {'  ' * depth}<- {dataset_label(estate, source)}  via {job_label(job, compliance)}")
    down = list(estate.downstream_tree(ref))
    lines.append("  downstream:" if down else "  downstream: nothing known")
    for depth, job, target in down:
        lines.append(f"  {'  ' * depth}-> {dataset_label(estate, target)}  via {job_label(job, compliance)}")
    return lines


def _everything(estate: Estate, compliance: Mapping[str, str] | None) -> list[str]:
    lines = []
    def depth(job: Job) -> int:
        return max((d for ref in job.inputs for d, _, _ in estate.upstream(ref)), default=0)

    for job in sorted(estate.jobs, key=lambda j: (depth(j), min(j.inputs), j.name)):
        lines.append(job_label(job, compliance))
        lines += [f"  <- {dataset_label(estate, r)}" for r in job.inputs]
        lines += [f"  -> {dataset_label(estate, r)}" for r in job.outputs]
    alone = sorted(r for r in estate.datasets if not estate.readers(r) and not estate.writers(r))
    if alone:
        lines.append("not connected to any job:")
        lines += [f"  {dataset_label(estate, r)}" for r in alone]
    return lines


def impact(estate: Estate, subject: str) -> list[str]:
    """What lies downstream of a subject's topic: pipelines, topics, sinks."""
    ref = estate.subject_topic(subject)
    if ref is None:
        subjects = sorted({d.schema.subject for d in estate.datasets.values() if d.schema is not None})
        raise GovernanceError(f"no topic in the lineage carries subject {subject}",
                              hint=f"subjects in the lineage: {', '.join(subjects)}")
    chain = impact_chain(estate, ref)
    lines = [f"{subject} is the value schema of {ref}"]
    if not chain:
        return lines + ["  nothing downstream is known (declare readers in lineage/*.yml)"] + owners_to_tell(estate, ref)
    for depth, job, target in estate.downstream_tree(ref):
        lines.append(f"{'  ' * depth}{job_label(job)} -> {dataset_label(estate, target)}")
    return lines + owners_to_tell(estate, ref)


def impact_chain(estate: Estate, ref: DatasetRef) -> str:
    """One sentence of who reads `ref` and where it flows: `read by sentinel orders, which feeds ...`."""
    readers = estate.readers(ref)
    if not readers:
        return ""
    parts = []
    for job in readers:
        ends = [str(t) for _, _, t in estate.downstream(ref) if t not in job.inputs]
        outputs = ", ".join(dict.fromkeys(ends))
        parts.append(f"{job_label(job)}, which feeds {outputs}" if outputs else job_label(job))
    return "read by " + "; ".join(parts)


def downstream_impacts(schemas_dir: Path, subjects: Iterable[str]) -> dict[str, str]:
    """Who reads each of `subjects` (`impact_chain`), from rules/ and lineage/ beside schemas/: what
    the gate adds to a breaking change (no registry, DataHub or GX)."""
    from governance.lineage.build import Sources, build_estate

    project = schemas_dir.resolve().parent
    estate = build_estate(Sources(schemas_dir, project / "rules", project / "lineage"))
    impacts = {}
    for subject in subjects:
        ref = estate.subject_topic(subject)
        if ref is not None and (chain := impact_chain(estate, ref)):
            impacts[subject] = chain
    return impacts


def owners_to_tell(estate: Estate, ref: DatasetRef) -> list[str]:
    """`owners to tell:` and, per owner, what they own of `ref` and everything downstream of it."""
    owned: dict[str, list[str]] = {}
    things: list[tuple[str, tuple[str, ...]]] = [(str(ref), estate.dataset(ref).owners)]
    for _, job, target in estate.downstream(ref):
        things += [(job_label(job), job.owners), (str(target), estate.dataset(target).owners)]
    for name, owners in things:
        for owner in owners:
            names = owned.setdefault(owner, [])
            if name not in names:
                names.append(name)
    if not owned:
        return ["owners to tell: none declared (owners: in lineage/*.yml or rules/*.yml)"]
    return ["owners to tell:"] + [f"  {owner}: {', '.join(names)}" for owner, names in owned.items()]
