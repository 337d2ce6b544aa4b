"""Sentinel pipeline files (`rules/*.yml`), parsed once into frozen dataclasses.

Every mistake is reported as `file, line N: what is wrong`. Lines come from
PyYAML's node marks: the file is composed into nodes and walked by hand, so each
key and list item keeps the line it was written on. Every rule's arguments are
checked in plain Python (`ruleargs`: regexes compile, bounds are in order, at the
argument's own line). A rule of a type `ruleargs` does not cover (or with GX's own
arguments such as `row_condition`) is also checked by instantiating Great
Expectations' class, so what GX alone knows is reported in GX's words; GX is
imported only for such rules.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from governance.errors import GovernanceError
from governance.sentinel.gx import checks_single_records, expectation_class, instantiate
from governance.sentinel.ruleargs import MAP_EXPECTATIONS, check_arguments, covered
from governance.yamldoc import Doc as _Doc
from governance.yamldoc import compose as _compose
from governance.yamldoc import load as _load

Severity = Literal["critical", "warning"]
ValueFormat = Literal["avro", "protobuf", "json_schema", "json"]
REGISTRY_FORMATS = frozenset({"avro", "protobuf", "json_schema"})
"""Value formats in Confluent's wire format: a schema id registered under the pipeline's subject."""
Guarantee = Literal["exactly_once", "at_least_once"]
ContractRules = Literal["enforce", "warn", "ignore"]

#: Expectations that judge a whole window, not a record. They feed KPIs and never route.
WINDOW_EXPECTATIONS = frozenset(
    {
        "expect_column_mean_to_be_between",
        "expect_table_row_count_to_be_between",
        "expect_column_proportion_of_unique_values_to_be_between",
    }
)


@dataclass(frozen=True)
class Rule:
    name: str
    expectation_type: str
    kwargs: Mapping[str, Any]
    severity: Severity
    line: int
    checked: Mapping[str, Any] | None = None
    """The checked arguments, kept when they survive JSON: as written when `ruleargs` covers the rule,
    else as Great Expectations normalized them (`0` -> `0.0` for a bound). The compiled checks start
    from these."""
    arg_lines: tuple[tuple[str, int], ...] = ()
    """(argument, line) for each argument, and (`name[i]`, line) for each item of a list argument."""

    def line_of(self, arg: str | None) -> int:
        """The line an argument (or an item of one, `column_list[1]`) was written on; else the rule's."""
        return dict(self.arg_lines).get(arg, self.line) if arg is not None else self.line

    def signature(self) -> str:
        """`expect_x(column='a', ...)`: the expectation as it was written."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.expectation_type}({args})"

    def describe(self) -> str:
        """The signature, prefixed with the rule's name when it was given one."""
        named = "" if self.name.startswith(self.expectation_type) else f"{self.name}: "
        return named + self.signature()

    def columns(self) -> tuple[str, ...]:
        """The (dotted) field names this rule reads."""
        return tuple(name for _, name in self.column_args())

    def column_args(self) -> tuple[tuple[str, str], ...]:
        """(argument, column) for each column this rule reads: `("column_list[1]", "b")`."""
        pairs = [(k, self.kwargs[k]) for k in ("column", "column_A", "column_B") if k in self.kwargs]
        pairs.extend((f"column_list[{i}]", c) for i, c in enumerate(self.kwargs.get("column_list", ())))
        return tuple(pairs)


