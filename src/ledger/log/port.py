"""The ``EventLog`` protocol that both backends implement, its record type and its errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ledger.cloudevents import from_binary
from ledger.envelope import Envelope
from ledger.log.position import Position, TopicPartition


class LogError(Exception):
    """Base of every error the log raises."""


class LogUnavailable(LogError):
    """The log cannot be reached or did not confirm an append; nothing may be acknowledged."""


class LogRefused(LogError):
    """The log answers, but must not be written as it is configured (its topics keep fewer
    in-sync copies than ``LEDGER_MIN_INSYNC_FLOOR`` asks): the writer stays inactive until an
    operator changes either."""


class WriterFenced(LogError):
    """Another writer has claimed the log; this one must stop accepting commands."""


@dataclass(slots=True)
class Record:
    """One message as the log holds it: where it is, and its binary CloudEvents parts.

    Never changed once built, yet not frozen: a frozen dataclass costs more to build, and
    every record read or written builds one.
    """

    topic: str
    partition: int
    offset: int
    key: bytes
    headers: tuple[tuple[str, bytes], ...]
    value: bytes

    @property
    def tp(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)

    def envelope(self) -> Envelope:
        return from_binary(self.headers, self.value)


@dataclass(slots=True)
class Outgoing:
    """A record that is no event, sent in an append's transaction (a command's answer)."""

    topic: str
    partition: int
    key: bytes | None
    headers: list[tuple[str, bytes]]
    value: bytes


@dataclass(slots=True)
class Attachment:
    """What commits with an append's events: records besides them, and a consumer group's
    offsets (past the records that asked for the append), so that consuming, deciding and
    answering are one transaction."""

    records: list[Outgoing]
    group: str
    offsets: Mapping[TopicPartition, int]


Attach = Callable[[list[Record]], Attachment]
"""Builds an append's attachment once its events' records (and so their offsets) are known."""


class LogWriter(Protocol):
    """The one active writer's handle. Opening a new one fences every earlier one."""

    async def append(self, events: Sequence[Envelope], attach: Attach | None = None) -> list[Record]:
        """Append all events atomically (all visible, or none); answer only once durable.

        ``attach``, when given, commits with them (even with no events); only Kafka carries
        attachments, and the commands that need one arrive only through Kafka.

        Raises ``WriterFenced`` when another writer has taken over and ``LogUnavailable``
        when the outcome is not a confirmed commit. After either, this handle is spent.
        """
        ...

    async def close(self) -> None: ...


class LogReader(Protocol):
    """A cursor over committed messages of some topics, in order within each partition."""

    @property
    def position(self) -> Position: ...

    async def seek(self, position: Position) -> None: ...

    async def read(self, max_records: int, timeout: float) -> list[Record]:
        """The next committed records, waiting up to ``timeout`` seconds while there are none."""
        ...

    async def close(self) -> None: ...


class EventLog(Protocol):
    """A durable, ordered, append-only log of events split into topics and partitions."""

    @property
    def topics(self) -> tuple[str, ...]: ...

    async def start(self) -> None:
        """Connect and create the topics (or tables) if they do not exist yet."""
        ...

    async def close(self) -> None: ...

    def identity(self) -> str:
        """This log's own id, fixed when the log was first created (known once started).

        The same on every restart and in every process that shares the log; new when the
        log is created afresh under the same name (its tables or topics dropped and made
        again). Snapshots and checkpoints record it, so a state taken from one log is never
        resumed on another.
        """
        ...

    def topic_for(self, stream: str) -> str: ...

    def partition_for(self, stream: str) -> int: ...

    async def open_writer(self) -> LogWriter: ...

    async def open_reader(self, topics: Iterable[str] | None = None) -> LogReader: ...

    async def end_position(self) -> Position:
        """The position past the last committed message of every partition."""
        ...
