"""The lineage model in DataHub's model, proven with DataHub's own code: a golden MCP
file, `datahub check metadata-file`, and the GX plugin's own assertion mapping."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.ingestion.sink.file import write_metadata_file
from datahub.testing.mce_helpers import check_golden_file
from datahub_gx_plugin.common import build_assertions_with_results

from governance.lineage.build import Sources, build_estate
from governance.lineage.datahub import DataHubOptions, Mapper
from governance.lineage.model import Estate, topic

PROJECT = Path(__file__).parent / "project"
GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).resolve().parents[2]


def estate_of(project: Path) -> Estate:
    return build_estate(Sources(project / "schemas", project / "rules", project / "lineage"))


def aspects(mcps: list[MetadataChangeProposalWrapper], urn_part: str, name: str) -> list:
    return [m.aspect for m in mcps if urn_part in m.entityUrn and m.aspectName == name]


@pytest.fixture(scope="module")
def mcps() -> list[MetadataChangeProposalWrapper]:
    return Mapper(estate_of(PROJECT)).mcps()


def test_the_estate_matches_the_golden_file(pytestconfig: pytest.Config, tmp_path: Path,
                                            mcps: list[MetadataChangeProposalWrapper]) -> None:
    output = tmp_path / "estate.json"
    write_metadata_file(output, mcps)
    check_golden_file(pytestconfig, output, GOLDEN / "estate.json")


@pytest.mark.parametrize("project", [PROJECT, ROOT], ids=["fixture", "repository"])
def test_every_emitted_file_passes_datahubs_own_check(project: Path, tmp_path: Path) -> None:
    """`lineage emit --to file:` on the fixture and on the repository's own seed estate."""
    output = tmp_path / "out.json"
    emitted = subprocess.run([sys.executable, "-m", "governance", "lineage", "emit", "--project", str(project),
                              "--to", f"file:{output}"], capture_output=True, text=True,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert emitted.returncode == 0, emitted.stderr
    assert "emitted" in emitted.stdout
    checked = subprocess.run([str(Path(sys.executable).parent / "datahub"), "check", "metadata-file", str(output)],
                             capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "all valid" in checked.stdout + checked.stderr


def test_topics_carry_their_schema_fields_docs_tags_and_registry_properties(
        mcps: list[MetadataChangeProposalWrapper]) -> None:
    (schema,) = aspects(mcps, "kafka,payments,", "schemaMetadata")
    assert schema.schemaName == "payments-value" and schema.platformSchema.documentSchemaType == "AVRO"
    by_path = {f.fieldPath.rsplit(".", 1)[-1]: f for f in schema.fields}
    assert by_path["amount"].description == "Amount in cents."
    assert [t.tag for t in by_path["cardholder"].globalTags.tags] == ["urn:li:tag:PII"]
    assert any(f.fieldPath.endswith("[type=Address].billing.[type=string].zip") for f in schema.fields)
    (props,) = aspects(mcps, "kafka,payments,", "datasetProperties")
    assert props.customProperties["subject"] == "payments-value"
    assert props.customProperties["compatibility"] == "FULL_TRANSITIVE"
    (subtypes,) = aspects(mcps, "kafka,payments,", "subTypes")
    assert subtypes.typeNames == ["Topic"]
    (ledger_tags,) = aspects(mcps, "postgres,bank.public.payments", "globalTags")
    assert sorted(t.tag for t in ledger_tags.tags) == ["urn:li:tag:finance", "urn:li:tag:pii"]
    for topic_name in ("payments", "payments-valid", "payments-dlq", "payments-s3-sink-dlq"):  # the file's flow
        (owners,) = aspects(mcps, f"kafka,{topic_name},", "ownership")
        assert [o.owner for o in owners.owners] == ["urn:li:corpGroup:payments-team"], topic_name
        (tags,) = aspects(mcps, f"kafka,{topic_name},", "globalTags")
        assert [t.tag for t in tags.tags] == ["urn:li:tag:finance"], topic_name
    (job_tags,) = aspects(mcps, "dataJob:(urn:li:dataFlow:(governance,sentinel,prod),payments)", "globalTags")
    assert [t.tag for t in job_tags.tags] == ["urn:li:tag:quality", "urn:li:tag:finance"]


def test_the_sentinel_is_a_job_between_raw_valid_and_dlq_with_field_lineage(
        mcps: list[MetadataChangeProposalWrapper]) -> None:
    (io,) = aspects(mcps, "dataJob:(urn:li:dataFlow:(governance,sentinel,prod),payments)", "dataJobInputOutput")
    assert io.inputDatasets == ["urn:li:dataset:(urn:li:dataPlatform:kafka,payments,PROD)"]
    assert io.outputDatasets == ["urn:li:dataset:(urn:li:dataPlatform:kafka,payments-valid,PROD)",
                                 "urn:li:dataset:(urn:li:dataPlatform:kafka,payments-dlq,PROD)"]
    (valid,) = aspects(mcps, "kafka,payments-valid,", "upstreamLineage")
    assert [u.dataset for u in valid.upstreams] == ["urn:li:dataset:(urn:li:dataPlatform:kafka,payments,PROD)"]
    fields = [(f.upstreams[0].rsplit(".", 1)[-1], f.downstreams[0].rsplit(".", 1)[-1]) for f in valid.fineGrainedLineages]
    assert fields == [("id)", "id)"), ("amount)", "amount)"), ("cardholder)", "cardholder)"), ("zip)", "zip)"),
                      ("country)", "country)")]
    (dlq,) = aspects(mcps, "kafka,payments-dlq,", "upstreamLineage")
    assert not dlq.fineGrainedLineages
    (owners,) = aspects(mcps, "dataJob:(urn:li:dataFlow:(governance,sentinel,prod),payments)", "ownership")
    assert [o.owner for o in owners.owners] == ["urn:li:corpGroup:payments-team", "urn:li:corpuser:alice"]
    (sink_dlq,) = aspects(mcps, "kafka,payments-s3-sink-dlq,", "upstreamLineage")
    assert [u.dataset for u in sink_dlq.upstreams] == ["urn:li:dataset:(urn:li:dataPlatform:kafka,payments-valid,PROD)"]


def test_assertions_are_the_ones_datahubs_gx_plugin_makes(mcps: list[MetadataChangeProposalWrapper],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin names a column's schemaField by the column as given, which for a SQL table is its
    field path; a topic's field paths are DataHub's v2 paths, so the plugin is handed those."""
    import datahub_gx_plugin.common as plugin

    estate = estate_of(PROJECT)
    mapper = Mapper(estate)
    (job,) = [j for j in estate.jobs if j.kind == "sentinel"]
    ref = topic("payments")
    dataset = mapper.dataset_urn(ref)
    make_field_urn = plugin.builder.make_schema_field_urn
    monkeypatch.setattr(plugin.builder, "make_schema_field_urn",
                        lambda urn, column: make_field_urn(urn, mapper.field_path(ref, column)))
    suite = type("Suite", (), {"results": [
        {"success": True, "result": {}, "expectation_config": {"type": a.expectation_type, "kwargs": dict(a.kwargs)}}
        for a in job.assertions if a.column is not None]})()
    theirs = build_assertions_with_results(suite, "sentinel-payments", "2026-01-01T00:00:00Z",
                                           [{"dataset_urn": dataset, "batchSpec": None}])
    assert len(theirs) == 3, "the plugin mapped every rule on a column, nested ones too"
    assert theirs, "the plugin mapped nothing"
    for made in theirs:
        info = made["assertionInfo"]
        match = [a for a in job.assertions if a.expectation_type == info.customAssertion.nativeType
                 and {k: str(v) for k, v in a.kwargs.items()} == info.customAssertion.nativeParameters]
        assert len(match) == 1
        assert made["assertionUrn"] == mapper.assertion_urn(match[0])
        (mine,) = [m.aspect for m in mcps if m.entityUrn == made["assertionUrn"] and m.aspectName == "assertionInfo"]
        assert mine.customAssertion.scope == info.customAssertion.scope
        assert mine.customAssertion.operator == info.customAssertion.operator
        assert mine.customAssertion.aggregation == info.customAssertion.aggregation


def test_an_assertions_field_urn_is_one_of_the_topic_schemas_fields(mcps: list[MetadataChangeProposalWrapper]) -> None:
    """`billing.country` and `amount` link to the schemaFields DataHub's Kafka source would make."""
    from datahub.emitter.mce_builder import make_schema_field_urn

    dataset = "urn:li:dataset:(urn:li:dataPlatform:kafka,payments,PROD)"
    (schema,) = [m.aspect for m in mcps if m.entityUrn == dataset and m.aspectName == "schemaMetadata"]
    schema_fields = {make_schema_field_urn(dataset, f.fieldPath) for f in schema.fields}
    infos = [m.aspect for m in mcps if m.aspectName == "assertionInfo"]
    linked = {f for info in infos for f in info.customAssertion.fields or ()}
    assert all(info.customAssertion.field in linked for info in infos)
    assert linked and linked <= schema_fields, sorted(linked - schema_fields)
    assert make_schema_field_urn(dataset, "[version=2.0].[type=Payment].[type=Address].billing.[type=string].country") in linked
    assert make_schema_field_urn(dataset, "[version=2.0].[type=Payment].[type=long].amount") in linked


def test_a_window_kpi_record_becomes_one_assertion_run_event_per_rule() -> None:
    estate = estate_of(PROJECT)
    mapper = Mapper(estate)
    (job,) = [j for j in estate.jobs if j.kind == "sentinel"]
    kpi = {"pipeline": "payments", "instance": "i-1", "window_start": 1_700_000_000_000, "window_end": 1_700_000_060_000,
           "final": False, "consumer_lag": 0, "dlq_limit_streak": 0,
           "window": {"records_in": 100, "valid": 90, "invalid": 10, "schema_failures": 2, "warning_records": 3,
                      "rule_failures": {"expect_column_values_to_be_between(amount)": 8,
                                        "expect_column_values_to_match_regex(billing.country)": 3},
                      "invalid_records_per_minute": 10.0, "schema_compliance_rate": 0.98, "dlq_rate": 0.1,
                      "valid_share": 0.9, "schema_conformant_share": 0.98},
           "window_expectations": [{"rule": "expect_column_mean_to_be_between(amount)", "success": True,
                                    "observed_value": "1234.5"}]}
    events = {e.aspect.assertionUrn: e.aspect for e in mapper.window_results(job, kpi)}
    by_rule = {a.rule: events[mapper.assertion_urn(a)] for a in job.assertions}
    amount = by_rule["expect_column_values_to_be_between(amount)"]
    assert (amount.result.type, amount.result.rowCount, amount.result.unexpectedCount) == ("FAILURE", 98, 8)
    assert amount.asserteeUrn == "urn:li:dataset:(urn:li:dataPlatform:kafka,payments,PROD)"
    assert amount.result.nativeResults["dlq_rate"] == "0.1" and amount.timestampMillis == 1_700_000_060_000
    native = amount.result.nativeResults
    assert (native["valid_share"], native["schema_conformant_share"]) == ("0.9", "0.98")
    mean = by_rule["expect_column_mean_to_be_between(amount)"]
    assert (mean.result.type, mean.result.actualAggValue) == ("SUCCESS", 1234.5)


def test_options_set_env_and_platform_instance(tmp_path: Path) -> None:
    mapper = Mapper(estate_of(PROJECT), DataHubOptions(env="DEV", platform_instance="eu-cluster"))
    assert mapper.dataset_urn(topic("payments")) == \
        "urn:li:dataset:(urn:li:dataPlatform:kafka,eu-cluster.payments,DEV)"


def test_the_data_contract_rules_a_sentinel_enforces_are_assertions_with_window_results(
        registry_url: str, unique_name: str, tmp_path: Path) -> None:
    """Each rule of the subject's ruleSets, as the latest version that has it says; a warning rule too."""
    import json

    from confluent_kafka.schema_registry import Rule, RuleKind, RuleMode, RuleSet, Schema, SchemaRegistryClient

    from governance.lineage.build import pipeline_estate

    def rule(name: str, expr: str, on_failure: str) -> Rule:
        return Rule(name=name, doc=None, kind=RuleKind.CONDITION, mode=RuleMode.WRITE, type="CEL", tags=None,
                    params=None, expr=expr, on_success=None, on_failure=on_failure, disabled=None)

    schema = json.dumps({"type": "record", "name": "P", "fields": [{"name": "amount", "type": "double"}]})
    client = SchemaRegistryClient({"url": registry_url})
    client.register_schema(f"{unique_name}-value", Schema(schema, "AVRO", rule_set=RuleSet(None, [
        rule("positive", "message.amount > 0.0", "DLQ"), rule("small", "message.amount < 100.0", "NONE")])))
    (tmp_path / "rules").mkdir()
    path = tmp_path / "rules" / "p.yml"
    path.write_text(f"name: {unique_name}\nsource: {unique_name}\n")

    estate = pipeline_estate(path, registry_url)
    (job,) = estate.jobs
    assert [(a.rule, a.expectation_type, a.severity, a.kwargs["expr"]) for a in job.assertions] == [
        ("contract:positive", "CEL", "critical", "message.amount > 0.0"),
        ("contract:small", "CEL", "warning", "message.amount < 100.0")]
    mapper = Mapper(estate)
    info = mapper.assertion_mcps(job.assertions[0], job)[0].aspect
    assert (info.customAssertion.nativeType, info.customProperties["rule"]) == ("CEL", "contract:positive")
    kpi = {"instance": "i", "window_start": 0, "window_end": 60_000,
           "window": {"records_in": 10, "valid": 7, "invalid": 3, "schema_failures": 0, "valid_share": 0.7,
                      "schema_conformant_share": 1.0, "dlq_rate": 0.3, "invalid_records_per_minute": 3.0,
                      "rule_failures": {"contract:positive": 3}}}
    events = {e.aspect.assertionUrn: e.aspect.result for e in mapper.window_results(job, kpi)}
    positive, small = (events[mapper.assertion_urn(a)] for a in job.assertions)
    assert (positive.type, positive.unexpectedCount, small.type, small.unexpectedCount) == ("FAILURE", 3, "SUCCESS", 0)
