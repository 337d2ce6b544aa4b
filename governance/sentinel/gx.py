"""Great Expectations, adapted: expectation classes by name and instances from keyword
arguments, with GX's own messages turned into ours. Imported only when rules are
checked or run (GX takes seconds to import)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

ErrorFactory = Callable[[str], Exception]


def _gx() -> Any:
    """GX, imported once, without progress bars."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    import great_expectations as gx

    return gx


def expectation_class(etype: str, error: ErrorFactory) -> type:
    _gx()
    from great_expectations.expectations.registry import get_expectation_impl, list_registered_expectation_implementations

    from governance.errors import did_you_mean

    if not etype.startswith("expect_"):
        known = list_registered_expectation_implementations()
        hint = f"; did you mean `expect_{etype}`?" if f"expect_{etype}" in known else did_you_mean(etype, known)
        raise error(f"unknown expectation type `{etype}`: Great Expectations types start with `expect_`{hint}")
    try:
        return get_expectation_impl(etype)
    except Exception as e:  # GX raises its own ExpectationNotFoundError
        hint = did_you_mean(etype, list_registered_expectation_implementations())
        raise error(f"unknown expectation type `{etype}`{hint or f': {e}'}") from None


def instantiate(etype: str, kwargs: Mapping[str, Any], error: ErrorFactory, meta: Mapping[str, Any] | None = None) -> Any:
    """Build GX's expectation object; GX's own validation message on bad kwargs."""
    cls = expectation_class(etype, error)
    try:
        return cls(**kwargs, **({"meta": dict(meta)} if meta else {}))
    except Exception as e:
        message = " ".join(str(e).split())
        raise error(f"`{etype}` rejects its arguments: {message}") from None


def checks_single_records(etype: str, error: ErrorFactory) -> bool:
    """True for map expectations (they judge each row), False for ones that judge a whole batch."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)

    return issubclass(expectation_class(etype, error),
                      (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation))
