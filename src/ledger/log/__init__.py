"""The log port: one interface, two backends (Kafka, and PostgreSQL for the embedded default).

Everything the engine needs from a log is here: atomic append of a batch across streams and
topics by the one active writer, catch-up reads from a checkpoint, tailing with a wait, and
positions that can be handed to clients as opaque tokens.
"""

from ledger.log.port import (
    Attach,
    Attachment,
    EventLog,
    LogError,
    LogReader,
    LogRefused,
    LogUnavailable,
    LogWriter,
    Outgoing,
    Record,
    WriterFenced,
)
from ledger.log.position import InvalidPosition, Position, TopicPartition

__all__ = [
    "Attach",
    "Attachment",
    "EventLog",
    "InvalidPosition",
    "LogError",
    "LogReader",
    "LogRefused",
    "LogUnavailable",
    "LogWriter",
    "Outgoing",
    "Position",
    "Record",
    "TopicPartition",
    "WriterFenced",
]
