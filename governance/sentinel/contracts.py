"""The registry's data contracts in the sentinel: the domain CONDITION rules of the schema version
each record was written with (its `ruleSet`), judged beside the pipeline's GX rules.

Confluent runs a version's rules in its clients' serializers: WRITE rules when a producer writes,
READ rules when a consumer reads, WRITEREAD rules both times. The sentinel stands between the two,
for records written without the rules run: it enforces all three, each once. WRITE and WRITEREAD
rules because a producer's serializer would have refused the record; READ rules because every
consumer of the valid topic that reads it with Confluent's deserializer would fail on it, or send
it to a DLQ of its own, one consumer at a time and outside any transaction. A rule with `onFailure`
DLQ or ERROR (Confluent's default) makes the record invalid; NONE makes it a warning. Its name is
`contract:<name>` wherever the sentinel names rules. `contract_rules: warn` in the pipeline makes
every failure a warning; `ignore` reads no contract at all.

What a rule means (disabled, tags on CEL_FIELD, guards, params) is `governance.contracts`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from governance.errors import GovernanceError
from governance.sentinel.decode import Decoder, Writer
from governance.sentinel.headers import ContractBreach
from governance.sentinel.pipeline import ContractRules, Pipeline
from governance.sentinel.validate import RuleFailure

PREFIX = "contract:"
_CRITICAL = frozenset({"DLQ", "ERROR"})


@dataclass(frozen=True)
class EnforcedRule:
    """One rule of a version's contract, as the sentinel enforces it."""

    name: str
    """`contract:<name>`."""
    severity: str
    mode: str
    """Where it is enforced: WRITE (a WRITE or WRITEREAD rule) or READ."""
    declared: str
    """The rule's own mode: WRITE, READ or WRITEREAD."""
    type: str
    expr: str
    on_failure: str


@dataclass(frozen=True)
class VersionContract:
    """What the sentinel enforces of one schema version's ruleSet."""

    subject: str
    version: int
    rules: tuple[EnforcedRule, ...]
    ignored: tuple[tuple[str, str], ...]
    """(`contract:<name>`, why it is not enforced)."""
    phases: tuple[tuple[str, Any], ...] = ()
    """(mode, `governance.contracts.Contract`): WRITE first, then READ, as Confluent's clients run them."""

    def check(self, records: Sequence[Mapping[str, Any]]) -> tuple[list[list[RuleFailure]], list[ContractBreach | None]]:
        """Per record, the contract rules it fails, and the one its `__rule.*` DLQ headers name."""
        failures: list[list[RuleFailure]] = [[] for _ in records]
        breaches: list[ContractBreach | None] = [None] * len(records)
        severity = {r.name: r.severity for r in self.rules}
        for mode, contract in self.phases:
            for i, failed in enumerate(contract.check_batch(records)):
                for failure in failed:  # in the order Confluent runs them (READ rules in reverse)
                    name = PREFIX + failure.rule
                    failures[i].append(RuleFailure(name, severity[name], failure.message))
                    if breaches[i] is None and severity[name] == "critical":
                        breaches[i] = ContractBreach(failure.rule, mode, self.subject, failure.message)
        return failures, breaches


