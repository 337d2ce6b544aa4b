"""The CI schema compatibility gate: schemas/ against a git baseline or a registry.

Imports stay standard-library (plus PyYAML, the workspace and the schema formats' cores)
so the gate starts fast in CI.
"""

FORMATS = ("text", "json", "junit", "github")
"""Report formats of `schemas check --format` (rendered by gate/report.py)."""
