"""The lineage model in DataHub's own model: the one place that maps it, with
acryl-datahub's classes, URN helpers and (for quality rules) its GX plugin's own
`build_assertion_info`, so that our assertions are the ones DataHub's GX
integration would make.

- topics: datasets on platform `kafka` with SchemaMetadata (KafkaSchema with the
  schema's text, fields from its format's `datahub_fields`: for Avro DataHub's
  `avro_schema_to_mce_fields`, errors surfacing, for Protobuf DataHub's `protobuf_util`
  on our descriptor; a rule's column is found among them by `datahub_columns`), DatasetProperties
  (subject, schema id and version, partitions; `compatibility` the declared level of schemas/,
  the registry's own beside it as `registry_compatibility`), SubTypes Topic, Status,
  and Ownership / GlobalTags from declared metadata; field `doc`s become field
  descriptions and a field's `tags` property its tags (e.g. `"tags": ["PII"]`);
- jobs: a DataFlow and a DataJob with DataJobInputOutput, and UpstreamLineage on every
  output (merged across jobs: DataHub replaces an aspect whole), with field-level
  lineage from each source field to the same field of a sentinel's valid topic;
- rules: an assertion per expectation, its URN a guid of platform, type, parameters,
  dataset and field as DataHub's GX plugin makes it; per window an AssertionRunEvent
  on the dataset (DataHub issue #18832) with the window's figures.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import datahub.emitter.mce_builder as builder
from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.emitter.serialization_helper import pre_json_transform
from datahub.metadata import schema_classes as m

from governance.errors import GovernanceError
from governance.formats import format_for
from governance.lineage.model import Assertion, Dataset, DatasetRef, Estate, FieldFlow, Job

GX_PLATFORM = "great-expectations"
SENTINEL_SUITE = "sentinel"


@dataclass(frozen=True)
class DataHubOptions:
    env: str = "PROD"
    platform_instance: str | None = None
    """The Kafka cluster's platform instance, for estates with several clusters."""


