"""Choose the log backend from the settings: Kafka when a bootstrap is given, else PostgreSQL.

Called by ``ledger.bootstrap`` only, which decides the size of the PostgreSQL log's pool per role.
"""

from __future__ import annotations

from ledger.config import Settings
from ledger.log.kafka import KafkaLog
from ledger.log.kafka_connection import KafkaConnection
from ledger.log.port import EventLog
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology


def build_log(settings: Settings, dsn: str, *, pool_size: tuple[int, int] = (1, 8)) -> EventLog:
    """The log ``settings`` name; ``pool_size`` is the PostgreSQL log's (min, max) connections."""
    topology = Topology(settings.topic_prefix, settings.partitions)
    if settings.kafka_bootstrap:
        backoff_ms = settings.kafka_transaction_backoff_ms
        return KafkaLog(
            KafkaConnection.from_settings(settings),
            topology,
            replication_factor=settings.replication_factor,
            min_insync_replicas=settings.min_insync_replicas,
            min_insync_floor=settings.min_insync_floor,
            timeout=settings.log_timeout_s,
            transaction_backoff=None if backoff_ms is None else backoff_ms / 1000,
        )
    return PostgresLog(dsn, topology, timeout=settings.log_timeout_s, pool_size=pool_size)
