"""Quality rules proposed from data: a topic sampled, each field profiled, rules written for review."""
