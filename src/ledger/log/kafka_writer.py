"""The writer's handle on the Kafka log: one transactional producer with the log's stable
``transactional.id``, so starting another writer fences this one (``ProducerFenced``).

A batch of events over several topics commits or aborts as one transaction, with
``acks=all`` and idempotence, so the producer's own retries never duplicate a record. An
append may carry an ``Attachment``: records built once the events' offsets are known (the
answers to commands from ``<prefix>.commands``) and a group's consumed offsets, committed in
the same transaction, so consuming, deciding and answering commit as one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

import aiokafka.producer.sender
from aiokafka import AIOKafkaProducer
from aiokafka import TopicPartition as KafkaTP
from aiokafka.errors import ProducerFenced

from ledger.cloudevents import to_binary
from ledger.envelope import Envelope
from ledger.log.kafka_clients import FAILURES, quietly, stop
from ledger.log.port import Attach, LogUnavailable, Record, WriterFenced


def shorten_transaction_backoff(seconds: float) -> None:
    """Ask again after ``seconds`` when the coordinator is still writing the last commit's markers.

    KAFKA-5477: just after a commit, the coordinator answers the next transaction's
    AddPartitionsToTxn with CONCURRENT_TRANSACTIONS until the commit markers are written, which
    takes a few milliseconds; aiokafka then waits a fixed 20 ms. Back-to-back group commits
    are the writer's normal case, so it asks again sooner. Measured (``python -m
    bench.txn_backoff``: one-record transactions back to back on one local broker, 2-core
    box, 2026-11-29): median 7.6 ms and p90 27.8 ms at aiokafka's 20 ms; 1.6 ms and 5.3 ms
    at 2 ms, the default.

    aiokafka reads this wait from a module attribute of its sender, so it holds for every
    transactional producer of the process; only the writer's producer is one. It is set here,
    as that producer is built and only when ``LEDGER_KAFKA_TRANSACTION_BACKOFF_MS`` asks,
    never on import.
    """
    aiokafka.producer.sender.BACKOFF_OVERRIDE = seconds


class KafkaWriter:
    """The writer's transactional producer. Spent after a fence or an unconfirmed append."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        place: Callable[[str], tuple[str, int]],
        transactional_id: str,
        timeout: float,
    ) -> None:
        """``place``: a stream's topic and partition; ``timeout``: seconds an append may take."""
        self._producer = producer
        self._place = place
        self._transactional_id = transactional_id
        self._timeout = timeout
        self._spent: Exception | None = None

    async def append(self, events: Sequence[Envelope], attach: Attach | None = None) -> list[Record]:
        if self._spent is not None:
            raise self._spent
        if not events and attach is None:
            return []
        try:
            async with asyncio.timeout(self._timeout):
                return await self._transact(events, attach)
        except ProducerFenced as e:
            await self._spend(WriterFenced(f"another writer claimed {self._transactional_id}"))
            raise WriterFenced(str(self._spent)) from e
        except FAILURES as e:
            # The outcome is unknown: this producer is discarded, a new writer must take over.
            await self._spend(LogUnavailable(f"append not confirmed: {e!r}"))
            raise LogUnavailable(str(self._spent)) from e

    async def _transact(self, events: Sequence[Envelope], attach: Attach | None) -> list[Record]:
        producer = self._producer
        messages = [to_binary(e) for e in events]
        places = [self._place(e.stream) for e in events]
        await producer.begin_transaction()
        try:
            offsets = await _send(producer, places, messages)
            records = [
                Record(topic, partition, offset, m.key, tuple(m.headers), m.value)
                for (topic, partition), offset, m in zip(places, offsets, messages, strict=True)
            ]
            if attach is not None:
                # Built once the events' offsets are known: a success's answer names them.
                attachment = attach(records)
                outgoing = attachment.records
                await _send(producer, [(o.topic, o.partition) for o in outgoing], outgoing)
                if attachment.offsets:
                    consumed = {KafkaTP(tp.topic, tp.partition): o for tp, o in attachment.offsets.items()}
                    await producer.send_offsets_to_transaction(consumed, attachment.group)
        except BaseException:
            await quietly(producer.abort_transaction())
            raise
        await producer.commit_transaction()
        return records

    async def _spend(self, reason: Exception) -> None:
        self._spent = reason
        await stop(self._producer, self._producer.client)

    async def close(self) -> None:
        if self._spent is None:
            self._spent = LogUnavailable("writer closed")
            await stop(self._producer, self._producer.client)


class Sendable(Protocol):
    """A record to send: an event's ``BinaryMessage`` or an ``Outgoing`` answer."""

    @property
    def key(self) -> bytes | None: ...

    @property
    def headers(self) -> list[tuple[str, bytes]]: ...

    @property
    def value(self) -> bytes: ...


async def _send(
    producer: AIOKafkaProducer, places: Sequence[tuple[str, int]], messages: Sequence[Sendable]
) -> list[int]:
    """Send ``messages[i]`` to ``places[i]`` inside the open transaction; answer their offsets.

    Each partition's records go as whole record batches: a send per record costs aiokafka
    more than encoding the record does."""
    groups: dict[tuple[str, int], list[int]] = {}
    for i, place in enumerate(places):
        groups.setdefault(place, []).append(i)
    sent = [
        (indexes, await producer.send_batch(batch, topic, partition=partition))
        for (topic, partition), group in groups.items()
        for indexes, batch in record_batches(producer, group, messages)
    ]
    offsets = [0] * len(messages)
    for indexes, future in sent:
        base = (await future).offset
        for relative, i in enumerate(indexes):
            offsets[i] = base + relative
    return offsets


def record_batches(
    producer: AIOKafkaProducer, indexes: Iterable[int], messages: Sequence[Sendable]
) -> Iterator[tuple[list[int], Any]]:
    """Fill record batches with ``messages[i]`` for each index, in order; a new batch when one
    is full. Yields each batch with the indexes it holds, for one ``send_batch`` each."""
    batch, taken = producer.create_batch(), list[int]()
    for i in indexes:
        m = messages[i]
        if batch.append(key=m.key, value=m.value, timestamp=None, headers=m.headers) is None:
            if not taken:
                raise LogUnavailable(f"a record of {len(m.value)} bytes does not fit in a batch")
            yield taken, batch
            batch, taken = producer.create_batch(), []
            if batch.append(key=m.key, value=m.value, timestamp=None, headers=m.headers) is None:
                raise LogUnavailable(f"a record of {len(m.value)} bytes does not fit in a batch")
        taken.append(i)
    if taken:
        yield taken, batch
