"""Build the lineage model from what the project already knows: `schemas/` (and the
registry's subjects when one is reachable), the sentinel pipelines in `rules/`, and
the declared flows and connector configs in `lineage/`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.errors import GovernanceError
from governance.formats import UnsupportedSchemaType, format_for
from governance.lineage.declared import Declared, check_references, load_declared
from governance.lineage.levels import Levels, declared_levels, with_registry, workspace_levels
from governance.lineage.model import Assertion, Dataset, DatasetRef, Estate, FieldFlow, Job, TopicSchema, topic

if TYPE_CHECKING:
    from governance.workspace import Workspace


@dataclass(frozen=True)
class Sources:
    """Where the estate is read from; paths default to the project's own folders."""

    schemas: Path | None = None
    rules: Path | None = None
    lineage: Path | None = None
    registry_url: str | None = None
    registry_subjects: bool = False
    """Every `-value` subject of the registry as a topic; otherwise the registry only tells
    more (ids, versions, levels) about the governed estate of schemas/, rules/ and lineage/."""


def project_estate(project: Path, registry_url: str | None = None, registry_subjects: bool = False) -> Estate:
    """The estate of a project folder: its schemas/, rules/ and lineage/."""
    return build_estate(Sources(project / "schemas", project / "rules", project / "lineage", registry_url,
                                registry_subjects))


def build_estate(sources: Sources) -> Estate:
    estate = Estate()
    rules = sorted(sources.rules.glob("*.yml")) if sources.rules is not None and sources.rules.is_dir() else []
    if sources.schemas is not None and sources.schemas.is_dir():
        _add_schema_files(estate, sources.schemas)
    registry = _registry(sources.registry_url) if sources.registry_url else None
    registered: set[str] = set(registry.call("GET", "/subjects")) if registry is not None else set()
    if registry is not None:
        wanted = ({s: s.removesuffix("-value") for s in registered if s.endswith("-value")}
                  if sources.registry_subjects else _governed_subjects(estate, rules))
        for subject, topic_name in sorted(wanted.items()):
            if subject in registered:
                _add_subject(estate, registry, subject, topic_name)
    for path in rules:
        _add_pipeline(estate, path, sources.registry_url)
    if sources.lineage is not None and sources.lineage.is_dir():
        _add_declared(estate, sorted(sources.lineage.glob("*.yml")))
    for ref, dataset in sorted(estate.datasets.items()):  # declared topics the registry knows a schema for
        if registry is not None and ref.platform == "kafka" and dataset.schema is None and f"{ref.name}-value" in registered:
            _add_subject(estate, registry, f"{ref.name}-value", ref.name)
    return estate


def _governed_subjects(estate: Estate, rules: list[Path]) -> dict[str, str]:
    """Subject -> topic for the subjects of schemas/ and those the pipelines of rules/ read."""
    from governance.sentinel.pipeline import load_pipeline

    wanted = {d.schema.subject: d.ref.name for d in estate.datasets.values() if d.schema is not None}
    for path in rules:
        pipeline = load_pipeline(path, check_rules=False)
        wanted.setdefault(pipeline.subject or f"{pipeline.sources[0]}-value", pipeline.sources[0])
    return wanted


