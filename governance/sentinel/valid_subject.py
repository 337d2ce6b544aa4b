"""Each writer schema the sentinel passes on, registered under the valid topic's subject.

The valid topic holds the source's bytes unchanged, schema id included. A Confluent
serializer on that topic (TopicNameStrategy) would have registered its schema under
`<valid-topic>-value`; tools that find a topic's schema by subject (DataHub's Kafka
source, Kafka UI, AKHQ, consumers with `use.latest.version`) look there. The same
schema text registered there gets the same id, so the id in the bytes names the
schema under both subjects.

The valid subject's level is NONE, set when it has no level of its own (a level an
operator set is left as it is): the source subject's level already admitted every
schema whose records reach the valid topic, and the sentinel meets writer schemas in
the order records arrive (partitions, replays), not in version order, so a second
check there could only refuse a schema whose records are already on the topic.

Registered once per writer schema id and process, when the decoder first accepts it,
before any record with that id is routed: an unreachable registry (or one answering
5xx) holds the batch like a decoding failure would; a refusal is said once, and
routing goes on (consumers still read by id).
"""

from __future__ import annotations

import logging
from typing import Any

from governance.errors import GovernanceError
from governance.registry.client import RegistryClient, RegistryClientError, subject_path

log = logging.getLogger("governance.sentinel.valid_subject")

LEVEL = "NONE"
NO_SUBJECT_LEVEL = 40408


def valid_subject(valid_topic: str, source_subject: str | None) -> str | None:
    """`<valid-topic>-value`, for pipelines whose values carry a schema id (those with a source subject)."""
    if source_subject is None:
        return None
    subject = f"{valid_topic}-value"
    return subject if subject != source_subject else None


class ValidSubject:
    def __init__(self, registry: RegistryClient, subject: str) -> None:
        self.registry, self.subject = registry, subject
        self._done: set[int] = set()
        self._level_checked = False

    def admit(self, schema_id: int, body: dict[str, Any]) -> None:
        """Register the writer schema `schema_id` (its `/schemas/ids/` answer) under the valid subject, once."""
        if schema_id in self._done:
            return
        try:
            if not self._level_checked:
                self._set_level()
                self._level_checked = True
            request: dict[str, Any] = {"schema": body["schema"]}
            if body.get("schemaType", "AVRO") != "AVRO":
                request["schemaType"] = body["schemaType"]
            for key in ("references", "metadata", "ruleSet"):  # all part of what makes it the same schema (and id)
                if body.get(key):
                    request[key] = body[key]
            answer = self.registry.call("POST", f"/subjects/{subject_path(self.subject)}/versions", request)
        except RegistryClientError as e:
            if e.status >= 500:
                raise GovernanceError(f"schema registry {self.registry.url} answered {e.status} when registering "
                                      f"schema id {schema_id} under {self.subject}", hint="check the registry is healthy") from None
            self._done.add(schema_id)
            log.warning("%s refused writer schema id %d (%s): records with it go on to the valid topic, readable by id, "
                        "but tools that look %s up by subject do not see this schema; to let it in, "
                        "`curl -X PUT -d '{\"compatibility\": \"NONE\"}' %s/config/%s` and restart the sentinel",
                        self.subject, schema_id, e.message, self.subject, self.registry.url, subject_path(self.subject))
            return
        self._done.add(schema_id)
        got = answer.get("id") if isinstance(answer, dict) else None
        if got != schema_id:
            log.warning("%s gave writer schema id %d the id %s: the registry did not recognise the same schema; "
                        "records on the valid topic carry id %d", self.subject, schema_id, got, schema_id)
        else:
            log.info("writer schema id %d registered under %s", schema_id, self.subject)

    def _set_level(self) -> None:
        try:
            self.registry.call("GET", f"/config/{subject_path(self.subject)}")
            return  # a level of its own: someone chose it
        except RegistryClientError as e:
            if e.code != NO_SUBJECT_LEVEL and e.status != 404:
                raise
        self.registry.call("PUT", f"/config/{subject_path(self.subject)}", {"compatibility": LEVEL})
