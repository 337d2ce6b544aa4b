"""The CI schema compatibility gate: schemas/ against a git baseline or a registry.

Imports stay standard-library (plus PyYAML and the Avro engine) so the gate
starts fast in CI.
"""
