"""Errors a user can act on.

Anything raised as a `GovernanceError` is a user mistake or an environment
problem: the CLI prints its message and hint and exits 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class GovernanceError(Exception):
    """A problem the user can fix, with a hint saying how."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class Transient(GovernanceError):
    """Nothing in the command to fix, and the same command may work later (an outage, a worker process
    killed). Exit 2 like any error, except where a supervisor should retry (`sentinel run`: EX_TEMPFAIL)."""


class Unreachable(Transient):
    """Kafka or the schema registry did not answer."""


EX_TEMPFAIL = 75
"""sysexits.h's "try again later": `sentinel run`'s exit on a `Transient` error, so that a supervisor
restarts it (the systemd unit prevents restarts on 2, a mistake to fix)."""


class InvalidSchemaError(GovernanceError, ValueError):
    """A schema text that is not valid in its format (Avro today); every schema format raises it.

    `message` is a sentence naming the problem and where it is, e.g.
    'field "email" of record "User": default "x" does not match type "int"'.
    `line` and `column` (1-based) are set when the text does not parse at all (not valid JSON);
    `pointer` (RFC 6901, e.g. "/fields/2/name") when it parses but is not a valid schema,
    naming the value at fault so that a caller holding the text can find its line.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 pointer: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.pointer = pointer


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean `x`?` naming the closest of `choices` (ignoring case), or "" when none is a
    typo away: at most two edits, or one per twelve letters in long names."""
    folded = {c.lower(): c for c in choices}
    key = word.lower()
    started = [c for c in folded if c.startswith(key)] if len(key) >= 3 else []
    if len(started) == 1:
        best = started[0]
    else:
        distance, best = min(((edit_distance(key, c), c) for c in folded), default=(None, ""))
        if distance is None or distance > max(2, len(key) // 12):
            return ""
    return f"; did you mean `{folded[best]}`?" if folded[best] != word else ""


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