@dataclass(frozen=True)
class Pipeline:
    name: str
    path: Path
    sources: tuple[str, ...]
    valid_topic: str
    dlq_topic: str
    value_format: ValueFormat
    subject: str | None
    record_rules: tuple[Rule, ...]
    window_rules: tuple[Rule, ...]
    window_seconds: int = 60
    commit_every_records: int = 10_000
    commit_every_ms: int = 1000
    guarantee: Guarantee = "exactly_once"
    kpi_topic: str = ""
    metrics_port: int | None = None
    dlq_limit_ratio: float | None = None
    dlq_limit_windows: int = 3
    dlq_limit_first_records: int = 1000
    """Stop when this many records are routed and none was valid (0: never). The default applies when the
    file has no `dlq_limit`; a `dlq_limit` mapping sets only what it names."""
    suite_file: Path | None = None
    owners: tuple[str, ...] = ()
    """Who answers for the pipeline (DataHub owners: `team`, `user:alice`, `group:data-eng`)."""
    tags: tuple[str, ...] = ()
    tombstones: Literal["pass", "dlq"] | None = None
    """A null value: `pass` to the valid topic (a delete), `dlq`, or None: `pass` from compacted sources."""
    contract_rules: ContractRules = "enforce"
    """The data-contract rules of the subject's versions (their `ruleSet`): enforced as their `onFailure`
    says, all as warnings, or not at all."""
    subject_line: int = field(default=1, compare=False)
    """The line of `subject`, else of `source`/`sources` (the default subject comes from it)."""
    subject_given: bool = field(default=False, compare=False)


# ---------------------------------------------------------------- pipeline file

_TOP_KEYS = frozenset({
    "name", "source", "sources", "valid_topic", "dlq_topic", "value_format", "subject",
    "expectations", "window", "suite", "commit", "guarantee", "kpi_topic", "metrics_port", "dlq_limit",
    "owners", "tags", "tombstones", "contract_rules",
})
_RULE_KEYS = frozenset({"expectation", "name", "severity", "kwargs"})