def add_partitions(estate: Estate, settings: Any, timeout: float = 10.0) -> bool:
    """Each Kafka topic's partition count from the cluster; False when it cannot be reached."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    from governance.kafka.logs import client_logger

    try:
        topics = AdminClient(settings.client_config(logger=client_logger())).list_topics(timeout=timeout).topics
    except KafkaException:
        return False
    for ref, dataset in estate.datasets.items():
        if ref.platform == "kafka" and ref.name in topics and topics[ref.name].error is None:
            dataset.partitions = len(topics[ref.name].partitions)
    return True


def _add_schema_files(estate: Estate, folder: Path) -> None:
    from governance.workspace import load_workspace

    workspace = load_workspace(folder)  # schemas/ and subjects.yml as the gate reads them
    for subject, text in workspace.texts.items():
        if not subject.endswith("-value"):
            continue
        path = workspace.path(subject)
        schema_type = workspace.schema_type(subject)
        references = _workspace_references(workspace, subject)
        dataset = estate.dataset(topic(subject.removesuffix("-value")))
        dataset.schema = TopicSchema(subject, text, levels=workspace_levels(workspace, subject), origin=str(path),
                                     schema_type=schema_type, references=tuple(references.items()))
        dataset.description = format_for(schema_type).describe(text, references).doc
        dataset.origin = str(path)


def _workspace_references(workspace: Workspace, subject: str) -> dict[str, str]:
    """Reference name -> text of the schemas/ files subjects.yml says `subject` refers to, references of
    references included (as the gate resolves them)."""
    out: dict[str, str] = {}
    pending, seen = list(workspace.references(subject)), {subject}
    while pending:
        ref = pending.pop()
        if ref.subject in seen or ref.subject not in workspace.texts:
            continue
        seen.add(ref.subject)
        out[ref.name] = workspace.texts[ref.subject]
        pending += workspace.references(ref.subject)
    return out


def _registry(url: str) -> Any:
    from governance.registry.client import RegistryClient

    return RegistryClient(url, unreachable_hint="check --registry / $GOVERNANCE_REGISTRY_URL, or leave it out")


def _add_subject(estate: Estate, registry: Any, subject: str, topic_name: str, declared: Levels = Levels()) -> None:
    from governance.registry.client import RegistryClientError, references_of, subject_path

    try:
        latest = registry.call("GET", f"/subjects/{subject_path(subject)}/versions/latest")
    except RegistryClientError as e:
        if e.code == 40401:
            return
        raise
    try:
        schema_format = format_for(latest.get("schemaType"))
    except UnsupportedSchemaType:
        return
    dataset = estate.dataset(topic(topic_name))
    levels = dataset.schema.levels if dataset.schema is not None and dataset.schema.subject == subject else declared
    try:
        levels = with_registry(levels, registry, subject)
    except RegistryClientError:
        pass

    def fetch(referenced: str, version: str) -> Any:
        return registry.call("GET", f"/subjects/{subject_path(referenced)}/versions/{version}")

    text = schema_format.datahub_document(latest["schema"], latest.get("references") or [], fetch)
    references = references_of(registry, subject, [str(latest["version"])]) if latest.get("references") else {}
    dataset.schema = TopicSchema(subject, text, latest.get("version"), latest.get("id"), levels, registry.url,
                                 schema_format.schema_type, tuple(references.items()))
    dataset.description = dataset.description or schema_format.describe(latest["schema"], references).doc
    dataset.origin = dataset.origin or registry.url


def pipeline_estate(path: Path, registry_url: str | None) -> Estate:
    """One sentinel pipeline's part of the estate (its job, topics and rules), with the
    source's registered schema: what a running sentinel reports about itself."""
    from governance.sentinel.pipeline import load_pipeline

    estate = Estate()
    pipeline = load_pipeline(path, check_rules=False)
    if registry_url and pipeline.subject:
        declared = declared_levels(path.parent.parent / "schemas", pipeline.subject)
        _add_subject(estate, _registry(registry_url), pipeline.subject, pipeline.sources[0], declared)
    _add_pipeline(estate, path, registry_url)
    _flow_metadata_from_project(estate, path.parent.parent)
    return estate


def _flow_metadata_from_project(estate: Estate, project: Path) -> None:
    """The owners and tags `lineage/` beside the pipeline's rules/ gives its job and topics
    (as `lineage emit` publishes them), so that the sentinel's own reports do not drop them."""
    if not (project / "lineage").is_dir():
        return
    try:
        whole = build_estate(Sources(project / "schemas", project / "rules", project / "lineage"))
    except GovernanceError:
        return  # `lineage show` and `lineage emit` report what is wrong with the project's files
    for job in estate.jobs:
        for same in (j for j in whole.jobs if (j.kind, j.name) == (job.kind, job.name)):
            job.owners, job.tags = same.owners, same.tags
    for ref, dataset in estate.datasets.items():
        if ref in whole.datasets:
            dataset.owners, dataset.tags = whole.datasets[ref].owners, whole.datasets[ref].tags


def _add_pipeline(estate: Estate, path: Path, registry_url: str | None = None) -> None:
    from governance.sentinel.pipeline import load_pipeline

    pipeline = load_pipeline(path, check_rules=False)
    sources = tuple(topic(s) for s in pipeline.sources)
    valid, dlq = topic(pipeline.valid_topic), topic(pipeline.dlq_topic)
    first = estate.dataset(sources[0])
    for ref in (*sources, valid, dlq):
        estate.dataset(ref)
    flows: list[FieldFlow] = []
    if first.schema is not None:
        # The valid topic holds the source's records byte for byte: same schema, same fields.
        estate.dataset(valid).schema = first.schema
        described = format_for(first.schema.schema_type).describe(first.schema.text, first.schema.reference_texts)
        flows = [FieldFlow(sources[0], f, valid, f) for f in described.leaf_fields]
    estate.dataset(dlq).description = (f"Dead letters of sentinel pipeline {pipeline.name}: records of "
                                       f"{', '.join(pipeline.sources)} that failed a critical rule or did not decode")
    assertions = tuple(
        Assertion(rule.name, rule.expectation_type, dict(rule.kwargs), rule.severity, sources[0], window)
        for window, rules in ((False, pipeline.record_rules), (True, pipeline.window_rules)) for rule in rules
    ) + _contract_assertions(pipeline, registry_url, sources[0])
    estate.jobs.append(Job(
        flow="sentinel", name=pipeline.name, kind="sentinel", orchestrator="governance",
        inputs=sources, outputs=(valid, dlq),
        description=f"Quality sentinel: validates {', '.join(pipeline.sources)} with {len(assertions)} rules; "
                    f"valid records to {pipeline.valid_topic}, invalid to {pipeline.dlq_topic}",
        properties={"pipeline_file": f"{path.parent.name}/{path.name}", "guarantee": pipeline.guarantee,
                    "value_format": pipeline.value_format, "kpi_topic": pipeline.kpi_topic,
                    **({"subject": pipeline.subject} if pipeline.subject else {})},
        field_flows=tuple(flows), assertions=assertions, owners=pipeline.owners, tags=pipeline.tags, origin=str(path)))