def version_contract(subject: str, version: int, registered: Mapping[str, Any], enforcement: ContractRules,
                     references: Mapping[str, str] | None = None, message_type: str | None = None
                     ) -> VersionContract | None:
    """The contract of `registered` (the registry's answer for a schema: `schema`, `schemaType`, `ruleSet`;
    `references`: the texts its references name; `message_type`: for Protobuf, the records' message when
    not the file's first), None when it has no domain rules. A rule that cannot be enforced (a CEL
    expression that does not compile) is a `GovernanceError` naming subject, version and rule."""
    raw = registered.get("ruleSet")
    domain = raw.get("domainRules") if isinstance(raw, Mapping) else None
    if not domain or enforcement == "ignore":
        return None
    from governance.contracts import Contract, ContractError

    common = {"subject": subject, "version": version, "schema_type": registered.get("schemaType") or "AVRO",
              "schema": registered.get("schema"), "metadata": registered.get("metadata"), "references": references,
              "message_type": message_type}
    # Each rule once: WRITE and WRITEREAD ones as a producer runs them, then the READ ones as a consumer does.
    read_only = {**raw, "domainRules": [r for r in domain if isinstance(r, Mapping) and str(r.get("mode")).upper() == "READ"]}
    try:
        phases = [("WRITE", Contract.of(raw, **common, mode="WRITE"))]
        if read_only["domainRules"]:
            phases.append(("READ", Contract.of(read_only, **common, mode="READ")))
    except ContractError as e:
        raise GovernanceError(e.message, hint=(
            f"a version's rules never change: register the fixed ruleSet under {subject} as a new version, then "
            f"delete version {version} (DELETE /subjects/{subject}/versions/{version}, then again with "
            "?permanent=true); meanwhile `contract_rules: ignore` in the pipeline file starts without contracts")
        ) from None
    raw_actions = {r.get("name"): r.get("onFailure") for r in domain if isinstance(r, Mapping)}
    rules = []
    for mode, contract in phases:
        for r in contract.rules:
            on_failure = _stricter(r.on_failure, raw_actions.get(r.name)) if r.mode.upper() == "WRITEREAD" else r.on_failure
            rules.append(EnforcedRule(PREFIX + r.name, _severity(on_failure, enforcement), mode, r.mode, r.type, r.expr,
                                      on_failure))
    read_rules = {r.get("name") for r in read_only["domainRules"]}  # the READ phase says why it skips one
    ignored = tuple(dict.fromkeys((PREFIX + i.rule, i.reason) for mode, contract in phases for i in contract.ignored
                                  if mode == "READ" or i.rule not in read_rules))
    return VersionContract(subject, version, tuple(rules), ignored, tuple(phases))


class WriterContracts:
    """Each record judged by the contract of the schema version it was written with: built on first
    sight of a schema id (and, for Protobuf, of a message of it), from what the decoder fetched, and kept."""

    def __init__(self, subject: str, enforcement: ContractRules, writer: Callable[[int], Writer | None],
                 protobuf: bool = False) -> None:
        """`writer(schema_id)`: the id's version under `subject`, the registry's answer for it, its references' texts.
        `protobuf`: values name their message (Confluent's message-index list after the schema id)."""
        self.subject, self.enforcement, self._writer = subject, enforcement, writer
        self.key: Callable[[bytes], Hashable] = _protobuf_key if protobuf else _schema_id
        """What a value's contract is found by: its schema id, with its message-index list for Protobuf."""
        self._contracts: dict[Hashable, VersionContract | None] = {}
        self._without: set[bytes] = set()
        """The 4-byte schema ids of versions without domain rules: a batch of only those costs a set."""

    def check(self, records: Sequence[Mapping[str, Any]], values: Sequence[bytes]
              ) -> tuple[list[list[RuleFailure]], list[ContractBreach | None]] | None:
        """Per record (`values`: the bytes each was decoded from), the contract rules it fails and the one
        its `__rule.*` headers name; None when no record's writer version has a contract."""
        if {value[1:5] for value in values} <= self._without:
            return None
        failures: list[list[RuleFailure]] = [[] for _ in records]
        breaches: list[ContractBreach | None] = [None] * len(records)
        groups: dict[Hashable, list[int]] = {}
        key = self.key
        for i, value in enumerate(values):
            groups.setdefault(key(value), []).append(i)
        for key, indices in groups.items():
            contract = self._contract(key)
            if contract is None:
                continue
            found, named = contract.check([records[i] for i in indices] if len(indices) < len(records) else records)
            for i, failed, breach in zip(indices, found, named):
                failures[i], breaches[i] = failed, breach
        return failures, breaches

    def _contract(self, key: Hashable) -> VersionContract | None:
        if key not in self._contracts:
            schema_id, indexes = key if isinstance(key, tuple) else (key, None)
            writer = self._writer(schema_id)  # type: ignore[arg-type]
            contract = None
            if writer is not None:
                message = _message_type(writer, indexes) if indexes not in (None, (0,)) else None
                contract = version_contract(self.subject, *writer[:2], self.enforcement, writer[2], message)
            if contract is None:
                self._without.add(schema_id.to_bytes(4, "big"))  # type: ignore[union-attr]
            self._contracts[key] = contract
        return self._contracts[key]


def _schema_id(value: bytes) -> int:
    return int.from_bytes(value[1:5], "big")


