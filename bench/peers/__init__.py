"""Peers of the sentinel for bench/sentinel.py: the same five rules written with other tools."""
