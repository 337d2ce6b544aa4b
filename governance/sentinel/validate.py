"""Great Expectations on micro-batches of decoded records.

The GX context, data source, asset, batch definition and suite are built once per
validator; each batch is only a new dataframe. Nested fields are flattened to
dotted column names (`shippingAddress.zip`) so rules can name them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
import uuid

from governance.sentinel.pipeline import Rule, instantiate

os.environ.setdefault("TQDM_DISABLE", "1")


@dataclass(frozen=True)
class RuleFailure:
    rule: str
    severity: str
    message: str


@dataclass(frozen=True)
class WindowResult:
    rule: str
    success: bool
    observed_value: Any


def flatten(record: Mapping[str, Any], prefix: str = "") -> Mapping[str, Any]:
    """Nested records as dotted keys; a flat record is returned as it is (the common, fast case)."""
    if not prefix and not any(type(v) is dict for v in record.values()):
        return record
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if type(value) is dict:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


class _Suite:
    """One ephemeral GX context with a pandas dataframe asset and a suite of rules."""

    def __init__(self, rules: Sequence[Rule], kind: str) -> None:
        import great_expectations as gx

        self.rules = tuple(rules)
        self.by_id: dict[str, Rule] = {}
        self.columns = tuple(dict.fromkeys(c for r in self.rules for c in r.columns()))
        tag = uuid.uuid4().hex[:8]
        self.context = gx.get_context(mode="ephemeral")
        # GX passes an explicit `disable=` to tqdm, so TQDM_DISABLE alone does not silence it.
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = self.context.data_sources.add_pandas(f"sentinel-{kind}-{tag}")
        asset = source.add_dataframe_asset(f"batch-{tag}")
        self.batch_definition = asset.add_batch_definition_whole_dataframe(f"whole-{tag}")
        self.suite = gx.ExpectationSuite(name=f"sentinel-{kind}-{tag}")
        for i, rule in enumerate(self.rules):
            rule_id = f"r{i}"
            self.by_id[rule_id] = rule
            self.suite.add_expectation(instantiate(rule.expectation_type, rule.kwargs, _Fail,
                                                   meta={"sentinel_rule": rule_id}))
        self.suite = self.context.suites.add(self.suite)

    def frame(self, flat: Sequence[Mapping[str, Any]]) -> Any:
        import pandas as pd

        df = pd.DataFrame.from_records(flat)
        for column in self.columns:  # a field absent from every record is a column of nulls
            if column not in df.columns:
                df[column] = None
        return df

    def run(self, records: Sequence[Mapping[str, Any]], flat: Sequence[Mapping[str, Any]] | None = None
            ) -> list[tuple[Rule, Any]]:
        flat = flat if flat is not None else [flatten(r) for r in records]
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": self.frame(flat)})
        result = batch.validate(self.suite, result_format={"result_format": "COMPLETE"})
        return [(self.by_id[r.expectation_config.meta["sentinel_rule"]], r) for r in result.results]


class _Fail(Exception):
    pass


class RecordValidator:
    def __init__(self, rules: Iterable[Rule]) -> None:
        self._suite = _Suite(tuple(rules), "records")

    def validate(self, records: Sequence[Mapping[str, Any]]) -> list[list[RuleFailure]]:
        """Per record, the rules it fails (empty: valid)."""
        failures: list[list[RuleFailure]] = [[] for _ in records]
        if not records or not self._suite.rules:
            return failures
        flat = [flatten(r) for r in records]
        for rule, result in self._suite.run(records, flat):
            if result.success:
                continue
            if _raised(result) is not None:
                # GX could not evaluate the rule on this batch (e.g. strings compared with
                # numbers): judge each record alone so one odd record cannot fail the rest.
                self._per_record(rule, records, failures)
                continue
            res = result.result
            indices = res.get("unexpected_index_list") or []
            values = res.get("unexpected_list") or []
            if len(values) != len(indices):
                values = [_UNKNOWN] * len(indices)
            for index, value in zip(indices, values):
                index = index if isinstance(index, int) else _index_of(index)
                if "column" in rule.kwargs:  # the record's own value: pandas turns ints with nulls into floats
                    value = flat[index].get(rule.kwargs["column"])
                failures[index].append(RuleFailure(rule.name, rule.severity, _message(rule, value)))
        return failures

    def _per_record(self, rule: Rule, records: Sequence[Mapping[str, Any]],
                    failures: list[list[RuleFailure]]) -> None:
        single = _single_rule_suite(self, rule)
        for i, original in enumerate(records):
            record = flatten(original)
            (_, result), = single.run([original], [record])
            if result.success:
                continue
            message = _message(rule, record.get(rule.kwargs["column"]) if "column" in rule.kwargs else _UNKNOWN)
            raised = _raised(result)
            if raised is not None:
                message += f": {' '.join(raised.split())[:300]}"
            failures[i].append(RuleFailure(rule.name, rule.severity, message))


def _single_rule_suite(validator: RecordValidator, rule: Rule) -> _Suite:
    cache: dict[str, _Suite] = validator.__dict__.setdefault("_singles", {})
    if rule.name not in cache:
        cache[rule.name] = _Suite((rule,), "single")
    return cache[rule.name]


def _raised(result: Any) -> str | None:
    """GX's exception message if the expectation could not be evaluated (info may be keyed by metric)."""
    info = result.exception_info or {}
    candidates = [info] + [v for v in info.values() if isinstance(v, Mapping)]
    for c in candidates:
        if c.get("raised_exception"):
            return str(c.get("exception_message") or "error")
    return None


def _index_of(index: Any) -> int:
    # With unexpected_index_column_names GX reports dicts; we never set them, but be safe.
    if isinstance(index, Mapping):
        return int(next(iter(index.values())))
    return int(index)


_UNKNOWN = object()


def _message(rule: Rule, value: Any = _UNKNOWN) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in rule.kwargs.items())
    text = f"{rule.expectation_type}({args}) failed"
    if value is not _UNKNOWN:
        text += f": got {'null' if value is None or _is_nan(value) else repr(value)}"
    return text


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


class WindowValidator:
    def __init__(self, rules: Iterable[Rule]) -> None:
        self._suite = _Suite(tuple(rules), "window")

    def validate(self, records: Sequence[Mapping[str, Any]]) -> list[WindowResult]:
        if not self._suite.rules:
            return []
        if not records:
            # GX cannot build a frame with no columns; an empty window has row count 0
            # and no observed values for column rules.
            return [self._empty(rule) for rule in self._suite.rules]
        return [WindowResult(rule.name, bool(result.success), result.result.get("observed_value"))
                for rule, result in self._suite.run(records)]

    @staticmethod
    def _empty(rule: Rule) -> WindowResult:
        if rule.expectation_type == "expect_table_row_count_to_be_between":
            lo, hi = rule.kwargs.get("min_value"), rule.kwargs.get("max_value")
            ok = (lo is None or 0 >= lo) and (hi is None or 0 <= hi)
            return WindowResult(rule.name, ok, 0)
        return WindowResult(rule.name, True, None)