def load_pipeline(path: str | os.PathLike[str], *, check_rules: bool = True) -> Pipeline:
    """`check_rules=False` reads the file without Great Expectations (2 s to import) even for rules
    `ruleargs` does not cover: their arguments are checked as far as ours go, not by GX, and
    whether each rule judges records or windows is not checked."""
    path = Path(path)
    doc, root = _load(path, "pipeline file")
    if root is None:
        raise GovernanceError(f"{path}, line 1: the file is empty; a pipeline needs at least `name` and `source`")
    top = doc.mapping(root, "the pipeline")
    doc.check_keys(top, "the pipeline", _TOP_KEYS, ("name",), root)

    name = doc.string(top["name"][1], "`name`")
    sources = _sources(doc, top, root)
    valid_topic = doc.string(top["valid_topic"][1], "`valid_topic`") if "valid_topic" in top else f"{sources[0]}-valid"
    dlq_topic = doc.string(top["dlq_topic"][1], "`dlq_topic`") if "dlq_topic" in top else f"{sources[0]}-dlq"
    if valid_topic == dlq_topic or valid_topic in sources or dlq_topic in sources:
        raise doc.error(root, f"source, valid and DLQ topics must all differ ({', '.join(sources)} / {valid_topic} / {dlq_topic})")
    value_format = doc.choice(top["value_format"][1], "`value_format`", ("avro", "protobuf", "json_schema", "json")) if "value_format" in top else "avro"
    subject = doc.string(top["subject"][1], "`subject`") if "subject" in top else None
    subject_key = top["subject"][0] if "subject" in top else top["source" if "source" in top else "sources"][0]
    if value_format in REGISTRY_FORMATS and subject is None:
        subject = f"{sources[0]}-value"

    record_rules: list[Rule] = []
    window_rules: list[Rule] = []
    if "expectations" in top:
        record_rules.extend(_rules(doc, top["expectations"][1], "`expectations`", check_rules))
    suite_file = None
    if "suite" in top:
        suite_node = top["suite"][1]
        suite_file = (path.parent / doc.string(suite_node, "`suite`")).resolve()
        suite_rules = load_suite(suite_file, doc, suite_node, check_rules)
        # A suite mixes both kinds; its window expectations judge windows and never route.
        # ... and a map expectation with `mostly` judges the share of each window's records that pass.
        record_rules.extend(r for r in suite_rules if r.expectation_type not in WINDOW_EXPECTATIONS
                            and "mostly" not in r.kwargs)
        window_rules.extend(r for r in suite_rules if r.expectation_type in WINDOW_EXPECTATIONS or "mostly" in r.kwargs)
    window_seconds = Pipeline.window_seconds  # the defaults live on the dataclass
    if "window" in top:
        wnode = top["window"][1]
        window = doc.mapping(wnode, "`window`")
        doc.check_keys(window, "`window`", frozenset({"seconds", "expectations"}), (), wnode)
        if "seconds" in window:
            window_seconds = doc.integer(window["seconds"][1], "`window.seconds`", 1)
        if "expectations" in window:
            window_rules.extend(_rules(doc, window["expectations"][1], "`window.expectations`", check_rules))
    _check_unique_names(doc, record_rules + window_rules)
    for rule in record_rules:
        if "mostly" in rule.kwargs:
            raise GovernanceError(
                f"{doc.path}, line {rule.line}: `mostly` does not apply to a record rule: each record gets its own "
                f"verdict, so there is no share of records to count. Put the rule under `window.expectations`, "
                f"where `mostly: {rule.kwargs['mostly']}` means at least that share of each window's records pass")
    if check_rules:
        for rule in window_rules:
            _require_kind(doc, rule, window=True)
        for rule in record_rules:
            _require_kind(doc, rule, window=False)

    commit_records, commit_ms = Pipeline.commit_every_records, Pipeline.commit_every_ms
    if "commit" in top:
        cnode = top["commit"][1]
        commit = doc.mapping(cnode, "`commit`")
        doc.check_keys(commit, "`commit`", frozenset({"every_records", "every_ms"}), (), cnode)
        if "every_records" in commit:
            commit_records = doc.integer(commit["every_records"][1], "`commit.every_records`", 1)
        if "every_ms" in commit:
            commit_ms = doc.integer(commit["every_ms"][1], "`commit.every_ms`", 1)
    guarantee = doc.choice(top["guarantee"][1], "`guarantee`", ("exactly_once", "at_least_once")) if "guarantee" in top else Pipeline.guarantee
    kpi_topic = doc.string(top["kpi_topic"][1], "`kpi_topic`") if "kpi_topic" in top else f"{name}-kpi"
    metrics_port = None
    if "metrics_port" in top and doc.value(top["metrics_port"][1]) is not None:
        metrics_port = doc.integer(top["metrics_port"][1], "`metrics_port`", 0)
        if metrics_port > 65535:
            raise doc.error(top["metrics_port"][1], f"`metrics_port` must be at most 65535, not {metrics_port}")
    limit_ratio, limit_windows, limit_first = None, Pipeline.dlq_limit_windows, Pipeline.dlq_limit_first_records
    if "dlq_limit" in top:
        lnode = top["dlq_limit"][1]
        limit = doc.mapping(lnode, "`dlq_limit`")
        doc.check_keys(limit, "`dlq_limit`", frozenset({"ratio", "windows", "first_records"}), (), lnode)
        if "ratio" in limit:
            rnode = limit["ratio"][1]
            ratio = doc.value(rnode)
            if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
                raise doc.error(rnode, f"`dlq_limit.ratio` must be a number between 0 and 1, not {ratio!r}")
            limit_ratio = float(ratio)
        elif "windows" in limit:
            raise doc.error(limit["windows"][0], "`dlq_limit.windows` counts windows above `dlq_limit.ratio`: give `ratio` too")
        if "windows" in limit:
            limit_windows = doc.integer(limit["windows"][1], "`dlq_limit.windows`", 1)
        limit_first = doc.integer(limit["first_records"][1], "`dlq_limit.first_records`", 0) if "first_records" in limit else 0

    tombstones = doc.choice(top["tombstones"][1], "`tombstones`", ("pass", "dlq")) if "tombstones" in top else None
    contract_rules = Pipeline.contract_rules
    if "contract_rules" in top:
        if value_format not in REGISTRY_FORMATS:
            raise doc.error(top["contract_rules"][0], "`contract_rules` applies to a registry's data contracts, and "
                                                      "JSON values (`value_format: json`) have no registered schema")
        contract_rules = doc.choice(top["contract_rules"][1], "`contract_rules`", ("enforce", "warn", "ignore"))
    owners, tags = (tuple(doc.string(n, f"each of `{key}`") for n in doc.sequence(top[key][1], f"`{key}`"))
                    if key in top else () for key in ("owners", "tags"))
    return Pipeline(
        name=name, path=path, sources=sources, valid_topic=valid_topic, dlq_topic=dlq_topic,
        value_format=value_format, subject=subject,  # type: ignore[arg-type]
        record_rules=tuple(record_rules), window_rules=tuple(window_rules),
        window_seconds=window_seconds, commit_every_records=commit_records, commit_every_ms=commit_ms,
        guarantee=guarantee, kpi_topic=kpi_topic, metrics_port=metrics_port,  # type: ignore[arg-type]
        dlq_limit_ratio=limit_ratio, dlq_limit_windows=limit_windows, dlq_limit_first_records=limit_first,
        suite_file=suite_file,
        owners=owners, tags=tags, tombstones=tombstones, contract_rules=contract_rules,  # type: ignore[arg-type]
        subject_line=subject_key.start_mark.line + 1, subject_given="subject" in top,
    )


