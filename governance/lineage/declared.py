"""Declared lineage: `lineage/*.yml`, the flows around Kafka that the sentinel cannot see.

    owners: [orders-team]                 # default owners of what this file declares
    tags: [shop]
    datasets:                             # metadata for datasets on any platform
      - dataset: postgres:shop.public.orders
        description: The shop's order table
        tags: [pii]
    jobs:
      - name: orders-warehouse-load
        flow: analytics                   # default: the file's name
        orchestrator: airflow             # DataHub platform of the flow (default: custom)
        inputs: [kafka:orders-valid]
        outputs: [snowflake:analytics.public.orders]
    connectors:                           # Kafka Connect configs (JSON), relative to this file
      - connect/orders-s3-sink.json

A dataset is `platform:name` with a DataHub platform name. Every mistake is
reported with the file and line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from governance.errors import GovernanceError
from governance.lineage.connect import load_connector
from governance.lineage.model import Dataset, DatasetRef, Job
from governance.yamldoc import Doc, load

PLATFORMS = frozenset({
    # DataHub's platform names (its data_platforms list and DataHub Lite's categories), and common others
    "airflow", "athena", "azure-data-factory", "bigquery", "cassandra", "clickhouse", "dagster", "databricks",
    "db2", "dbt", "delta-lake", "druid", "dynamodb", "elasticsearch", "feast", "file", "fivetran", "flink", "gcs",
    "glue", "hdfs", "hive", "iceberg", "kafka", "kafka-connect", "kinesis", "looker", "mariadb", "mongodb", "mssql",
    "mysql", "nifi", "opensearch", "oracle", "pinot", "postgres", "powerbi", "presto", "pulsar", "redshift", "s3",
    "sagemaker", "salesforce", "snowflake", "spark", "sqlite", "superset", "tableau", "teradata", "trino",
    "vertica", "custom",
})


@dataclass
class Declared:
    datasets: list[Dataset] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    references: list[tuple[DatasetRef, str]] = field(default_factory=list)
    """Each dataset a job names, with `file, line N` of where, for the check that it exists."""
    owners: tuple[str, ...] = ()
    """The file's own `owners` and `tags`: those of its whole flow."""
    tags: tuple[str, ...] = ()


_TOP = frozenset({"owners", "tags", "datasets", "jobs", "connectors"})
_DATASET = frozenset({"dataset", "description", "owners", "tags", "properties"})
_JOB = frozenset({"name", "flow", "orchestrator", "inputs", "outputs", "description", "owners", "tags", "properties"})


