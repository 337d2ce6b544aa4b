"""Build the lineage model from what the project already knows: `schemas/` (and the
registry's subjects when one is reachable), the sentinel pipelines in `rules/`, and
the declared flows and connector configs in `lineage/`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from governance.lineage.declared import Declared, check_references, load_declared
from governance.lineage.levels import Levels, declared_levels, with_registry, workspace_levels
from governance.lineage.model import Assertion, Dataset, Estate, FieldFlow, Job, TopicSchema, topic


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
        _add_pipeline(estate, path)
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
    from governance.gate.inputs import load_workspace

    workspace = load_workspace(folder)  # the gate's reading of schemas/ and subjects.yml
    for subject, text in workspace.texts.items():
        if not subject.endswith("-value"):
            continue
        path = workspace.path(subject)
        dataset = estate.dataset(topic(subject.removesuffix("-value")))
        dataset.schema = TopicSchema(subject, text, levels=workspace_levels(workspace, subject), origin=str(path))
        dataset.description = _doc_of(text)
        dataset.origin = str(path)


def _registry(url: str) -> Any:
    from governance.registry.client import RegistryClient

    return RegistryClient(url, unreachable_hint="check --registry / $GOVERNANCE_REGISTRY_URL, or leave it out")


def _add_subject(estate: Estate, registry: Any, subject: str, topic_name: str, declared: Levels = Levels()) -> None:
    from governance.registry.client import RegistryClientError, subject_path

    try:
        latest = registry.call("GET", f"/subjects/{subject_path(subject)}/versions/latest")
    except RegistryClientError as e:
        if e.code == 40401:
            return
        raise
    if latest.get("schemaType", "AVRO") != "AVRO":
        return
    dataset = estate.dataset(topic(topic_name))
    levels = dataset.schema.levels if dataset.schema is not None and dataset.schema.subject == subject else declared
    try:
        levels = with_registry(levels, registry, subject)
    except RegistryClientError:
        pass
    text = latest["schema"]
    if latest.get("references"):
        text = json.dumps(_inline_references(registry, json.loads(text), latest["references"], set()))
    dataset.schema = TopicSchema(subject, text, latest.get("version"), latest.get("id"), levels, registry.url)
    dataset.description = dataset.description or _doc_of(latest["schema"])
    dataset.origin = dataset.origin or registry.url


def _inline_references(registry: Any, schema: Any, references: list[dict[str, Any]], seen: set[str]) -> Any:
    """The schema with each referenced named type defined where it is first used, as DataHub's
    own Kafka source does: DataHub's Avro reader knows nothing of Schema Registry references."""
    from governance.registry.client import subject_path

    definitions: dict[str, Any] = {}
    for reference in references:
        name, subject = str(reference.get("name")), str(reference.get("subject"))
        if name in seen:
            continue
        seen.add(name)
        answer = registry.call("GET", f"/subjects/{subject_path(subject)}/versions/{reference.get('version', 'latest')}")
        definitions[name] = _inline_references(registry, json.loads(answer["schema"]), answer.get("references") or [], seen)
    pending = dict(definitions)

    def expand(node: Any) -> Any:
        if isinstance(node, str):
            for name in list(pending):
                if node == name or name.endswith("." + node):
                    return pending.pop(name)
            return node
        if isinstance(node, list):
            return [expand(n) for n in node]
        if isinstance(node, dict):
            out = dict(node)
            for key in ("type", "items", "values"):
                if key in out:
                    out[key] = expand(out[key])
            if isinstance(out.get("fields"), list):
                out["fields"] = [expand(f) for f in out["fields"]]
            return out
        return node

    return expand(schema)


def pipeline_estate(path: Path, registry_url: str | None) -> Estate:
    """One sentinel pipeline's part of the estate (its job, topics and rules), with the
    source's registered schema: what a running sentinel reports about itself."""
    from governance.sentinel.pipeline import load_pipeline

    estate = Estate()
    pipeline = load_pipeline(path, check_rules=False)
    if registry_url and pipeline.subject:
        declared = declared_levels(path.parent.parent / "schemas", pipeline.subject)
        _add_subject(estate, _registry(registry_url), pipeline.subject, pipeline.sources[0], declared)
    _add_pipeline(estate, path)
    _flow_metadata_from_project(estate, path.parent.parent)
    return estate


