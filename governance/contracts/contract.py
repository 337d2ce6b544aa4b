"""A schema version's data contract: its CEL conditions, compiled once, judging batches of records.

`Contract.of` keeps the domain rules Confluent's client would run for `mode` (Confluent's
`_execute_rules`: a WRITEREAD rule runs on WRITE and READ, UPDOWN on UPGRADE and DOWNGRADE, a
disabled rule never, nor any when `ruleSet.enableAt` is other than ALL or CLIENT; READ runs them
in reverse order) and of those the CONDITIONs of type CEL and CEL_FIELD; every other rule is in
`ignored` with the reason. Each rule's `onFailure` is resolved for `mode` (`DLQ,NONE` on a
WRITEREAD rule is DLQ when writing, NONE when reading; absent is ERROR, Confluent's default).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from governance.contracts.cel import FALSE, Condition
from governance.contracts.fields import Field, Walk, walker
from governance.contracts.ruleset import MODES, ContractError, Rule, parse_rule_set, where
from governance.contracts.shapes import Checker, Failing, compile_shape

ACTIONS = ("DLQ", "ERROR", "NONE")
SCHEMA_TYPES = ("AVRO", "PROTOBUF", "JSON")
_FIELD_VARIABLES = ("value", "fullName", "name", "typeName", "tags", "message")
_RUNS_ON = {"WRITEREAD": ("WRITE", "READ"), "UPDOWN": ("UPGRADE", "DOWNGRADE")}


@dataclass(frozen=True)
class ContractRule:
    """One enforced rule; `on_failure` is the action for the contract's mode: DLQ, ERROR or NONE."""

    name: str
    type: str  # CEL or CEL_FIELD
    mode: str  # as the rule says: WRITE, READ, WRITEREAD, ...
    expr: str
    on_failure: str
    doc: str | None = None
    tags: tuple[str, ...] = ()
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleFailure:
    """A rule one record broke. `message` is what Confluent's `__rule.exception` header says (the
    rule's doc, else "Rule expr failed: <expr>", for a false result; the error's text otherwise);
    `exception` is the evaluation error's text, None when the rule returned false."""

    rule: str
    message: str
    exception: str | None


@dataclass(frozen=True)
class Ignored:
    """A rule of the rule set that the contract does not enforce, and why."""

    rule: str
    reason: str