def load_declared(path: Path, known_topics: Callable[[str], list[str]] | None = None) -> Declared:
    doc, root = load(path, "lineage file")
    out = Declared()
    if root is None:
        return out
    top = doc.mapping(root, "the lineage file")
    doc.check_keys(top, "the lineage file", _TOP, (), root)
    owners = _strings(doc, top["owners"][1], "`owners`") if "owners" in top else ()
    tags = _strings(doc, top["tags"][1], "`tags`") if "tags" in top else ()
    out.owners, out.tags = owners, tags
    for node in doc.sequence(top["datasets"][1], "`datasets`") if "datasets" in top else ():
        m = doc.mapping(node, "an entry of `datasets`")
        doc.check_keys(m, "an entry of `datasets`", _DATASET, ("dataset",), node)
        ref = parse_ref(doc, m["dataset"][1])
        out.datasets.append(Dataset(
            ref, description=_text(doc, m, "description"),
            owners=_strings(doc, m["owners"][1], "`owners`") if "owners" in m else owners,
            tags=tuple(dict.fromkeys((*tags, *(_strings(doc, m["tags"][1], "`tags`") if "tags" in m else ())))),
            properties=_properties(doc, m), origin=f"{path}, line {node.start_mark.line + 1}"))
    for node in doc.sequence(top["jobs"][1], "`jobs`") if "jobs" in top else ():
        m = doc.mapping(node, "an entry of `jobs`")
        doc.check_keys(m, "an entry of `jobs`", _JOB, ("name",), node)
        name = doc.string(m["name"][1], "`name`")
        sides = {}
        for side in ("inputs", "outputs"):
            if side not in m or not doc.sequence(m[side][1], f"`{side}`"):
                raise doc.error(node, f"job `{name}` has no {side}: a job moves data from somewhere to somewhere")
            refs = []
            for item in doc.sequence(m[side][1], f"`{side}`"):
                ref = parse_ref(doc, item)
                refs.append(ref)
                out.references.append((ref, f"{path}, line {item.start_mark.line + 1}"))
            sides[side] = tuple(refs)
        orchestrator = doc.string(m["orchestrator"][1], "`orchestrator`") if "orchestrator" in m else "custom"
        if orchestrator not in PLATFORMS:
            raise doc.error(m["orchestrator"][1], _unknown_platform(orchestrator))
        out.jobs.append(Job(
            flow=doc.string(m["flow"][1], "`flow`") if "flow" in m else path.stem, name=name, kind="declared",
            orchestrator=orchestrator, inputs=sides["inputs"], outputs=sides["outputs"],
            description=_text(doc, m, "description"),
            owners=_strings(doc, m["owners"][1], "`owners`") if "owners" in m else owners,
            tags=tuple(dict.fromkeys((*tags, *(_strings(doc, m["tags"][1], "`tags`") if "tags" in m else ())))),
            properties=_properties(doc, m), origin=f"{path}, line {node.start_mark.line + 1}"))
    for node in doc.sequence(top["connectors"][1], "`connectors`") if "connectors" in top else ():
        config = path.parent / doc.string(node, "each of `connectors`")
        if not config.is_file():
            raise doc.error(node, f"connector config {config} does not exist")
        job = load_connector(config, known_topics)
        job.owners, job.tags = job.owners or owners, job.tags or tags
        out.jobs.append(job)
        out.references += [(ref, f"{config}") for ref in job.inputs if ref.platform == "kafka"]
    return out


def parse_ref(doc: Doc, node: yaml.Node) -> DatasetRef:
    value = doc.value(node)
    if isinstance(value, dict) and len(value) == 1:  # YAML read `postgres:` or `postgres: x` as a mapping
        (platform, name), = value.items()
        if name is None:
            raise doc.error(node, f"dataset `{platform}:` has no name after `{platform}:`")
        raise doc.error(node, f"write the dataset as `{platform}:{name}`, without a space after the colon")
    text = doc.string(node, "a dataset")
    platform, sep, name = text.partition(":")
    if not sep:
        raise doc.error(node, f"dataset `{text}` needs a platform: write `platform:name`, e.g. `kafka:{text}`")
    if platform not in PLATFORMS:
        raise doc.error(node, _unknown_platform(platform))
    if not name.strip():
        raise doc.error(node, f"dataset `{text}` has no name after `{platform}:`")
    return DatasetRef(platform, name.strip())


def _unknown_platform(platform: str) -> str:
    import difflib

    near = difflib.get_close_matches(platform, sorted(PLATFORMS), n=1)
    return (f"unknown platform `{platform}`{f' (did you mean `{near[0]}`?)' if near else ''}; "
            f"DataHub platform names: {', '.join(sorted(PLATFORMS))}")


def _strings(doc: Doc, node: yaml.Node, what: str) -> tuple[str, ...]:
    return tuple(doc.string(n, f"each of {what}") for n in doc.sequence(node, what))


def _text(doc: Doc, m: dict[str, tuple[yaml.Node, yaml.Node]], key: str) -> str | None:
    return doc.string(m[key][1], f"`{key}`") if key in m else None


def _properties(doc: Doc, m: dict[str, tuple[yaml.Node, yaml.Node]]) -> dict[str, str]:
    if "properties" not in m:
        return {}
    props = doc.mapping(m["properties"][1], "`properties`")
    return {k: str(doc.value(v)) for k, (_, v) in props.items()}


def check_references(declared: Declared, known: set[DatasetRef]) -> None:
    """A Kafka topic a job names must be one the project knows (governed, routed or declared)."""
    for ref, where in declared.references:
        if ref.platform == "kafka" and ref not in known:
            raise GovernanceError(f"{where}: topic `{ref.name}` is not a topic this project knows "
                                  "(no schema in schemas/, no pipeline in rules/, no declared dataset or job writes it)")


