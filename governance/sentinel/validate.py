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

from governance.sentinel.fastpath import Checker, compile_rule
from governance.sentinel.gx import instantiate
from governance.sentinel.pipeline import Rule

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
    if not prefix and dict not in map(type, record.values()):
        return record
    out: dict[str, Any] = {}
    _flatten_into(out, record, prefix)
    return out


def _flatten_into(out: dict[str, Any], record: Mapping[str, Any], prefix: str) -> None:
    for key, value in record.items():
        if type(value) is dict:
            _flatten_into(out, value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value


class _Suite:
    """One ephemeral GX context with a pandas dataframe asset and a suite of rules."""

    def __init__(self, rules: Sequence[Rule], kind: str) -> None:
        import great_expectations as gx

        self.rules = tuple(rules)
        self.by_id: dict[str, int] = {}
        self._held: dict[int, Any] = {}
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
        # A suite is a set: GX drops an expectation equal to one it holds, so a rule that
        # repeats another one's expectation shares its result.
        self.twins: dict[int, list[int]] = {}
        for i, rule in enumerate(self.rules):
            rule_id = f"r{i}"
            expectation = instantiate(rule.expectation_type, rule.kwargs, _Fail, meta={"sentinel_rule": rule_id})
            held = next((j for j, e in self._held.items()
                         if gx.ExpectationSuite._expectations_are_equalish(expectation, e)), None)
            if held is not None:
                self.twins[held].append(i)
                continue
            self.by_id[rule_id] = i
            self.twins[i] = [i]
            self._held[i] = expectation
            self.suite.add_expectation(expectation)
        self.suite = self.context.suites.add(self.suite)

    def frame(self, flat: Sequence[Mapping[str, Any]]) -> Any:
        import pandas as pd

        df = pd.DataFrame.from_records(flat)
        if len(df) < len(flat):  # records that are all empty make a frame with no rows
            df = pd.DataFrame(index=pd.RangeIndex(len(flat)))
        for column in self.columns:  # a field absent from every record is a column of nulls
            if column not in df.columns:
                df[column] = None
        return df

    def run(self, records: Sequence[Mapping[str, Any]], flat: Sequence[Mapping[str, Any]] | None = None
            ) -> list[tuple[Rule, Any]]:
        return [(self.rules[i], result) for i, result in self.run_indexed(records, flat)]

    def run_indexed(self, records: Sequence[Mapping[str, Any]], flat: Sequence[Mapping[str, Any]] | None = None
                    ) -> list[tuple[int, Any]]:
        """(position of the rule in this suite, its GX result), in suite order."""
        flat = flat if flat is not None else [flatten(r) for r in records]
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": self.frame(flat)})
        result = batch.validate(self.suite, result_format={"result_format": "COMPLETE"})
        indexed = [(twin, r) for r in result.results
                   for twin in self.twins[self.by_id[r.expectation_config.meta["sentinel_rule"]]]]
        return sorted(indexed, key=lambda pair: pair[0])


class _Fail(Exception):
    pass


class RecordValidator:
    """Judges each record by the record rules.

    Rules `fastpath` can compile are checked in plain Python; the rest share one GX
    suite, built on first use. A compiled rule that meets a batch outside what it
    models is judged by GX for that batch. `compiled=False` judges every rule with GX.
    """

    def __init__(self, rules: Iterable[Rule], compiled: bool = True) -> None:
        self.rules = tuple(rules)
        self._checkers: dict[int, Checker] = {}
        if compiled:
            for position, rule in enumerate(self.rules):
                checker = compile_rule(rule)
                if checker is not None:
                    self._checkers[position] = checker
        self._heads = [_head(rule) for rule in self.rules]
        self._top_level_only = all("." not in c for p in self._checkers for c in self.rules[p].columns())
        self._suites: dict[tuple[int, ...], _Suite] = {}
        if len(self._checkers) < len(self.rules):
            self._suite(tuple(p for p in range(len(self.rules)) if p not in self._checkers))

    @property
    def compiled(self) -> frozenset[str]:
        """Names of the rules judged in plain Python when a batch allows it."""
        return frozenset(self.rules[p].name for p in self._checkers)

    def validate(self, records: Sequence[Mapping[str, Any]]) -> list[list[RuleFailure]]:
        """Per record, the rules it fails (empty: valid), in the order of the rules."""
        failures: list[list[RuleFailure]] = [[] for _ in records]
        if not records or not self.rules:
            return failures
        # Checkers of top-level fields read the records as they are: flattening only
        # replaces nested dicts, and a checker hands any dict value back to GX.
        view = records if self._top_level_only else [flatten(r) for r in records]
        verdicts: dict[int, list[tuple[int, str]]] = {}
        for position, checker in self._checkers.items():
            bad = checker(view)
            if bad is not None:
                rule, head = self.rules[position], self._heads[position]
                verdicts[position] = [(i, head + _got(_value(rule, view[i]))) for i in bad]
        rest = tuple(p for p in range(len(self.rules)) if p not in verdicts)
        if rest:
            flat = [flatten(r) for r in records] if view is records else view
            verdicts.update(self._gx(rest, records, flat))
        for position in range(len(self.rules)):
            rule = self.rules[position]
            for index, message in verdicts[position]:
                failures[index].append(RuleFailure(rule.name, rule.severity, message))
        return failures

    def _suite(self, positions: tuple[int, ...]) -> _Suite:
        if positions not in self._suites:
            self._suites[positions] = _Suite(tuple(self.rules[p] for p in positions), "records")
        return self._suites[positions]

    def _gx(self, positions: tuple[int, ...], records: Sequence[Mapping[str, Any]],
            flat: Sequence[Mapping[str, Any]]) -> dict[int, list[tuple[int, str]]]:
        suite = self._suite(positions)
        verdicts: dict[int, list[tuple[int, str]]] = {p: [] for p in positions}
        for at, result in suite.run_indexed(records, flat):
            position, rule = positions[at], suite.rules[at]
            if result.success:
                continue
            if _raised(result) is not None:
                # GX could not evaluate the rule on this batch (e.g. strings compared with
                # numbers): judge each record alone so one odd record cannot fail the rest.
                verdicts[position] = self._per_record(rule, records)
                continue
            indices = result.result.get("unexpected_index_list") or []
            for index in indices:
                index = index if isinstance(index, int) else _index_of(index)
                # the record's own value: pandas turns ints with nulls into floats
                verdicts[position].append((index, _message(rule, _value(rule, flat[index]))))
        return verdicts

    def _per_record(self, rule: Rule, records: Sequence[Mapping[str, Any]]) -> list[tuple[int, str]]:
        single = _single_rule_suite(self, rule)
        out = []
        for i, original in enumerate(records):
            record = flatten(original)
            (_, result), = single.run([original], [record])
            if result.success:
                continue
            message = _message(rule, _value(rule, record))
            raised = _raised(result)
            if raised is not None:
                message += f": {' '.join(raised.split())[:300]}"
            out.append((i, message))
        return out


def _value(rule: Rule, record: Mapping[str, Any]) -> Any:
    """What a failure message shows: the record's own value(s) for the rule's columns."""
    kwargs = rule.kwargs
    if "column" in kwargs:
        return record.get(kwargs["column"])
    if "column_A" in kwargs and "column_B" in kwargs:
        return (record.get(kwargs["column_A"]), record.get(kwargs["column_B"]))
    if isinstance(kwargs.get("column_list"), (list, tuple)):
        return {c: record.get(c) for c in kwargs["column_list"]}
    return _UNKNOWN


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
    return _head(rule) + _got(value)


def _head(rule: Rule) -> str:
    return f"{rule.signature()} failed"


SHOWN_VALUE_CHARS = 200
"""A failure message quotes at most this much of the value: it travels in a DLQ header."""


def _got(value: Any) -> str:
    if value is _UNKNOWN:
        return ""
    if value is None or _is_nan(value):
        return ": got null"
    if isinstance(value, (str, bytes)) and len(value) > SHOWN_VALUE_CHARS:
        # the repr of the head only: of a megabyte string it would take a millisecond
        unit = "characters" if isinstance(value, str) else "bytes"
        return f": got {repr(value[:SHOWN_VALUE_CHARS])[:SHOWN_VALUE_CHARS]}... ({len(value):,} {unit} in all)"
    shown = repr(value)
    if len(shown) > SHOWN_VALUE_CHARS:
        shown = f"{shown[:SHOWN_VALUE_CHARS]}... ({len(shown):,} characters in all)"
    return f": got {shown}"


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


VALID = "\x00valid"
"""Key of a window row saying whether its record went to the valid topic."""


class WindowValidator:
    """Judges a window's rows. Aggregate rules (a mean, a row count) see the valid records;
    a map rule with `mostly` sees every record that deserialized, and holds when at least
    that share of them pass."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)
        shares = [r for r in self.rules if "mostly" in r.kwargs]
        self._aggregates = _Suite([r for r in self.rules if r not in shares], "window")
        self._shares = _Suite(shares, "window-share") if shares else None

    def validate(self, rows: Sequence[Mapping[str, Any]]) -> list[WindowResult]:
        if not self.rules:
            return []
        every = [{k: v for k, v in row.items() if k != VALID} for row in rows]
        valid = [row for row, original in zip(every, rows) if original.get(VALID, True)]
        results = {**self._run(self._aggregates, valid), **(self._run(self._shares, every) if self._shares else {})}
        return [results[rule.name] for rule in self.rules]

    def _run(self, suite: _Suite, rows: Sequence[Mapping[str, Any]]) -> dict[str, WindowResult]:
        if not suite.rules:
            return {}
        if not rows:
            # GX cannot build a frame with no columns; an empty window has row count 0
            # and no observed values for column rules.
            return {rule.name: self._empty(rule) for rule in suite.rules}
        return {rule.name: WindowResult(rule.name, bool(result.success), _observed(result.result))
                for rule, result in suite.run(rows)}

    @staticmethod
    def _empty(rule: Rule) -> WindowResult:
        """No rows: a row count of 0; nothing observed for a column rule, and a share rule holds."""
        if rule.expectation_type == "expect_table_row_count_to_be_between":
            lo, hi = rule.kwargs.get("min_value"), rule.kwargs.get("max_value")
            ok = (lo is None or 0 >= lo) and (hi is None or 0 <= hi)
            return WindowResult(rule.name, ok, 0)
        return WindowResult(rule.name, True, None)


def _observed(result: Mapping[str, Any]) -> Any:
    """GX's observed value; for a map rule, the share of the window's records it found unexpected."""
    if "observed_value" in result:
        return result["observed_value"]
    if "unexpected_percent" in result:
        return {"unexpected_percent": result["unexpected_percent"], "element_count": result.get("element_count")}
    return None