class _Judge:
    """One rule, compiled: its verdict on a batch of records.

    The compiled shape (shapes.py), when the expression has one, finds the records where it is
    false (Confluent's fixed failure) and those where it is an error; the evaluator judges those
    (and every record of a batch the shape does not model) for the error's text. A CEL_FIELD rule
    has a shape per field, whose name, type and tags are constants there."""

    def __init__(self, rule: ContractRule, condition: Condition, walk: Walk | None) -> None:
        self.rule = rule
        self.condition = condition
        self.walk = walk
        self.shape = compile_shape(rule.expr, "message") if walk is None else None
        self.field_shapes: dict[Field, Checker] = {}
        self.false_message = rule.doc or f"Rule expr failed: {rule.expr}"
        self.false_failure = RuleFailure(rule.name, self.false_message, None)

    def judge(self, records: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, RuleFailure]]:
        """The failing records of the batch, in order, with their failure."""
        found = self._shaped(records)
        if found is None:
            suspects: Iterable[int] = range(len(records))
            false: set[int] = set()
        else:
            false, errors = found
            suspects = sorted(false.union(errors))
        for i in suspects:
            failure = self.false_failure if i in false else self.verdict(records[i])
            if failure is not None:
                yield i, failure

    def _shaped(self, records: Sequence[Mapping[str, Any]]) -> tuple[set[int], set[int]] | None:
        """The records the shape finds false, and those for the evaluator; None: all for the evaluator."""
        if self.walk is None:
            found = None if self.shape is None else self.shape(records)
            return None if found is None else (set(found.false), set(found.error))
        columns: dict[Field, tuple[list[Any], list[tuple[int, int]]]] = {}  # a field's values, and where
        for i, record in enumerate(records):
            for p, (field, value, _) in enumerate(self.walk(record)):
                column = columns.get(field)
                if column is None:
                    column = columns[field] = ([], [])
                column[0].append(value)
                column[1].append((i, p))
        first: dict[int, tuple[int, bool]] = {}  # a record's first failing visit decides: (position, false?)
        for field, (values, places) in columns.items():
            found = self._field_shape(field)(values)
            if found is None:  # this field's values go to the evaluator, with their records
                failing = [(places[j], False) for j in range(len(values))]
            else:
                failing = [(places[j], True) for j in found.false] + [(places[j], False) for j in found.error]
            for (i, p), false in failing:
                if i not in first or p < first[i][0]:
                    first[i] = (p, false)
        return {i for i, (_, false) in first.items() if false}, {i for i, (_, false) in first.items() if not false}

    def _field_shape(self, field: Field) -> Checker:
        """The shape for one field: `fullName`, `name`, `typeName` and `tags` are its constants there."""
        shape = self.field_shapes.get(field)
        if shape is None:
            shape = compile_shape(self.rule.expr, "value", {"fullName": field.full_name, "name": field.name,
                                                            "typeName": field.type_name, "tags": field.tags})
            shape = self.field_shapes[field] = shape or _evaluator_only
        return shape

    def verdict(self, record: Mapping[str, Any]) -> RuleFailure | None:
        if self.walk is None:
            return self._failure(self.condition.judge({"message": record}))
        for field, value, containing in self.walk(record):
            failure = self._failure(self.condition.judge({
                "value": value, "fullName": field.full_name, "name": field.name,
                "typeName": field.type_name, "tags": list(field.tags), "message": containing}))
            if failure is not None:
                return failure
        return None

    def _failure(self, judged: None | bool | str) -> RuleFailure | None:
        if judged is None:
            return None
        if judged is FALSE:
            return self.false_failure
        return RuleFailure(self.rule.name, str(judged), str(judged))


