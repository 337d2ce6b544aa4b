"""librdkafka's own log lines, routed through Python logging.

librdkafka prints retries it recovers from (for example "Coordinator load in
progress: retrying") straight to stderr; through this logger only errors
reach the user unless GOVERNANCE_KAFKA_LOG_LEVEL says otherwise.
"""

from __future__ import annotations

import logging
import os


def client_logger() -> logging.Logger:
    logger = logging.getLogger("governance.kafka.client")
    logger.setLevel(os.environ.get("GOVERNANCE_KAFKA_LOG_LEVEL", "ERROR").upper())
    return logger


def silent_logger() -> logging.Logger:
    """For probes whose failure we report ourselves, such as 'is the broker up yet?'."""
    logger = logging.getLogger("governance.kafka.probe")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger
