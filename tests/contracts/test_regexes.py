"""`matches` patterns become Python regexes only where RE2, Rust's regex and Python's re agree."""

from __future__ import annotations

import pytest

from governance.contracts.regexes import finder, python_regex
from governance.contracts.syntax import Unsupported


@pytest.mark.parametrize("pattern", ["\\d", "\\w+", "\\bx", "[[:alpha:]]", "x{,3}", "a**", "(?P<n>a)", "[a&&b]", "x{2000}"])
def test_regexes_whose_meaning_differs_between_re2_and_python_are_not_compiled(pattern: str) -> None:
    with pytest.raises(Unsupported):
        python_regex(pattern)


def test_dollar_is_the_end_of_the_text_as_in_re2() -> None:
    assert python_regex("^x$").search("x\n") is None
    assert python_regex("^x$").search("x") is not None


@pytest.mark.parametrize(("pattern", "how"), [("^a|b", "search"), ("^(a|b)", "match"), ("^[|]", "match"),
                                              ("^\\|", "match"), ("a^", "search")])
def test_a_pattern_anchored_at_the_start_is_matched_rather_than_searched(pattern: str, how: str) -> None:
    assert finder(python_regex(pattern)).__name__ == how