class Contract:
    """The enforced rules of one schema version; build it with `Contract.of`."""

    def __init__(self, subject: str, version: int, mode: str, judges: Sequence[_Judge],
                 ignored: Sequence[Ignored], recipe: Mapping[str, Any] | None = None) -> None:
        self._recipe = dict(recipe or {})
        self.subject = subject
        self.version = version
        self.mode = mode
        self._judges = tuple(judges)
        self.rules: tuple[ContractRule, ...] = tuple(j.rule for j in judges)
        self.ignored: tuple[Ignored, ...] = tuple(ignored)

    @classmethod
    def of(cls, rule_set: Mapping[str, Any] | None, *, subject: str, version: int, schema_type: str,
           schema: Any, mode: str = "WRITE", metadata: Mapping[str, Any] | None = None,
           references: Mapping[str, str] | None = None, message_type: str | None = None) -> Contract:
        """The contract of `subject` `version` (its registry `ruleSet`, `schemaType`, `schema` as text or
        parsed, `metadata` for tag globs, `references` as registry.client.referenced_texts gives them,
        for CEL_FIELD rules on types named from other subjects; `message_type`, a Protobuf record's
        message full name, the file's first message when None). A rule that cannot be enforced as written (a CEL syntax
        error, a malformed rule) is a ContractError naming subject, version and rule."""
        mode = mode.upper()
        if mode not in MODES:
            raise ContractError(f"{where(subject, version)}: mode {mode!r} is not one of {', '.join(MODES)}")
        schema_type = (schema_type or "AVRO").upper().replace("JSON_SCHEMA", "JSON")
        parsed = parse_rule_set(rule_set, subject=subject, version=version)
        ignored = [Ignored(r.name, "a migration rule (runs between schema versions, not on records as written)")
                   for r in parsed.migration_rules]
        ignored += [Ignored(r.name, "an encoding rule (runs on the serialized bytes)") for r in parsed.encoding_rules]
        domain = list(reversed(parsed.domain_rules)) if mode == "READ" else list(parsed.domain_rules)
        judges = []
        for rule in domain:
            reason = _not_enforced(rule, mode, parsed.enable_at, schema_type)
            if reason is not None:
                ignored.append(Ignored(rule.name, reason))
                continue
            at = where(subject, version, rule.name)
            contract_rule = ContractRule(rule.name, rule.type, rule.mode, rule.expr or "",
                                         _action(rule, mode), rule.doc, rule.tags, rule.params)
            walk = (walker(schema_type, schema, rule.tags, metadata, at, references, message_type)
                    if rule.type == "CEL_FIELD" else None)
            variables = _FIELD_VARIABLES if walk is not None else ("message",)
            judges.append(_Judge(contract_rule, Condition(rule.expr or "", at, variables), walk))
        recipe = {"rule_set": rule_set, "subject": subject, "version": version, "schema_type": schema_type,
                  "schema": schema, "mode": mode, "metadata": metadata, "references": references,
                  "message_type": message_type}
        return cls(subject, version, mode, judges, ignored, recipe)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles as the arguments it was built from (compiled programs do not pickle): a judge
        worker process compiles its own."""
        return _rebuild, (self._recipe,)

    def check_batch(self, records: Sequence[Mapping[str, Any] | None]) -> list[list[RuleFailure]]:
        """Per record, in order, the rules it breaks (empty when it keeps them all). A null record (a
        tombstone) breaks none: Confluent runs no rule on a null message."""
        out: list[list[RuleFailure]] = [[] for _ in records]
        present = [i for i, r in enumerate(records) if r is not None] if None in records else None
        judged = records if present is None else [records[i] for i in present]
        for judge in self._judges:
            for i, failure in judge.judge(judged):
                out[i if present is None else present[i]].append(failure)
        return out

    def check(self, record: Mapping[str, Any] | None) -> list[RuleFailure]:
        """The rules one record breaks."""
        return self.check_batch([record])[0]


def _evaluator_only(inputs: Sequence[Any]) -> Failing | None:
    """The checker of a rule without a shape: every batch to the evaluator."""
    return None


def _rebuild(recipe: dict[str, Any]) -> Contract:
    return Contract.of(recipe["rule_set"], **{k: v for k, v in recipe.items() if k != "rule_set"})


def _not_enforced(rule: Rule, mode: str, enable_at: str | None, schema_type: str) -> str | None:
    if rule.disabled:
        return "disabled"
    if enable_at is not None and enable_at.upper() not in ("ALL", "CLIENT"):
        return f"ruleSet.enableAt is {enable_at} (rules run on clients only when ALL or CLIENT)"
    if mode not in _RUNS_ON.get(rule.mode, (rule.mode,)):
        return f"mode {rule.mode} does not run on {mode}"
    if rule.kind != "CONDITION":
        return f"kind {rule.kind} (only CONDITION rules are enforced: a transform would change the record)"
    if rule.type not in ("CEL", "CEL_FIELD"):
        return f"type {rule.type} (only CEL and CEL_FIELD conditions are enforced)"
    if rule.type == "CEL_FIELD" and schema_type not in SCHEMA_TYPES:
        return f"CEL_FIELD on a {schema_type} subject (fields are read from Avro, Protobuf and JSON Schema only)"
    return None


def _action(rule: Rule, mode: str) -> str:
    """Confluent's `_get_rule_action_name` for onFailure; absent is ERROR, an action the sentinel
    does not have (a custom one) counts as ERROR: the record is invalid."""
    action = rule.on_failure
    if action and rule.mode in _RUNS_ON and "," in action:
        write, _, read = action.partition(",")
        action = write if mode in ("WRITE", "UPGRADE") else read
    action = (action or "ERROR").strip().upper()
    return action if action in ACTIONS else "ERROR"


