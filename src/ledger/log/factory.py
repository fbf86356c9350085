"""Choose the log backend from the settings: Kafka when a bootstrap is given, else PostgreSQL."""

from __future__ import annotations

from ledger.config import Settings
from ledger.log.kafka import KafkaLog
from ledger.log.port import EventLog
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology


def build_log(settings: Settings, dsn: str) -> EventLog:
    topology = Topology(settings.topic_prefix, settings.partitions)
    if settings.kafka_bootstrap:
        return KafkaLog(
            settings.kafka_bootstrap,
            topology,
            replication_factor=settings.replication_factor,
            min_insync_replicas=settings.min_insync_replicas,
            timeout=settings.log_timeout_s,
        )
    return PostgresLog(dsn, topology, timeout=settings.log_timeout_s)
