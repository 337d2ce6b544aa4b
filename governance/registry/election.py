"""Choosing the one registry instance that writes, through Kafka itself.

Every instance joins one consumer group on a one-partition coordination
topic; Kafka's group protocol gives that partition to exactly one member,
and that member is the primary. On election it takes the write role with a
fixed `transactional.id` (which fences a deposed primary still trying to
write), reads the schema log to its end, and announces its URL on the
coordination topic so that followers know where to forward writes. A killed
primary leaves the group when its session times out (6 s), and the next
member takes over.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid

from governance.kafka.logs import client_logger
from governance.kafka.settings import KafkaSettings
from governance.registry.store import KafkaSchemaLog

logger = logging.getLogger(__name__)
SESSION_TIMEOUT_MS = 6000
ANNOUNCEMENT_KEY = b"primary"


class PrimaryElection:
    def __init__(self, settings: KafkaSettings, log: KafkaSchemaLog, advertised_url: str) -> None:
        self.settings = settings
        self.log = log
        self.advertised_url = advertised_url
        self.topic = f"{log.topic}_primary"
        self.group = f"schema-registry-{log.topic}"
        self.transactional_id = f"schema-registry-{log.topic}"
        self._stop = threading.Event()
        self._assigned = False
        self._announced_url: str | None = None
        self._threads: list[threading.Thread] = []
        self._settled = threading.Event()

    # -- what the app asks -------------------------------------------------------

    @property
    def is_primary(self) -> bool:
        return self._assigned and self.log.is_writer

    @property
    def primary_url(self) -> str | None:
        return self.advertised_url if self.is_primary else self._announced_url

    @property
    def primary_known(self) -> bool:
        """This instance is the primary, or another one announced itself (a stale announcement of this
        instance's own URL, from before a restart, does not count)."""
        return self.is_primary or self._announced_url not in (None, self.advertised_url)

    def wait_for_primary(self, timeout: float) -> bool:
        """Wait (at most `timeout`) while no instance is known to be the primary, as during an
        election after a broker loss, so that a write is held rather than refused. True if
        this instance is the primary then."""
        deadline = time.monotonic() + timeout
        while not self.primary_known:
            if time.monotonic() > deadline or self._stop.wait(0.1):
                break
        return self.is_primary

    def wait_settled(self, timeout: float) -> bool:
        """Wait until this instance is primary or knows who is."""
        return self._settled.wait(timeout)

    # -- life cycle ----------------------------------------------------------------

    def start(self) -> None:
        self._ensure_topic()
        for target, name in ((self._campaign, "election"), (self._follow_announcements, "announcements")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
        self.log.stop_writing()

    def _ensure_topic(self) -> None:
        from confluent_kafka.admin import AdminClient

        from governance.kafka.topics import TopicSpec, create_topics

        admin = AdminClient(self.settings.client_config(logger=client_logger()))
        brokers = len(admin.list_topics(timeout=30).brokers)
        create_topics(admin, [TopicSpec(self.topic, 1, min(3, brokers), {"cleanup.policy": "compact"})])

    # -- campaigning -----------------------------------------------------------------

    def _campaign(self) -> None:
        from confluent_kafka import Consumer

        consumer = Consumer(
            self.settings.client_config(
                group_id=self.group,
                client_id=f"schema-registry {self.advertised_url}",
                session_timeout_ms=SESSION_TIMEOUT_MS,
                partition_assignment_strategy="cooperative-sticky",
                heartbeat_interval_ms=1000,
                enable_auto_commit=False,
                auto_offset_reset="latest",
                logger=client_logger(),
            )
        )
        elected = threading.Event()

        def on_assign(_consumer, partitions) -> None:
            if partitions:
                elected.set()

        def on_revoke(_consumer, partitions) -> None:
            if partitions:
                elected.clear()
                self._step_down("the primary partition was revoked")

        def on_lost(_consumer, partitions) -> None:
            # The group session lapsed (say its coordinator's broker died), which is not a
            # rebalance that gave the partition away: keep writing until the group answers
            # again. A member that takes the partition meanwhile fences this writer through
            # the shared transactional.id, so there is never a second writer.
            if partitions:
                elected.clear()
                logger.warning("lost touch with the election group; still the writer until another instance takes over")

        consumer.subscribe([self.topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
        try:
            while not self._stop.is_set():
                consumer.poll(0.2)
                if elected.is_set() and not self._assigned:
                    self._take_office()
                elif self._assigned and not self.log.is_writer:
                    # Fenced or failed while writing: give the partition to someone healthy.
                    self._step_down("the writer was fenced or failed")
                    consumer.unsubscribe()
                    elected.clear()
                    consumer.subscribe([self.topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
        finally:
            was_primary = self._assigned
            self._step_down("shutting down")
            if was_primary:  # before leaving the group, so that it comes before the successor's
                self._announce(None)
            consumer.close()

    def _take_office(self) -> None:
        try:
            self.log.become_writer(self.transactional_id)
        except Exception as exc:  # keep campaigning; the next poll tries again
            logger.warning("could not take the primary role: %s", exc)
            time.sleep(1)
            return
        self._assigned = True
        logger.warning("this instance (%s) is now the primary", self.advertised_url)
        self._announce(self.advertised_url)
        self._settled.set()

    def _announce(self, url: str | None) -> None:
        """Tell every instance where the primary is; None: nowhere (it shut down), so that an
        instance starting later does not take a stopped primary's URL for a live one."""
        from confluent_kafka import Producer

        announcement = json.dumps({"url": url, "since": time.time(), "instance": str(uuid.uuid4())})
        producer = Producer(self.settings.client_config(acks="all", logger=client_logger()))
        producer.produce(self.topic, key=ANNOUNCEMENT_KEY, value=announcement.encode())
        producer.flush(10)

    def _step_down(self, reason: str) -> None:
        if self._assigned:
            logger.warning("this instance is no longer the primary: %s", reason)
        self._assigned = False
        self.log.stop_writing()

    # -- following ---------------------------------------------------------------------

    def _follow_announcements(self) -> None:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        consumer = Consumer(
            self.settings.client_config(
                group_id=f"schema-registry-follower-{uuid.uuid4()}", enable_auto_commit=False, logger=client_logger()
            )
        )
        consumer.assign([TopicPartition(self.topic, 0, OFFSET_BEGINNING)])
        try:
            while not self._stop.is_set():
                message = consumer.poll(0.2)
                if message is None or message.error() is not None or message.key() != ANNOUNCEMENT_KEY:
                    continue
                try:
                    self._announced_url = json.loads(message.value())["url"]
                except (ValueError, KeyError, TypeError):
                    continue
                if self._announced_url not in (None, self.advertised_url) or self.is_primary:
                    self._settled.set()
        finally:
            consumer.close()