def _sources(doc: _Doc, top: Mapping[str, tuple[yaml.Node, yaml.Node]], root: yaml.Node) -> tuple[str, ...]:
    if "source" in top and "sources" in top:
        raise doc.error(top["sources"][0], "give either `source` or `sources`, not both")
    if "source" in top:
        return (doc.string(top["source"][1], "`source`"),)
    if "sources" not in top:
        raise doc.error(root, "the pipeline is missing the required key `source` (or `sources`)")
    items = doc.sequence(top["sources"][1], "`sources`")
    if not items:
        raise doc.error(top["sources"][1], "`sources` must name at least one topic")
    names = tuple(doc.string(n, "each of `sources`") for n in items)
    if len(set(names)) != len(names):
        raise doc.error(top["sources"][1], "`sources` names a topic twice")
    return names


def _rules(doc: _Doc, node: yaml.Node, what: str, check: bool = True) -> list[Rule]:
    rules = []
    for item in doc.sequence(node, what):
        m = doc.mapping(item, f"an entry of {what}")
        if "expectation" not in m:
            raise doc.error(item, f"an entry of {what} is missing the required key `expectation`")
        etype = doc.string(m["expectation"][1], "`expectation`")
        line = item.start_mark.line + 1
        if "kwargs" in m:
            for key, (key_node, _) in m.items():
                if key not in _RULE_KEYS:
                    raise doc.error(key_node, f"unknown key `{key}` beside `kwargs` (put expectation arguments inside `kwargs`)")
            kwargs_node = m["kwargs"][1]
            args = doc.mapping(kwargs_node, "`kwargs`")
            kwargs = doc.value(kwargs_node)
        else:
            args = {k: nodes for k, nodes in m.items() if k not in _RULE_KEYS}
            kwargs = {k: doc.value(v) for k, (_, v) in args.items()}
        severity = doc.choice(m["severity"][1], "`severity`", ("critical", "warning")) if "severity" in m else "critical"
        name = doc.string(m["name"][1], "`name`") if "name" in m else _default_name(etype, kwargs)
        rules.append(_make_rule(doc, item, name, etype, kwargs, severity, line, check, _arg_lines(args)))
    return rules


def _arg_lines(args: Mapping[str, tuple[yaml.Node, yaml.Node]]) -> tuple[tuple[str, int], ...]:
    lines = []
    for key, (key_node, value_node) in args.items():
        lines.append((key, key_node.start_mark.line + 1))
        if isinstance(value_node, yaml.SequenceNode):
            lines.extend((f"{key}[{i}]", n.start_mark.line + 1) for i, n in enumerate(value_node.value))
    return tuple(lines)


def _default_name(etype: str, kwargs: Mapping[str, Any]) -> str:
    cols = [str(kwargs[k]) for k in ("column", "column_A", "column_B") if k in kwargs]
    if isinstance(kwargs.get("column_list"), list):
        cols.extend(str(c) for c in kwargs["column_list"])
    return f"{etype}({','.join(cols)})" if cols else etype


