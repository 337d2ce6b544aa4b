"""The sentinel's judge: decode a micro-batch, validate it with the pipeline's rules,
and say for each record whether it goes to the valid topic or the DLQ.

Every batch is also tallied (per window, per rule) for the KPIs. A registry that
cannot be reached is not the records' fault, so decoding is retried for a while
instead of sending the batch to the DLQ.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from confluent_kafka import Message

from governance.errors import GovernanceError, Unreachable
from governance.sentinel.contracts import WriterContracts, of_decoder
from governance.sentinel.decode import Decoder, DecodeFailure
from governance.sentinel.headers import ContractBreach
from governance.sentinel.pipeline import ContractRules, Rule
from governance.sentinel.routing import Verdict
from governance.sentinel.validate import VALID, RecordValidator, RuleFailure, flatten

log = logging.getLogger(__name__)


@dataclass
class BatchTally:
    """What one batch contributed to the KPIs; tallies add up into windows."""

    records_in: int = 0
    valid: int = 0
    invalid: int = 0
    schema_failures: int = 0
    warning_records: int = 0
    rule_failures: dict[str, int] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    """Valid records' values of the columns window rules read."""
    columns_seen: set[str] = field(default_factory=set)
    """Watched rule columns that at least one record had."""
    tombstones: int = 0
    """Null values passed to the valid topic as deletes (counted in `valid` too)."""
    foreign_subjects: dict[str, int] = field(default_factory=dict)
    """Records whose schema id is registered under other subjects than the pipeline's, by those subjects."""

    def add(self, other: BatchTally, rows: bool = True) -> None:
        self.records_in += other.records_in
        self.valid += other.valid
        self.invalid += other.invalid
        self.schema_failures += other.schema_failures
        self.warning_records += other.warning_records
        self.tombstones += other.tombstones
        for rule, count in other.rule_failures.items():
            self.rule_failures[rule] = self.rule_failures.get(rule, 0) + count
        for subject, count in other.foreign_subjects.items():
            self.foreign_subjects[subject] = self.foreign_subjects.get(subject, 0) + count
        if rows:
            self.rows.extend(other.rows)
        self.columns_seen |= other.columns_seen


