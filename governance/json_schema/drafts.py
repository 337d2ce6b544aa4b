"""JSON Schema drafts: which one a schema's `$schema` names, its keywords, and its metaschema check."""

from __future__ import annotations

from typing import Any

from governance.json_schema.errors import InvalidJsonSchemaError, load_library

DRAFT4, DRAFT6, DRAFT7, DRAFT2019, DRAFT2020 = "draft-04", "draft-06", "draft-07", "2019-09", "2020-12"
DEFAULT = DRAFT7

_URIS = {
    "json-schema.org/draft-04/schema": DRAFT4,
    "json-schema.org/draft-06/schema": DRAFT6,
    "json-schema.org/draft-07/schema": DRAFT7,
    "json-schema.org/draft/2019-09/schema": DRAFT2019,
    "json-schema.org/draft/2020-12/schema": DRAFT2020,
}

_UNCOMPARED = frozenset({"propertyNames", "contains", "if", "then", "else"})
_BY_DRAFT = {
    DRAFT4: frozenset(),
    DRAFT6: frozenset({"propertyNames", "contains"}),
    DRAFT7: _UNCOMPARED,
    DRAFT2019: _UNCOMPARED | {"$recursiveRef", "$recursiveAnchor"},
    DRAFT2020: _UNCOMPARED | {"$dynamicRef", "$dynamicAnchor"},
}
SINCE_2019 = frozenset({"unevaluatedProperties", "unevaluatedItems", "minContains", "maxContains",
                        "dependentRequired", "dependentSchemas"})
"""Keywords that drafts 4 to 7 do not have: there they are unknown words that constrain nothing."""


def draft_of(document: Any, file: str = "") -> str:
    """The draft a schema document's `$schema` names (draft 7 when it names none)."""
    if not isinstance(document, dict) or "$schema" not in document:
        return DEFAULT
    uri = document["$schema"]
    if isinstance(uri, str):
        key = uri.split("://", 1)[-1].rstrip("#")
        if key in _URIS:
            return _URIS[key]
    known = ", ".join(f"http://{k}#" if "draft-0" in k else f"https://{k}" for k in _URIS)
    raise InvalidJsonSchemaError(f"$schema {uri!r} names no JSON Schema draft served here: use one of {known}",
                                 pointer="#/$schema", file=file)


def uncompared(draft: str) -> frozenset[str]:
    """The validation keywords of `draft` that the checker does not compare: a change to one cannot be judged."""
    return _BY_DRAFT[draft]


def check(document: Any, draft: str, file: str = "") -> None:
    """InvalidJsonSchemaError (with a pointer to the value at fault) when `document` is not a schema of `draft`."""
    if isinstance(document, bool) and draft != DRAFT4:
        return
    if not isinstance(document, dict):
        raise InvalidJsonSchemaError(f"a schema is a JSON object{'' if draft == DRAFT4 else ' or a boolean'}, "
                                     f"not {type(document).__name__}", pointer="#", file=file)
    jsonschema: Any = load_library("jsonschema", "checking a JSON Schema against its draft", "jsonschema>=4.18")
    validator = _VALIDATORS[draft](jsonschema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        path = "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in error.absolute_path)
        where = f" at {path}" if path != "#/" else ""
        raise InvalidJsonSchemaError(f"not a valid {draft} schema{where}: {error.message}", pointer=path, file=file)


_VALIDATORS = {
    DRAFT4: lambda js: js.Draft4Validator(js.Draft4Validator.META_SCHEMA),
    DRAFT6: lambda js: js.Draft6Validator(js.Draft6Validator.META_SCHEMA),
    DRAFT7: lambda js: js.Draft7Validator(js.Draft7Validator.META_SCHEMA),
    DRAFT2019: lambda js: js.Draft201909Validator(js.Draft201909Validator.META_SCHEMA),
    DRAFT2020: lambda js: js.Draft202012Validator(js.Draft202012Validator.META_SCHEMA),
}
