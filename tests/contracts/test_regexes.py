"""`matches` patterns become Python regexes only where RE2, Rust's regex and Python's re agree, and
`\\s` as the evaluator's (Rust's) Unicode white space."""

from __future__ import annotations

import pytest

from governance.contracts import Contract
from governance.contracts.regexes import finder, python_regex
from governance.contracts.syntax import Unsupported


@pytest.mark.parametrize("pattern", ["\\d", "\\w+", "\\bx", "[[:alpha:]]", "x{,3}", "a**", "(?P<n>a)", "[a&&b]",
                                     "x{2000}", "[\\S]", "[\\s-z]"])
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


def test_white_space_is_the_evaluators_unicode_white_space_not_pythons() -> None:
    space = python_regex("^\\s$")
    assert all(space.search(c) for c in "\t\x0b\x85\xa0\u2000\u3000 ")
    assert not any(space.search(c) for c in "\x1c\x1f\u200b")
    assert python_regex("^[^@\\s]+$").search("a\x1cb") and not python_regex("^\\S+$").search("a\u3000b")


@pytest.mark.parametrize("pattern", ["^([a-z0-9]+[-_]?)+$", "(a|aa)*b", "(x+x+)+y", "(ab){2,5}", "(?:a+)*"])
def test_a_repeated_group_is_left_to_the_evaluator_whose_regexes_run_in_linear_time(pattern: str) -> None:
    """Python's re backtracks exponentially on `^([a-z0-9]+[-_]?)+$` against 'aaaa...!'; RE2 and Rust do not."""
    with pytest.raises(Unsupported, match="quantified regex group"):
        python_regex(pattern)


def test_an_optional_group_which_cannot_repeat_is_compiled() -> None:
    assert python_regex(r"^[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2})$").search("12.5Z")


def test_a_contract_with_a_backtracking_pattern_judges_a_long_failing_value_at_once() -> None:
    contract = Contract.of({"domainRules": [{"name": "slug", "kind": "CONDITION", "type": "CEL", "mode": "WRITE",
                                             "expr": "message.slug.matches('^([a-z0-9]+[-_]?)+$')"}]},
                           subject="s", version=1, schema_type="JSON", schema={"type": "object"})
    failures = contract.check_batch([{"slug": "a" * 60 + "!"}, {"slug": "ok-slug_1"}])
    assert [[f.rule for f in record] for record in failures] == [["slug"], []]