class Mapper:
    def __init__(self, estate: Estate, options: DataHubOptions = DataHubOptions()) -> None:
        self.estate, self.options = estate, options
        self._fields: dict[DatasetRef, list[m.SchemaFieldClass]] = {}
        self._columns: dict[DatasetRef, dict[str, str]] = {}

    # -- URNs ----------------------------------------------------------------------

    def dataset_urn(self, ref: DatasetRef) -> str:
        instance = self.options.platform_instance if ref.platform == "kafka" else None
        return builder.make_dataset_urn_with_platform_instance(ref.platform, ref.name, instance, self.options.env)

    def flow_urn(self, job: Job) -> str:
        return builder.make_data_flow_urn(job.orchestrator, job.flow, self.options.env.lower())

    def job_urn(self, job: Job) -> str:
        return builder.make_data_job_urn_with_flow(self.flow_urn(job), job.name)

    def field_urns(self, assertion: Assertion) -> list[str] | None:
        """The column's schemaField as DataHub's GX plugin links it (`make_schema_field_urn` with the
        dataset's field path): for a topic, the v2 path of its schema's field, e.g.
        `[version=2.0].[type=Order].[type=Address].shippingAddress.[type=string].zip`; the simple
        path where the schema is unknown (JSON pipelines)."""
        column = assertion.column
        if column is None:
            return None
        return [builder.make_schema_field_urn(self.dataset_urn(assertion.dataset), self.field_path(assertion.dataset, column))]

    def field_path(self, ref: DatasetRef, column: str) -> str:
        """The dataset's schema field path for a dotted column (`shippingAddress.zip`)."""
        return self._v2_path(ref, column)

    def assertion_urn(self, assertion: Assertion) -> str:
        """As `datahub_gx_plugin.common.build_assertions_with_results` makes it."""
        return builder.make_assertion_urn(builder.datahub_guid(pre_json_transform({
            "platform": GX_PLATFORM,
            "nativeType": assertion.expectation_type,
            "nativeParameters": dict(assertion.kwargs),
            "dataset": self.dataset_urn(assertion.dataset),
            "fields": self.field_urns(assertion),
        })))

    # -- the estate ------------------------------------------------------------------

    def mcps(self) -> list[MetadataChangeProposalWrapper]:
        out: list[MetadataChangeProposalWrapper] = []
        for ref in sorted(self.estate.datasets):
            out += self.dataset_mcps(self.estate.datasets[ref])
        for job in sorted(self.estate.jobs, key=lambda j: (j.orchestrator, j.flow, j.name)):
            out += self.job_mcps(job)
        out += self.lineage_mcps()
        for job in self.estate.jobs:
            for assertion in job.assertions:
                out += self.assertion_mcps(assertion, job)
        return out

    def dataset_mcps(self, dataset: Dataset) -> list[MetadataChangeProposalWrapper]:
        urn = self.dataset_urn(dataset.ref)
        properties = dict(dataset.properties)
        aspects: list[Any] = []
        if dataset.schema is not None:
            s = dataset.schema
            properties["subject"] = s.subject
            levels = s.levels
            for key, value in (("schema_id", s.schema_id), ("schema_version", s.version),
                               ("compatibility", levels.published),
                               ("compatibility_declared_in", levels.declared_by if levels.declared else None),
                               ("registry_compatibility", levels.effective),
                               ("registry_compatibility_inherited",
                                str(levels.inherited).lower() if levels.effective else None)):
                if value is not None:
                    properties[key] = str(value)
            aspects.append(m.SchemaMetadataClass(
                schemaName=s.subject, platform=builder.make_data_platform_urn("kafka"), version=s.version or 0,
                hash=hashlib.md5(s.text.encode()).hexdigest(),
                platformSchema=m.KafkaSchemaClass(documentSchema=s.text, documentSchemaType=s.schema_type),
                fields=self._schema_fields(dataset.ref)))
        if dataset.partitions is not None:
            properties["partitions"] = str(dataset.partitions)
        aspects.append(m.DatasetPropertiesClass(name=dataset.ref.name, description=dataset.description,
                                                customProperties=properties))
        if dataset.ref.platform == "kafka":
            aspects.append(m.SubTypesClass(typeNames=["Topic"]))
            if self.options.platform_instance:
                aspects.append(m.DataPlatformInstanceClass(
                    platform=builder.make_data_platform_urn("kafka"),
                    instance=builder.make_dataplatform_instance_urn("kafka", self.options.platform_instance)))
        aspects.append(m.StatusClass(removed=False))
        aspects += self._ownership_and_tags(dataset.owners, dataset.tags)
        return [MetadataChangeProposalWrapper(entityUrn=urn, aspect=a) for a in aspects]

    def job_mcps(self, job: Job) -> list[MetadataChangeProposalWrapper]:
        flow, urn = self.flow_urn(job), self.job_urn(job)
        properties = {"kind": job.kind, **job.properties}
        io = m.DataJobInputOutputClass(
            inputDatasets=[self.dataset_urn(r) for r in job.inputs],
            outputDatasets=[self.dataset_urn(r) for r in job.outputs],
            fineGrainedLineages=self._fine_grained(job.field_flows) or None)
        return [
            MetadataChangeProposalWrapper(entityUrn=flow, aspect=m.DataFlowInfoClass(name=job.flow, env=self.options.env)),
            MetadataChangeProposalWrapper(entityUrn=flow, aspect=m.StatusClass(removed=False)),
            MetadataChangeProposalWrapper(entityUrn=urn, aspect=m.DataJobInfoClass(
                name=job.name, type="STREAMING" if job.kind != "declared" else "BATCH", flowUrn=flow,
                description=job.description, customProperties=properties, env=self.options.env)),
            MetadataChangeProposalWrapper(entityUrn=urn, aspect=io),
            MetadataChangeProposalWrapper(entityUrn=urn, aspect=m.StatusClass(removed=False)),
            *(MetadataChangeProposalWrapper(entityUrn=urn, aspect=a) for a in self._ownership_and_tags(job.owners, job.tags)),
        ]

    def lineage_mcps(self) -> list[MetadataChangeProposalWrapper]:
        """One UpstreamLineage per written dataset, from every job that writes it."""
        by_target: dict[DatasetRef, tuple[dict[DatasetRef, None], list[m.FineGrainedLineageClass]]] = {}
        for job in self.estate.jobs:
            for output in job.outputs:
                upstreams, fine = by_target.setdefault(output, ({}, []))
                upstreams.update(dict.fromkeys(job.inputs))
                fine += self._fine_grained([f for f in job.field_flows if f.target == output])
        return [
            MetadataChangeProposalWrapper(entityUrn=self.dataset_urn(target), aspect=m.UpstreamLineageClass(
                upstreams=[m.UpstreamClass(dataset=self.dataset_urn(u), type=m.DatasetLineageTypeClass.TRANSFORMED)
                           for u in upstreams],
                fineGrainedLineages=fine or None))
            for target, (upstreams, fine) in sorted(by_target.items())
        ]

    def assertion_mcps(self, assertion: Assertion, job: Job) -> list[MetadataChangeProposalWrapper]:
        from datahub_gx_plugin.common import build_assertion_info

        urn = self.assertion_urn(assertion)
        info = build_assertion_info(
            assertion.expectation_type, dict(assertion.kwargs), self.dataset_urn(assertion.dataset),
            self.field_urns(assertion), f"{SENTINEL_SUITE}-{job.name}",
            description=f"{assertion.rule} ({assertion.severity}{', per window' if assertion.window else ''})",
            extra_custom_properties={"rule": assertion.rule, "severity": assertion.severity,
                                     "pipeline": job.name, "window": str(assertion.window).lower()})
        return [
            MetadataChangeProposalWrapper(entityUrn=urn, aspect=info),
            MetadataChangeProposalWrapper(entityUrn=urn, aspect=m.DataPlatformInstanceClass(
                platform=builder.make_data_platform_urn(GX_PLATFORM))),
        ]

    # -- results ---------------------------------------------------------------------

    def window_results(self, job: Job, kpi: Mapping[str, Any]) -> list[MetadataChangeProposalWrapper]:
        """A sentinel KPI record (one process, one window) as one AssertionRunEvent per rule."""
        window = kpi["window"]
        run_id = f"{job.name}/{kpi['window_start']}/{kpi['instance']}"
        observed = {e["rule"]: e for e in kpi.get("window_expectations", ())}
        figures = {k: json.dumps(window.get(k)) for k in ("records_in", "valid", "invalid", "schema_failures", "valid_share",
                                                         "schema_conformant_share", "dlq_rate", "invalid_records_per_minute")}
        figures["instance"] = kpi["instance"]
        events = []
        for assertion in job.assertions:
            if assertion.window:
                verdict = observed.get(assertion.rule)
                if verdict is None:
                    continue
                value = json.loads(verdict["observed_value"]) if verdict.get("observed_value") else None
                success, unexpected = bool(verdict["success"]), None
                native = {**figures, **({"observed_value": str(value)} if value is not None else {})}
            else:
                unexpected = int(window["rule_failures"].get(assertion.rule, 0))
                success = unexpected == 0
                value = None
                native = figures
            events.append(MetadataChangeProposalWrapper(entityUrn=self.assertion_urn(assertion), aspect=m.AssertionRunEventClass(
                timestampMillis=int(kpi["window_end"]), runId=run_id, assertionUrn=self.assertion_urn(assertion),
                asserteeUrn=self.dataset_urn(assertion.dataset), status=m.AssertionRunStatusClass.COMPLETE,
                partitionSpec=m.PartitionSpecClass(partition=f"window {kpi['window_start']}-{kpi['window_end']}",
                                                   type=m.PartitionTypeClass.PARTITION,
                                                   timePartition=m.TimeWindowClass(
                                                       startTimeMillis=int(kpi["window_start"]),
                                                       length=m.TimeWindowSizeClass(
                                                           unit=m.CalendarIntervalClass.SECOND,
                                                           multiple=max(1, int(kpi["window_end"] - kpi["window_start"]) // 1000)))),
                result=m.AssertionResultClass(
                    type=m.AssertionResultTypeClass.SUCCESS if success else m.AssertionResultTypeClass.FAILURE,
                    rowCount=int(window["records_in"] - window["schema_failures"]),
                    unexpectedCount=unexpected,
                    actualAggValue=float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None,
                    nativeResults=native))))
        return events

    # -- helpers ---------------------------------------------------------------------

    def _schema_fields(self, ref: DatasetRef) -> list[m.SchemaFieldClass]:
        if ref not in self._fields:
            dataset = self.estate.datasets.get(ref)
            if dataset is None or dataset.schema is None:
                self._fields[ref] = []
            else:
                schema_format = format_for(dataset.schema.schema_type)
                try:
                    self._fields[ref] = schema_format.datahub_fields(dataset.schema.text, dataset.schema.reference_texts)
                except Exception as e:  # DataHub's parser rejects what Avro Java would accept, now and then
                    raise GovernanceError(
                        f"{dataset.schema.origin or dataset.schema.subject}: DataHub cannot read this "
                        f"{schema_format.label} schema ({type(e).__name__}: {e})",
                        hint="fix the schema, or leave it out of the emitted estate") from None
        return self._fields[ref]

    def _v2_path(self, ref: DatasetRef, column: str) -> str:
        if ref not in self._columns:
            fields, dataset = self._schema_fields(ref), self.estate.datasets.get(ref)
            self._columns[ref] = ({} if dataset is None or dataset.schema is None else format_for(
                dataset.schema.schema_type).datahub_columns(dataset.schema.text, fields, dataset.schema.reference_texts))
        return self._columns[ref].get(column, column)

    def _fine_grained(self, flows: Sequence[FieldFlow]) -> list[m.FineGrainedLineageClass]:
        return [m.FineGrainedLineageClass(
            upstreamType=m.FineGrainedLineageUpstreamTypeClass.FIELD_SET,
            downstreamType=m.FineGrainedLineageDownstreamTypeClass.FIELD,
            upstreams=[builder.make_schema_field_urn(self.dataset_urn(f.source), self._v2_path(f.source, f.source_field))],
            downstreams=[builder.make_schema_field_urn(self.dataset_urn(f.target), self._v2_path(f.target, f.target_field))],
            transformOperation="IDENTITY") for f in flows]

    @staticmethod
    def _ownership_and_tags(owners: Iterable[str], tags: Iterable[str]) -> list[Any]:
        aspects: list[Any] = []
        owners, tags = list(owners), list(tags)
        if owners:
            aspects.append(m.OwnershipClass(owners=[
                m.OwnerClass(owner=_owner_urn(o), type=m.OwnershipTypeClass.TECHNICAL_OWNER) for o in owners]))
        if tags:
            aspects.append(m.GlobalTagsClass(tags=[m.TagAssociationClass(tag=builder.make_tag_urn(t)) for t in tags]))
        return aspects


def _owner_urn(owner: str) -> str:
    if owner.startswith("urn:li:"):
        return owner
    if owner.startswith("user:"):
        return builder.make_user_urn(owner.removeprefix("user:"))
    return builder.make_group_urn(owner.removeprefix("group:"))