class SentinelJudge:
    def __init__(
        self,
        decoder: Decoder,
        validator: RecordValidator,
        window_columns: tuple[str, ...] = (),
        on_batch: Callable[[BatchTally], None] | None = None,
        registry_patience_s: float = 60.0,
        watched_columns: tuple[str, ...] = (),
        pass_tombstones: frozenset[str] = frozenset(),
        contracts: WriterContracts | None = None,
    ) -> None:
        """`pass_tombstones`: source topics whose null values are deletes, valid as they are. `contracts`:
        the data contracts of the records' writer versions, judged beside the rules."""
        self.pass_tombstones = pass_tombstones
        self.contracts = contracts
        self.decoder = decoder
        self.watched_columns = watched_columns
        self.validator = validator
        self.window_columns = window_columns
        self.on_batch = on_batch
        self.registry_patience_s = registry_patience_s

    def __call__(self, messages: list[Message]) -> list[Verdict]:
        verdicts, tally = self.judge_values(*self.inputs(messages))
        if self.on_batch is not None:
            self.on_batch(tally)
        return verdicts

    def inputs(self, messages: list[Message]) -> tuple[list[bytes | None], list[str] | None]:
        """What `judge_values` reads of `messages`: their values, and their topics when some source passes tombstones."""
        return [m.value() for m in messages], [m.topic() for m in messages] if self.pass_tombstones else None

    def judge_values(self, values: list[bytes | None], topics: list[str] | None = None
                     ) -> tuple[list[Verdict], BatchTally]:
        """Each value's verdict and the batch's tally; `topics` (each value's source) matter only
        for tombstones, and only when some source passes them."""
        decoded = self._decode(values)
        tally = BatchTally(records_in=len(values))
        verdicts: list[Verdict | None] = [None] * len(values)
        records: list[dict[str, Any]] = []
        positions: list[int] = []
        passing = self.pass_tombstones
        for i, result in enumerate(decoded):
            if passing and values[i] is None and topics is not None and topics[i] in passing:
                verdicts[i] = _VALID  # a delete in a compacted topic: downstream needs it
                tally.tombstones += 1
            elif isinstance(result, DecodeFailure):
                verdicts[i] = Verdict(False, "deserialize", (), result.exception_class, result.reason)
                tally.schema_failures += 1
                if result.subjects:
                    key = ", ".join(result.subjects)
                    tally.foreign_subjects[key] = tally.foreign_subjects.get(key, 0) + 1
            else:
                records.append(result)
                positions.append(i)
        failures = self.validator.validate(records) if records else []
        breaches: list[ContractBreach | None] = [None] * len(records)
        checked = self.contracts.check(records, [values[p] for p in positions]) if self.contracts and records else None
        if checked is not None:
            found, breaches = checked
            for failed, more in zip(failures, found):
                failed.extend(more)
        columns = self.window_columns
        for record, position, failed, breach in zip(records, positions, failures, breaches):
            verdict = verdicts[position] = self._verdict(failed, tally, breach)
            if columns:  # every record that deserialized: window share rules count them all
                flat = flatten(record)
                tally.rows.append({**{c: flat.get(c) for c in columns}, VALID: verdict.valid})
        if self.watched_columns and records:
            tally.columns_seen = _columns_seen(records, self.watched_columns)
        tally.invalid = sum(1 for v in verdicts if v is not None and not v.valid)
        tally.valid = tally.records_in - tally.invalid
        return verdicts, tally  # type: ignore[return-value]

    @staticmethod
    def _verdict(failed: list[RuleFailure], tally: BatchTally, breach: ContractBreach | None = None) -> Verdict:
        if not failed:
            return _VALID
        counts = tally.rule_failures
        critical = []
        for failure in failed:
            counts[failure.rule] = counts.get(failure.rule, 0) + 1
            if failure.severity == "critical":
                critical.append((failure.rule, failure.message))
        if critical:
            return Verdict(False, "validate", tuple(critical), contract=breach)
        tally.warning_records += 1
        return _VALID

    def _decode(self, values: list[bytes | None]) -> list[dict[str, Any] | DecodeFailure]:
        deadline = time.monotonic() + self.registry_patience_s
        delay = 0.5
        while True:
            try:
                return self.decoder.decode_batch(values)
            except GovernanceError as e:
                if time.monotonic() + delay > deadline:
                    raise (Unreachable if isinstance(e, Unreachable) else GovernanceError)(
                        f"{e.message} (still failing after {self.registry_patience_s:.0f} s)",
                        hint="the sentinel stopped without committing the batch; it resumes there once restarted",
                    ) from None
                log.warning("%s; retrying in %.1f s", e.message, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)


@dataclass(frozen=True)
class JudgeSpec:
    """How to build a sentinel's judge: one recipe for the main process and its judge workers (it pickles)."""

    value_format: str
    registry_url: str | None
    subject: str | None
    rules: tuple[dict[str, Any], ...]
    window_columns: tuple[str, ...]
    watched_columns: tuple[str, ...]
    pass_tombstones: frozenset[str]
    valid_subject: str | None = None
    """Where each writer schema passed on is registered too (`valid_subject.py`); None: nowhere."""
    contract_rules: ContractRules = "ignore"
    """The data contracts of the writer versions (`contracts.py`): enforce, warn or ignore."""

    @staticmethod
    def of(rules: tuple[Rule, ...], **fields: Any) -> JudgeSpec:
        plain = tuple({**r.__dict__, "kwargs": dict(r.kwargs), "checked": dict(r.checked) if r.checked else None}
                      for r in rules)
        return JudgeSpec(rules=plain, **fields)

    def build(self, on_batch: Callable[[BatchTally], None] | None = None) -> SentinelJudge:
        rules = tuple(Rule(**{**r, "kwargs": MappingProxyType(r["kwargs"]),
                              "checked": MappingProxyType(r["checked"]) if r["checked"] is not None else None})
                      for r in self.rules)
        decoder = Decoder(self.value_format, self.registry_url, self.subject,  # type: ignore[arg-type]
                          valid_subject=self.valid_subject)
        return SentinelJudge(decoder, RecordValidator(rules), self.window_columns, on_batch,
                             watched_columns=self.watched_columns, pass_tombstones=self.pass_tombstones,
                             contracts=of_decoder(decoder, self.contract_rules))


def _columns_seen(records: list[dict[str, Any]], columns: tuple[str, ...]) -> set[str]:
    """Which columns some record has; usually settled by the first record."""
    missing = list(columns)
    for record in records:
        flat = flatten(record)
        missing = [c for c in missing if c not in flat]
        if not missing:
            break
    return set(columns).difference(missing)


_VALID = Verdict(True)