def _contract_assertions(pipeline: Any, registry_url: str | None, dataset: DatasetRef) -> tuple[Assertion, ...]:
    """The data-contract rules the sentinel enforces on the source (its subject's versions' ruleSets), one
    assertion per rule as the latest version that has it says; none without a registry or when the
    contracts cannot be read (the sentinel says why when it starts)."""
    if registry_url is None or pipeline.value_format == "json":
        return ()
    from governance.sentinel.contracts import subject_contracts

    try:
        contracts = subject_contracts(pipeline, registry_url)
    except GovernanceError:
        return ()
    latest = {r.name: (c.subject, r) for c in contracts for r in c.rules}
    return tuple(Assertion(name, r.type, {"expr": r.expr, "mode": r.declared, "onFailure": r.on_failure,
                                          "subject": subject}, r.severity, dataset)
                 for name, (subject, r) in latest.items())


def _add_declared(estate: Estate, files: list[Path]) -> None:
    declared = []
    for path in files:
        found = load_declared(path, lambda pattern: sorted(
            d.ref.name for d in estate.datasets.values() if d.ref.platform == "kafka" and re.fullmatch(pattern, d.ref.name)))
        declared.append(found)
        for dataset in found.datasets:
            known = estate.dataset(dataset.ref)
            known.description = dataset.description or known.description
            known.owners = dataset.owners or known.owners
            known.tags = tuple(dict.fromkeys((*known.tags, *dataset.tags)))
            known.properties.update(dataset.properties)
            known.origin = known.origin or dataset.origin
        estate.jobs.extend(found.jobs)
    known_refs = set(estate.datasets) | {ref for job in estate.jobs for ref in job.outputs}
    for found in declared:
        check_references(found, known_refs)
    for job in estate.jobs:
        for ref in (*job.inputs, *job.outputs):
            estate.dataset(ref)
    _carry_flow_metadata(estate, declared)


def _carry_flow_metadata(estate: Estate, declared: list[Declared]) -> None:
    """Each lineage file's owners and tags on every dataset and job of its flow: what the file
    declares, and the topics and sentinel pipelines connected to it. Something with owners of its
    own keeps them; otherwise it gets those of every flow it is part of. Tags add up."""
    owners: dict[object, dict[str, None]] = {}
    tags: dict[object, dict[str, None]] = {}
    items: dict[object, Dataset | Job] = {}
    for found in declared:
        if not found.owners and not found.tags:
            continue
        for key, item in _flow(estate, found).items():
            items[key] = item
            owners.setdefault(key, {}).update(dict.fromkeys(found.owners))
            tags.setdefault(key, {}).update(dict.fromkeys(found.tags))
    for key, item in items.items():
        item.owners = item.owners or tuple(owners[key])
        item.tags = tuple(dict.fromkeys((*item.tags, *tags[key])))


def _flow(estate: Estate, found: Declared) -> dict[object, Dataset | Job]:
    """The datasets and jobs of one lineage file's flow, keyed by ref or job identity."""
    own = [job for job in estate.jobs if any(job is j for j in found.jobs)]
    out: dict[object, Dataset | Job] = {id(job): job for job in own}
    frontier = [d.ref for d in found.datasets] + [ref for job in own for ref in (*job.inputs, *job.outputs)]
    while frontier:
        ref = frontier.pop()
        if ref in out:
            continue
        out[ref] = estate.dataset(ref)
        for job in (*estate.readers(ref), *estate.writers(ref)):
            if job.kind == "sentinel" and id(job) not in out:
                out[id(job)] = job
                frontier += [*job.inputs, *job.outputs]
    return out
