"""What each format's tests behind the seam (tests/formats/) ask alike."""

from __future__ import annotations

import subprocess
import sys

from governance.formats import BACKWARD, FORWARD, Level

DIRECTIONS_AT_EACH_LEVEL = [
    (Level.BACKWARD, [(BACKWARD, 2)]),
    (Level.BACKWARD_TRANSITIVE, [(BACKWARD, 2), (BACKWARD, 1)]),
    (Level.FORWARD, [(FORWARD, 2)]),
    (Level.FORWARD_TRANSITIVE, [(FORWARD, 2), (FORWARD, 1)]),
    (Level.FULL, [(BACKWARD, 2), (FORWARD, 2)]),
    (Level.FULL_TRANSITIVE, [(BACKWARD, 2), (FORWARD, 2), (BACKWARD, 1), (FORWARD, 1)]),
    (Level.NONE, []),
]
"""(level, [(direction, version)]): a change breaking both ways, checked against versions 1 and 2 alike."""


def line_of(text: str, words: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if words in line)


def modules_loaded(code: str, roots: tuple[str, ...]) -> str:
    """The sorted modules under `roots` a fresh interpreter has loaded after running `code`."""
    probe = f"import sys; {code}; print(sorted(m for m in sys.modules if m.split('.')[0] in {roots!r}))"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()


class Fetches:
    """A fetch of referenced schemas that answers `text` and records each (subject, version) asked."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.asked: list[tuple[str, str]] = []

    def __call__(self, subject: str, version: str) -> dict[str, object]:
        self.asked.append((subject, version))
        return {"schema": self.text}
