"""Benchmarks that print figures and ratios; each runs from the repository's root as
`python -m bench.<name>` (see bench/README.md). Shared: the payments and their topics
(common.py), measured child processes and the sentinel as one (children.py), the
cluster a run uses (stacks.py)."""