def _make_rule(doc: _Doc, node: yaml.Node | None, name: str, etype: str, kwargs: dict[str, Any],
               severity: str, line: int, check: bool = True, arg_lines: tuple[tuple[str, int], ...] = ()) -> Rule:
    lines = dict(arg_lines)
    check_arguments(etype, kwargs, lambda arg, msg: GovernanceError(f"{doc.path}, line {lines.get(arg, line)}: {msg}"))
    checked = None
    if check and covered(etype, kwargs):
        checked = as_json(kwargs)
    elif check:
        expectation_class(etype, lambda msg: doc.error(node, msg))
        checked = as_json(instantiate(etype, kwargs, lambda msg: doc.error(node, msg)).configuration.kwargs)
    return Rule(name=name, expectation_type=etype, kwargs=MappingProxyType(dict(kwargs)),
                severity=severity, line=line, checked=checked, arg_lines=arg_lines)  # type: ignore[arg-type]


def as_json(kwargs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """`kwargs` if JSON carries them unchanged (so a child process can hand them over), else None."""
    try:
        text = json.dumps(dict(kwargs), allow_nan=True)
    except (TypeError, ValueError):
        return None
    again = json.loads(text)
    return MappingProxyType(again) if again == dict(kwargs) else None


def _check_unique_names(doc: _Doc, rules: list[Rule]) -> None:
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.name in seen:
            raise GovernanceError(
                f"{doc.path}, line {rule.line}: rule name `{rule.name}` is already used on line {seen[rule.name].line}; "
                "give one of them a `name`")
        seen[rule.name] = rule


def _require_kind(doc: _Doc, rule: Rule, window: bool) -> None:
    """Record rules must be map expectations: only they name the failing rows."""
    is_map = (rule.expectation_type in MAP_EXPECTATIONS if covered(rule.expectation_type, rule.kwargs)
              else checks_single_records(rule.expectation_type, lambda m: GovernanceError(m)))
    if window and is_map and "mostly" not in rule.kwargs:
        raise GovernanceError(f"{doc.path}, line {rule.line}: `{rule.expectation_type}` checks single records; "
                              "put it under `expectations`, not `window.expectations`, or give it `mostly: 0.95` "
                              "to require that share of each window's records to pass")
    if not window and not is_map:
        raise GovernanceError(f"{doc.path}, line {rule.line}: `{rule.expectation_type}` judges a whole batch, not a record; "
                              "put it under `window.expectations`")


# ---------------------------------------------------------------- GX suite JSON


def load_suite(suite_file: Path, parent: _Doc | None = None, parent_node: yaml.Node | None = None,
               check: bool = True) -> list[Rule]:
    """A GX expectation suite JSON file; severity comes from each expectation's `meta.severity`.

    JSON is read through the YAML composer too (JSON is YAML), so errors carry lines.
    """
    try:
        text = suite_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        where = parent.error(parent_node, f"cannot read suite file {suite_file}: {e}") if parent else GovernanceError(str(e))
        raise where from None
    doc, root = _compose(suite_file, text)
    if root is None:
        raise GovernanceError(f"{suite_file}, line 1: the suite file is empty")
    top = doc.mapping(root, "the suite")
    if "expectations" not in top:
        raise doc.error(root, "the suite is missing `expectations`")
    rules = []
    for item in doc.sequence(top["expectations"][1], "`expectations`"):
        m = doc.mapping(item, "an expectation")
        type_key = "type" if "type" in m else "expectation_type"
        if type_key not in m:
            raise doc.error(item, "an expectation is missing `type`")
        etype = doc.string(m[type_key][1], f"`{type_key}`")
        kwargs = doc.value(m["kwargs"][1]) if "kwargs" in m else {}
        if not isinstance(kwargs, dict):
            raise doc.error(m["kwargs"][1], "`kwargs` must be a mapping")
        args = doc.mapping(m["kwargs"][1], "`kwargs`") if "kwargs" in m else {}
        meta = doc.value(m["meta"][1]) if "meta" in m else {}
        meta = meta if isinstance(meta, dict) else {}
        severity = meta.get("severity", "critical")
        if severity not in ("critical", "warning"):
            raise doc.error(m["meta"][1], f"`meta.severity` must be critical or warning, not {severity!r}")
        name = meta.get("rule") or meta.get("name") or _default_name(etype, kwargs)
        rules.append(_make_rule(doc, item, str(name), etype, kwargs, severity, item.start_mark.line + 1, check,
                                _arg_lines(args)))
    return rules