def _protobuf_key(value: bytes) -> tuple[int, tuple[int, ...]]:
    from governance.protobuf.wire import read_indexes

    return _schema_id(value), (0,) if value[5:6] == b"\x00" else read_indexes(value[5:])[0]


def _message_type(writer: Writer, indexes: tuple[int, ...]) -> str:
    """The full name of the message a Protobuf message-index list names in the writer schema."""
    from governance.formats import format_for

    _, registered, references = writer
    types = list(format_for("PROTOBUF").parse(registered["schema"], references).descriptor.message_types_by_name.values())
    for index in indexes:
        message = types[index]
        types = list(message.nested_types)
    return str(message.full_name)


def of_decoder(decoder: Decoder, enforcement: ContractRules) -> WriterContracts | None:
    """The writer contracts of the records `decoder` decodes; None when there are none to read."""
    if enforcement == "ignore" or decoder.subject is None or decoder.value_format == "json":
        return None
    return WriterContracts(decoder.subject, enforcement, decoder.writer, protobuf=decoder.value_format == "protobuf")


def subject_contracts(pipeline: Pipeline, registry_url: str) -> list[VersionContract]:
    """The contract of each version registered under the pipeline's subject (soft-deleted ones too: records
    written with them may still arrive), oldest first. Raises when a rule cannot be enforced."""
    from governance.registry.client import RegistryClient, referenced_texts

    if pipeline.contract_rules == "ignore" or pipeline.subject is None:
        return []
    registry = RegistryClient(registry_url, unreachable_hint="check --registry / $GOVERNANCE_REGISTRY_URL")
    found = []
    for answer in registry.registered_versions(pipeline.subject) or []:
        references = (referenced_texts(lambda path: registry.call("GET", path), answer.get("references") or [])
                      if answer.get("ruleSet") else {})
        contract = version_contract(pipeline.subject, int(answer["version"]), answer, pipeline.contract_rules, references)
        if contract is not None:
            found.append(contract)
    return found


def describe(pipeline: Pipeline, contracts: Sequence[VersionContract]) -> list[str]:
    """The banner's and `sentinel check`'s lines: each version's enforced rules, and the ignored ones with why."""
    if pipeline.contract_rules == "ignore":
        return [f"  contracts  not read (`contract_rules: ignore` in {pipeline.path.name})"]
    how = " (`contract_rules: warn`: every failure is a warning)" if pipeline.contract_rules == "warn" else ""
    if not contracts:
        return [f"  contracts  none: no version of {pipeline.subject} has domain rules{how}"]
    enforced = sum(len(c.rules) for c in contracts)
    lines = [f"  contracts  {enforced} rule{'s' if enforced != 1 else ''} of {pipeline.subject}, "
             f"each record judged by its writer version's{how}:"]
    for c in contracts:
        lines += [f"    v{c.version:<4} [{r.severity}] {r.name} ({r.type}, {r.declared}"
                  f"{'' if r.declared == r.mode else f' enforced as {r.mode}'}, onFailure {r.on_failure}): {r.expr}"
                  for r in c.rules]
        lines += [f"    v{c.version:<4} [ignored] {name}: {why}" for name, why in c.ignored]
    return lines


def rule_severities(contracts: Sequence[VersionContract]) -> dict[str, str]:
    """Each contract rule's severity, as its latest version says."""
    return {r.name: r.severity for c in contracts for r in c.rules}


def _stricter(write_action: str, raw: Any) -> str:
    """A WRITEREAD rule is judged once, between its writers and its readers: `NONE,DLQ` (lenient
    producers, strict consumers) sends a failing record to the DLQ, as every consumer would."""
    if not isinstance(raw, str) or "," not in raw or write_action in _CRITICAL:
        return write_action
    read_action = raw.partition(",")[2].strip().upper() or "ERROR"
    if read_action == "NONE":
        return write_action
    return read_action if read_action in _CRITICAL else "ERROR"  # an action the sentinel lacks: as the core reads it


def _severity(on_failure: str, enforcement: ContractRules) -> str:
    """`on_failure` as the core resolved it for the phase: DLQ, ERROR or NONE."""
    if enforcement == "warn":
        return "warning"
    return "critical" if on_failure in _CRITICAL else "warning"
