"""The command topic's consumer: every partition of ``<prefix>.commands``, read by the writer.

Partitions are assigned by hand, never through group membership: a member killed with
``kill -9`` would hold its partitions until its session timed out, and a writer taking over
must read at once. The group ``<prefix>.writer`` only names where the offsets are kept, and
this consumer never commits them: they move only inside the writer's transactions, past
the records whose answers commit there (``ledger.log.Attachment``). So ``rewind`` (at the
start, and whenever a batch was not answered) reads them from the group again: after a
failed commit only the group knows what was consumed. Records are read ``read_committed``,
so a command a producer's aborted transaction carried is never decided.

A record the topic's retention removed before it was read cannot be answered; ``rewind``
reports it (``Rewound.expired``) instead of stepping over it silently.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import TopicPartition as KafkaTP
from aiokafka.errors import OffsetOutOfRangeError

from ledger.log import kafka_clients
from ledger.log.kafka import KafkaLog
from ledger.log.kafka_clients import FAILURES, explain, stop
from ledger.log.port import LogUnavailable
from ledger.log.position import TopicPartition


@dataclass(slots=True)
class CommandRecord:
    """A record of the command topic as read, with where reading its partition stood before it."""

    source: TopicPartition
    offset: int
    since: int
    key: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    value: bytes | None


@dataclass(frozen=True, slots=True)
class Rewound:
    """Where reading stands after a rewind, and what retention removed unread, per partition:
    (the first offset lost, the first still there)."""

    start: dict[TopicPartition, int]
    expired: dict[TopicPartition, tuple[int, int]]


class CommandConsumer:
    def __init__(self, log: KafkaLog, timeout: float) -> None:
        self.group = log.commands_group
        self._timeout = timeout
        self._tps = [TopicPartition(log.commands_topic, p) for p in range(log.partitions)]
        self._ktps = [KafkaTP(tp.topic, tp.partition) for tp in self._tps]
        self._next: dict[TopicPartition, int] = {}
        self._connection = log.connection
        self._consumer = kafka_clients.consumer(
            log.connection,
            group_id=self.group,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="none",  # past the end of retention: an error, never a silent jump
            fetch_max_wait_ms=100,
            request_timeout_ms=int(timeout * 1000),
        )

    async def start(self) -> None:
        try:
            async with asyncio.timeout(self._timeout * 3):
                await self._consumer.start()
                self._consumer.assign(self._ktps)
        except FAILURES as e:
            await self.close()
            reason = await explain(self._connection, e, self._timeout)
            raise LogUnavailable(f"the command topic's consumer could not start: {reason}") from e
        except BaseException:
            await self.close()
            raise

    async def rewind(self) -> Rewound:
        """Go back to the group's committed offsets (the first record still there, where
        none was committed or retention removed it)."""
        try:
            async with asyncio.timeout(self._timeout * 3):
                committed = {
                    tp: await self._consumer.committed(k) for tp, k in zip(self._tps, self._ktps, strict=True)
                }
                firsts = await self._consumer.beginning_offsets(self._ktps)
        except FAILURES as e:
            raise LogUnavailable(f"the command group's offsets are unavailable: {e!r}") from e
        lost = {}
        for tp, ktp in zip(self._tps, self._ktps, strict=True):
            first, at = firsts[ktp], committed[tp]
            if at is not None and at < first:
                lost[tp] = (at, first)
            self._next[tp] = first if at is None else max(at, first)
            self._consumer.seek(ktp, self._next[tp])
        return Rewound(dict(self._next), lost)

    async def read(self, max_records: int, timeout: float) -> list[CommandRecord]:
        """The next committed records of every partition, each partition's in order."""
        try:
            batches = await self._consumer.getmany(timeout_ms=int(timeout * 1000), max_records=max_records)
        except OffsetOutOfRangeError as e:
            raise LogUnavailable(f"a command record expired before it was read: {e!r}") from e
        except FAILURES as e:
            raise LogUnavailable(f"the command topic could not be read: {e!r}") from e
        records = []
        for tp, ktp in zip(self._tps, self._ktps, strict=True):
            for m in batches.get(ktp, ()):
                records.append(CommandRecord(tp, m.offset, self._next[tp], m.key, tuple(m.headers), m.value))
                self._next[tp] = m.offset + 1
        return records

    async def lag(self) -> int:
        """Committed records not read yet, over every partition (as far as the last fetch knew)."""
        behind = 0
        for ktp in self._ktps:
            stable = self._consumer.last_stable_offset(ktp)
            if stable is not None and stable >= 0:
                behind += max(0, stable - await self._consumer.position(ktp))
        return behind

    async def close(self) -> None:
        await stop(self._consumer, self._consumer._client)