def _flow_metadata_from_project(estate: Estate, project: Path) -> None:
    """The owners and tags `lineage/` beside the pipeline's rules/ gives its job and topics
    (as `lineage emit` publishes them), so that the sentinel's own reports do not drop them."""
    from governance.errors import GovernanceError

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


def _add_pipeline(estate: Estate, path: Path) -> None:
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
        flows = [FieldFlow(sources[0], f, valid, f) for f in field_paths(first.schema.text)]
    estate.dataset(dlq).description = (f"Dead letters of sentinel pipeline {pipeline.name}: records of "
                                       f"{', '.join(pipeline.sources)} that failed a critical rule or did not decode")
    assertions = tuple(
        Assertion(rule.name, rule.expectation_type, dict(rule.kwargs), rule.severity, sources[0], window)
        for window, rules in ((False, pipeline.record_rules), (True, pipeline.window_rules)) for rule in rules)
    estate.jobs.append(Job(
        flow="sentinel", name=pipeline.name, kind="sentinel", orchestrator="governance",
        inputs=sources, outputs=(valid, dlq),
        description=f"Quality sentinel: validates {', '.join(pipeline.sources)} with {len(assertions)} rules; "
                    f"valid records to {pipeline.valid_topic}, invalid to {pipeline.dlq_topic}",
        properties={"pipeline_file": f"{path.parent.name}/{path.name}", "guarantee": pipeline.guarantee,
                    "value_format": pipeline.value_format, "kpi_topic": pipeline.kpi_topic,
                    **({"subject": pipeline.subject} if pipeline.subject else {})},
        field_flows=tuple(flows), assertions=assertions, owners=pipeline.owners, tags=pipeline.tags, origin=str(path)))


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


def field_paths(schema_text: str) -> list[str]:
    """Dotted paths of a record schema's leaf fields (nested records walked), in order."""
    try:
        schema = json.loads(schema_text)
    except ValueError:
        return []
    out: list[str] = []
    _leaves(schema, "", out, {}, 0)
    return out


def field_tags(schema_text: str) -> dict[str, tuple[str, ...]]:
    """Dotted field path -> the field's `tags` property (`"tags": ["pii"]`), as DataHub reads them."""
    try:
        schema = json.loads(schema_text)
    except ValueError:
        return {}
    out: dict[str, tuple[str, ...]] = {}

    def walk(node: object, prefix: str, depth: int) -> None:
        if depth > 16 or not isinstance(node, dict) or node.get("type") not in ("record", "error"):
            return
        for f in node.get("fields", ()):
            if not isinstance(f, dict) or not isinstance(f.get("name"), str):
                continue
            if isinstance(f.get("tags"), list):
                out[prefix + f["name"]] = tuple(str(t) for t in f["tags"])
            for branch in f["type"] if isinstance(f.get("type"), list) else [f.get("type")]:
                walk(branch, f"{prefix}{f['name']}.", depth + 1)

    walk(schema, "", 0)
    return out


def _leaves(schema: object, prefix: str, out: list[str], named: dict[str, object], depth: int) -> None:
    if depth > 16 or not isinstance(schema, dict) or schema.get("type") not in ("record", "error"):
        return
    if isinstance(schema.get("name"), str):
        named[schema["name"]] = schema
    for f in schema.get("fields", ()):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            continue
        branches = f["type"] if isinstance(f.get("type"), list) else [f.get("type")]
        records = [named.get(b, b) if isinstance(b, str) else b for b in branches]
        records = [r for r in records if isinstance(r, dict) and r.get("type") in ("record", "error")]
        if records:
            for record in records:
                _leaves(record, f"{prefix}{f['name']}.", out, named, depth + 1)
        else:
            out.append(prefix + f["name"])


def _doc_of(schema_text: str) -> str | None:
    try:
        schema = json.loads(schema_text)
    except ValueError:
        return None
    return schema.get("doc") if isinstance(schema, dict) and isinstance(schema.get("doc"), str) else None
