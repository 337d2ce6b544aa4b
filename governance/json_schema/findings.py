"""Differences between JSON Schemas (Confluent's `Difference.Type` names and `#/...` paths) and how they are told.

A difference compares an original schema (the writer's) with an update (the reader's): BACKWARD
compares (old, new), FORWARD (new, old), as Confluent's JSON Schema checker does. Which
differences are compatible depends on the policy: Confluent's default (strict) set, or its
lenient set (`compatibilityPolicy: LENIENT`), which also lets properties be added to open and
removed from closed content models, as Avro's rules would.

`KEYWORD_NOT_COMPARED` is ours, not Confluent's: a validation keyword the checker does not compare
(`if`, `contains`, `propertyNames`, changed pattern sets, ...) changed. It is never compatible
under any policy, and its finding says `cannot_judge`: the registry answers 409 like any
incompatibility (its message names the keyword), or 422 if it prefers to refuse to judge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field

from governance.compat import BACKWARD, BaseFinding
from governance.json_schema.text import split_pointer
STRICT = "STRICT"
LENIENT = "LENIENT"
KEYWORD_NOT_COMPARED = "KEYWORD_NOT_COMPARED"

_STRICT = frozenset({
    "ID_CHANGED", "DESCRIPTION_CHANGED", "TITLE_CHANGED", "DEFAULT_CHANGED", "SCHEMA_REMOVED", "TYPE_EXTENDED",
    "MAX_LENGTH_INCREASED", "MAX_LENGTH_REMOVED", "MIN_LENGTH_DECREASED", "MIN_LENGTH_REMOVED", "PATTERN_REMOVED",
    "MAXIMUM_INCREASED", "MAXIMUM_REMOVED", "MINIMUM_DECREASED", "MINIMUM_REMOVED", "EXCLUSIVE_MAXIMUM_INCREASED",
    "EXCLUSIVE_MAXIMUM_REMOVED", "EXCLUSIVE_MINIMUM_DECREASED", "EXCLUSIVE_MINIMUM_REMOVED", "MULTIPLE_OF_REDUCED",
    "MULTIPLE_OF_REMOVED", "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", "REQUIRED_ATTRIBUTE_REMOVED",
    "DEPENDENCY_ARRAY_NARROWED", "DEPENDENCY_ARRAY_REMOVED", "DEPENDENCY_SCHEMA_REMOVED", "MAX_PROPERTIES_INCREASED",
    "MAX_PROPERTIES_REMOVED", "MIN_PROPERTIES_DECREASED", "MIN_PROPERTIES_REMOVED", "ADDITIONAL_PROPERTIES_ADDED",
    "ADDITIONAL_PROPERTIES_EXTENDED", "UNEVALUATED_PROPERTIES_ADDED", "UNEVALUATED_PROPERTIES_EXTENDED",
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "MAX_ITEMS_INCREASED", "MAX_ITEMS_REMOVED", "MIN_ITEMS_DECREASED", "MIN_ITEMS_REMOVED", "UNIQUE_ITEMS_REMOVED",
    "MAX_CONTAINS_INCREASED", "MAX_CONTAINS_REMOVED", "MIN_CONTAINS_DECREASED", "MIN_CONTAINS_REMOVED",
    "ADDITIONAL_ITEMS_ADDED", "ADDITIONAL_ITEMS_EXTENDED", "UNEVALUATED_ITEMS_ADDED", "UNEVALUATED_ITEMS_EXTENDED",
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ENUM_ARRAY_EXTENDED", "COMBINED_TYPE_EXTENDED", "PRODUCT_TYPE_NARROWED", "SUM_TYPE_EXTENDED",
    "NOT_TYPE_NARROWED",
})
_LENIENT = _STRICT | {
    "ADDITIONAL_PROPERTIES_NARROWED", "ADDITIONAL_PROPERTIES_REMOVED", "UNEVALUATED_PROPERTIES_NARROWED",
    "UNEVALUATED_PROPERTIES_REMOVED", "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
}
COMPATIBLE: Mapping[str, frozenset[str]] = {STRICT: _STRICT, LENIENT: frozenset(_LENIENT)}


def policy_of(text: str | None) -> str:
    """The policy `text` names (any case; None is Confluent's default, STRICT); ValueError otherwise."""
    value = (text or STRICT).strip().upper()
    if value not in COMPATIBLE:
        raise ValueError(f"unknown JSON Schema compatibility policy {text!r}: expected STRICT or LENIENT")
    return value


@dataclass(frozen=True)
class Difference:
    """One entry of the diff from an original (writer's) schema to an update (reader's); `old`/`new` are
    the compared values where a keyword's value is concerned, `keyword` the keyword not compared."""

    type: str
    path: str
    old: str = ""
    new: str = ""
    keyword: str = ""


@dataclass(frozen=True)
class Finding(BaseFinding):
    """A difference that stops a new schema from joining a subject, told for a version and a direction."""

    additional_info: str = ""
    keyword: str = ""
    details: Mapping[str, str] = _field(default_factory=dict, repr=False, compare=False)

    @property
    def cannot_judge(self) -> bool:
        """The checker met a change it does not compare: it refuses to judge rather than answer compatible."""
        return self.type == KEYWORD_NOT_COMPARED

    @classmethod
    def of(cls, diff: Difference, version: int | None = None, direction: str = BACKWARD) -> Finding:
        draft = cls(diff.type, diff.path, field_path(diff.path), None, BACKWARD, "", keyword=diff.keyword,
                    details={"old": diff.old, "new": diff.new})
        return draft.in_context(version, direction)

    def sentence(self) -> str:
        return _sentence(self)

    def confluent_message(self) -> str:
        """Confluent's `{errorType:"...", description:"..."}` for this finding."""
        upd, orig = self.update_and_original
        description = _confluent_description(self.type, self.location, self.keyword).format(upd=upd, orig=orig)
        return f'{{errorType:"{self.type}", description:"{description}"}}'


def field_path(location: str) -> str:
    """The dotted property path a JSON path names: `#/properties/a/properties/b/maxLength` -> `a.b`,
    `#/properties/a/required/b` -> `a.b`."""
    tokens = split_pointer(location)
    names: list[str] = []
    for i, token in enumerate(tokens[:-1]):
        if token == "properties" and (i == 0 or tokens[i - 1] != "properties"):
            names.append(tokens[i + 1])
    if len(tokens) >= 2 and tokens[-2] == "required" and (len(tokens) == 2 or tokens[-3] != "properties"):
        names.append(tokens[-1])
    return ".".join(names)


_WHAT = {
    "TYPE_CHANGED": "{R} expects {n} where {W} allows {o}",
    "TYPE_NARROWED": "{R} accepts only integers where {W} accepts any number",
    "SCHEMA_ADDED": "{R} has a schema here where {W} has none",
    "MAX_LENGTH_ADDED": "{R} allows at most {n} characters where {W} sets no limit",
    "MAX_LENGTH_DECREASED": "{R} allows at most {n} characters where {W} allows {o}",
    "MIN_LENGTH_ADDED": "{R} requires at least {n} characters where {W} sets no minimum",
    "MIN_LENGTH_INCREASED": "{R} requires at least {n} characters where {W} requires {o}",
    "PATTERN_ADDED": "{R} requires the pattern {n}, which {W} does not",
    "PATTERN_CHANGED": "{R} requires the pattern {n} where {W} requires {o}",
    "MAXIMUM_ADDED": "{R} allows at most {n} where {W} sets no maximum",
    "MAXIMUM_DECREASED": "{R} allows at most {n} where {W} allows {o}",
    "MINIMUM_ADDED": "{R} requires at least {n} where {W} sets no minimum",
    "MINIMUM_INCREASED": "{R} requires at least {n} where {W} requires {o}",
    "EXCLUSIVE_MAXIMUM_ADDED": "{R} requires values below {n} where {W} sets no such bound",
    "EXCLUSIVE_MAXIMUM_DECREASED": "{R} requires values below {n} where {W} allows up to {o}",
    "EXCLUSIVE_MINIMUM_ADDED": "{R} requires values above {n} where {W} sets no such bound",
    "EXCLUSIVE_MINIMUM_INCREASED": "{R} requires values above {n} where {W} allows down to {o}",
    "MULTIPLE_OF_ADDED": "{R} requires multiples of {n}, which {W} does not",
    "MULTIPLE_OF_EXPANDED": "{R} requires multiples of {n} where {W} requires multiples of {o}",
    "MULTIPLE_OF_CHANGED": "{R} requires multiples of {n} where {W} requires multiples of {o}",
    "REQUIRED_ATTRIBUTE_ADDED": "{R} requires the property, which {W} leaves optional, and gives it no default",
    "MAX_PROPERTIES_ADDED": "{R} allows at most {n} properties where {W} sets no limit",
    "MAX_PROPERTIES_DECREASED": "{R} allows at most {n} properties where {W} allows {o}",
    "MIN_PROPERTIES_ADDED": "{R} requires at least {n} properties where {W} sets no minimum",
    "MIN_PROPERTIES_INCREASED": "{R} requires at least {n} properties where {W} requires {o}",
    "ADDITIONAL_PROPERTIES_REMOVED": "{R} forbids properties it does not list, which {W} allows",
    "ADDITIONAL_PROPERTIES_NARROWED": "{R} constrains the properties it does not list where {W} accepts any",
    "UNEVALUATED_PROPERTIES_REMOVED": "{R} forbids unevaluated properties, which {W} allows",
    "UNEVALUATED_PROPERTIES_NARROWED": "{R} constrains unevaluated properties where {W} accepts any",
    "DEPENDENCY_ARRAY_ADDED": "{R} requires other properties ({n}) alongside `{last}`, which {W} does not",
    "DEPENDENCY_ARRAY_EXTENDED": "{R} requires more properties ({n}) alongside `{last}` than {W} ({o})",
    "DEPENDENCY_ARRAY_CHANGED": "{R} requires other properties ({n}) alongside `{last}` than {W} ({o})",
    "DEPENDENCY_SCHEMA_ADDED": "{R} adds a schema that applies when `{last}` is present, which {W} does not have",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "{R} defines a property that {W} does not list but accepts "
                                                     "with any value (an open content model)",
    "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "{R} requires a property that {W} does not list (an open "
                                                     "content model), with no default",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL": "{R} requires a property with a default that {W} "
                                                                  "does not list while accepting any unlisted property",
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": "{R} requires a property that {W} does not have, with no default",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL": "{R} no longer lists a property of {W} and forbids unlisted "
                                                  "properties (a closed content model)",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "{R} defines a property whose schema does not "
                                                                  "accept every value {W} allows for it through "
                                                                  "additionalProperties or patternProperties",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "{R} no longer lists a property of {W}, and its "
                                                                    "additionalProperties or patternProperties do "
                                                                    "not accept every value {W} allows for it",
    "MAX_ITEMS_ADDED": "{R} allows at most {n} items where {W} sets no limit",
    "MAX_ITEMS_DECREASED": "{R} allows at most {n} items where {W} allows {o}",
    "MIN_ITEMS_ADDED": "{R} requires at least {n} items where {W} sets no minimum",
    "MIN_ITEMS_INCREASED": "{R} requires at least {n} items where {W} requires {o}",
    "MAX_CONTAINS_ADDED": "{R} allows at most {n} matching items where {W} sets no limit",
    "MAX_CONTAINS_DECREASED": "{R} allows at most {n} matching items where {W} allows {o}",
    "MIN_CONTAINS_ADDED": "{R} requires at least {n} matching items where {W} sets no minimum",
    "MIN_CONTAINS_INCREASED": "{R} requires at least {n} matching items where {W} requires {o}",
    "UNIQUE_ITEMS_ADDED": "{R} requires unique items, which {W} does not",
    "ADDITIONAL_ITEMS_REMOVED": "{R} forbids items beyond its tuple, which {W} allows",
    "ADDITIONAL_ITEMS_NARROWED": "{R} constrains items beyond its tuple where {W} accepts any",
    "UNEVALUATED_ITEMS_REMOVED": "{R} forbids unevaluated items, which {W} allows",
    "UNEVALUATED_ITEMS_NARROWED": "{R} constrains unevaluated items where {W} accepts any",
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL": "{R} adds a tuple position that {W} leaves open to any value",
    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL": "{R} drops a tuple position of {W} and forbids items beyond its tuple",
    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "{R} adds a tuple position whose schema does not "
                                                              "accept every item {W} allows there",
    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "{R} drops a tuple position of {W}, and its schema "
                                                                "for further items does not accept every item {W} allows there",
    "ENUM_ARRAY_NARROWED": "{R} allows fewer values than {W} (no longer {o})",
    "ENUM_ARRAY_CHANGED": "{R} allows values ({n}) that are not those of {W} ({o})",
    "COMBINED_TYPE_CHANGED": "{R} combines its branches with {n} where {W} uses {o}",
    "PRODUCT_TYPE_EXTENDED": "{R} has more allOf branches, each of which a value must match, than {W}",
    "SUM_TYPE_NARROWED": "{R} has fewer branches to choose from than {W}",
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED": "the branches of {W} cannot each be matched to a compatible branch of {R}",
    "NOT_TYPE_EXTENDED": "{R} excludes values with `not` that {W} accepts",
    KEYWORD_NOT_COMPARED: "`{k}` changed, and this checker does not compare `{k}`: it cannot tell whether {R} "
                          "accepts everything {W} allows, so it refuses to judge rather than answer compatible",
}


def _sentence(f: Finding) -> str:
    old = f"version {f.version}" if f.version is not None else "the old schema"
    writer, reader = (old, "the new schema") if f.direction == BACKWARD else ("the new schema", old)
    where = f"property `{f.field_path}` ({f.location})" if f.field_path else \
        "the root of the schema" if f.location == "#/" else f"`{f.location}`"
    template = _WHAT.get(f.type, f.type.replace("_", " ").lower() + " from {W} to {R}")
    last = split_pointer(f.location)[-1] if split_pointer(f.location) else ""
    what = template.format(R=reader, W=writer, o=f.details.get("old", ""), n=f.details.get("new", ""), k=f.keyword,
                           last=last)
    if f.cannot_judge:
        return f"at {where}: {what}"
    return f"at {where}: {what}, so records written with {writer} may be refused by consumers using {reader}"


def _confluent_description(kind: str, path: str, keyword: str) -> str:
    if kind == KEYWORD_NOT_COMPARED:
        return f"The keyword '{keyword}' at path '{path}' changed and is not compared"
    if kind.endswith(("_ADDED", "_REMOVED")) and not kind.startswith(("PROPERTY", "ITEM", "OPTIONAL", "REQUIRED_P")):
        return f"The keyword at path '{path}' in the {{upd}} schema is not present in the {{orig}} schema"
    if kind.endswith(("_INCREASED", "_EXPANDED")):
        return f"The value at path '{path}' in the {{upd}} schema is more than its value in the {{orig}} schema"
    if kind.endswith("_DECREASED"):
        return f"The value at path '{path}' in the {{upd}} schema is less than its value in the {{orig}} schema"
    if kind in ("PATTERN_CHANGED", "MULTIPLE_OF_CHANGED", "DEPENDENCY_ARRAY_CHANGED"):
        return f"The value at path '{path}' is different between the {{upd}} and {{orig}} schema"
    if kind.endswith("_NARROWED") and kind != "TYPE_NARROWED":
        return f"An array or combined type at path '{path}' has fewer elements in the {{upd}} schema than the {{orig}} schema"
    if kind.endswith("_EXTENDED"):
        return f"An array or combined type at path '{path}' has more elements in the {{upd}} schema than the {{orig}} schema"
    if "TYPE" in kind or kind == "ENUM_ARRAY_CHANGED":
        return f"A type at path '{path}' is different between the {{upd}} schema and the {{orig}} schema"
    if "ADDED_TO_OPEN" in kind:
        return (f"The {{upd}} schema has an open content model and has a property or item at path '{path}' "
                f"which is missing in the {{orig}} schema")
    if kind == "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL":
        return (f"The {{upd}} schema has an unopen content model and has a required property at path '{path}' "
                f"which is missing in the {{orig}} schema")
    if "REMOVED_FROM_CLOSED" in kind:
        return (f"The {{upd}} schema has a closed content model and is missing a property or item present at "
                f"path '{path}' in the {{orig}} schema")
    if "REMOVED_NOT_COVERED" in kind:
        return (f"A property or item is missing in the {{upd}} schema but present at path '{path}' in the {{orig}} "
                f"schema and is not covered by its partially open content model")
    if "ADDED_NOT_COVERED" in kind:
        return (f"The {{upd}} schema has a property or item at path '{path}' which is missing in the {{orig}} schema "
                f"and is not covered by its partially open content model")
    return f"The schema at path '{path}' differs between the {{upd}} and {{orig}} schema"
