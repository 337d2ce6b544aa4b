"""Confluent data contracts (a schema's `ruleSet`) enforced on decoded records.

`Contract.of(rule_set, subject=, version=, schema_type=, schema=, mode=)` compiles a schema version's
CEL and CEL_FIELD CONDITION rules once; `contract.check_batch(records)` gives each record's
`RuleFailure`s. What Confluent's clients do, and where this differs, is in docs/CONTRACTS.md.
Imports the CEL library (common-expression-language) on first compile only.
"""

from governance.contracts.contract import Contract, ContractRule, Ignored, RuleFailure
from governance.contracts.ruleset import ContractError

__all__ = ["Contract", "ContractError", "ContractRule", "Ignored", "RuleFailure"]
