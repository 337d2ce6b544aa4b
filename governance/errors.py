"""Errors a user can act on.

Anything raised as a `GovernanceError` is a user mistake or an environment
problem: the CLI prints its message and hint and exits 2, never a traceback.
"""

from __future__ import annotations


class GovernanceError(Exception):
    """A problem the user can fix, with a hint saying how."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"
