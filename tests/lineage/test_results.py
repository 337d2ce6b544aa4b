"""The demo's sentinels report to a file each; their window results, and only those, are
published with the estate, oldest window first, and a file that cannot be read is named."""

from __future__ import annotations

from pathlib import Path

from governance.lineage.build import Sources, build_estate
from governance.lineage.datahub import Mapper
from governance.lineage.emit import Target, open_emitter
from governance.lineage.results import clear_results, read_results, results_file

PROJECT = Path(__file__).parent / "project"


def kpi(start: int, instance: str) -> dict:
    return {"pipeline": "payments", "instance": instance, "window_start": start, "window_end": start + 60_000,
            "final": False, "consumer_lag": 0, "dlq_limit_streak": 0,
            "window": {"records_in": 10, "valid": 9, "invalid": 1, "schema_failures": 0, "warning_records": 0,
                       "rule_failures": {"expect_column_values_to_be_between(amount)": 1},
                       "invalid_records_per_minute": 1.0, "schema_compliance_rate": 1.0, "dlq_rate": 0.1},
            "window_expectations": [{"rule": "expect_column_mean_to_be_between(amount)", "success": False,
                                     "observed_value": "12.5"}]}


def test_only_the_window_results_are_taken_oldest_first_and_a_bad_file_is_named(tmp_path: Path) -> None:
    mapper = Mapper(build_estate(Sources(PROJECT / "schemas", PROJECT / "rules", PROJECT / "lineage")))
    (job,) = [j for j in mapper.estate.jobs if j.kind == "sentinel"]
    for instance, starts in (("a", [1_700_000_120_000, 1_700_000_000_000]), ("b", [1_700_000_060_000])):
        emitter = open_emitter(Target("file", str(results_file(tmp_path, f"payments-{instance}"))))
        emitter.emit(mapper.mcps())  # what a sentinel reports at start
        for start in starts:
            emitter.emit(mapper.window_results(job, kpi(start, instance)))
        emitter.close()
    broken = tmp_path / "datahub-broken.json"
    broken.write_text("{")

    results = read_results(sorted(tmp_path.glob("datahub-*.json")))

    assert {m.aspectName for m in results.mcps} == {"assertionRunEvent"}
    assert len(results.mcps) == 3 * len(job.assertions) and results.windows == 3
    stamps = [m.aspect.timestampMillis for m in results.mcps]
    assert stamps == sorted(stamps)
    assert {m.entityUrn for m in results.mcps} == {mapper.assertion_urn(a) for a in job.assertions}
    assert len(results.files) == 2
    assert results.problems and results.problems[0].startswith(f"{broken}: ")

    clear_results(tmp_path)
    assert not list(tmp_path.glob("datahub-*.json"))
