"""The writer's throughput through the command path, beside aiokafka producing the same records.

Ours: commands are parsed and submitted to the ``Writer`` (the object the HTTP API hands
commands to), with many in flight so it forms group commits; time runs from the first submit
to the last acknowledgement (each one durable, ``acks=all``). The raw limit: the very records
that run appended, already encoded, produced by a bare transactional aiokafka producer with
the same settings in transactions of exactly the same sizes: the cost of the log alone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from bench.workload import Body
from ledger.cloudevents import BinaryMessage, to_binary
from ledger.config import Settings
from ledger.envelope import Envelope
from ledger.log import Attach, EventLog, LogReader, LogWriter, Position, Record, kafka_clients
from ledger.log.kafka import KafkaLog
from ledger.log.kafka_connection import KafkaConnection
from ledger.log.kafka_writer import record_batches, shorten_transaction_backoff
from ledger.log.topology import Topology
from ledger.writer import CommandRequest, Writer
from schemas import parse_command

ACTOR = "bench"


class RecordingLog:
    """An ``EventLog`` that remembers each append (its envelopes), to replay them raw."""

    def __init__(self, inner: EventLog) -> None:
        self.inner = inner
        self.batches: list[list[Envelope]] = []

    @property
    def topics(self) -> tuple[str, ...]:
        return self.inner.topics

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    def identity(self) -> str:
        return self.inner.identity()

    def topic_for(self, stream: str) -> str:
        return self.inner.topic_for(stream)

    def partition_for(self, stream: str) -> int:
        return self.inner.partition_for(stream)

    async def open_writer(self) -> LogWriter:
        return _RecordingWriter(await self.inner.open_writer(), self.batches)

    async def open_reader(self, topics: Iterable[str] | None = None) -> LogReader:
        return await self.inner.open_reader(topics)

    async def end_position(self) -> Position:
        return await self.inner.end_position()


class _RecordingWriter:
    def __init__(self, inner: LogWriter, batches: list[list[Envelope]]) -> None:
        self._inner = inner
        self._batches = batches

    async def append(self, events: Sequence[Envelope], attach: Attach | None = None) -> list[Record]:
        records = await self._inner.append(events, attach)
        self._batches.append(list(events))
        return records

    async def close(self) -> None:
        await self._inner.close()


@dataclass(frozen=True)
class WriterRun:
    commands: int
    events: int
    seconds: float
    batches: list[list[Envelope]]

    @property
    def rate(self) -> float:
        return self.events / self.seconds


async def submit_all(
    writer: Writer, commands: Iterable[tuple[str, Body]], *, chunk: int = 1000, in_flight: int = 4
) -> int:
    """Parse and submit in order, ``chunk`` commands a call and ``in_flight`` calls at once
    (as batch HTTP clients do); answer the events appended. A refused command is an error."""
    slots = asyncio.Semaphore(in_flight)
    events = 0

    async def one(requests: list[CommandRequest]) -> None:
        nonlocal events
        try:
            outcomes = await writer.submit_many(requests)
        finally:
            slots.release()
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
            events += len(outcome.events)

    tasks = []
    requests: list[CommandRequest] = []
    for name, body in commands:
        requests.append(CommandRequest(name, parse_command(name, body), ACTOR, body))
        if len(requests) == chunk:
            await slots.acquire()
            tasks.append(asyncio.create_task(one(requests)))
            requests = []
    if requests:
        await slots.acquire()
        tasks.append(asyncio.create_task(one(requests)))
    await asyncio.gather(*tasks)
    return events


async def run_writer(
    log: EventLog,
    setup: Iterable[tuple[str, Body]],
    commands: Sequence[tuple[str, Body]],
    *,
    max_batch: int,
) -> WriterRun:
    recording = RecordingLog(log)
    await recording.start()
    writer = Writer(recording, None, max_batch=max_batch)
    await writer.start()
    try:
        await submit_all(writer, setup)
        recording.batches.clear()
        started = time.perf_counter()
        events = await submit_all(writer, commands)
        seconds = time.perf_counter() - started
    finally:
        await writer.stop()
        await recording.close()
    return WriterRun(len(commands), events, seconds, recording.batches)


async def raw_produce(bootstrap: str, topology: Topology, batches: Sequence[Sequence[Envelope]]) -> float:
    """Seconds for a bare transactional producer to write the same records in the same batches.

    Records go as whole record batches per partition (``send_batch``), the fastest way
    aiokafka offers and the way our writer sends them.
    """
    log = KafkaLog(bootstrap, topology)
    await log.start()
    encoded = [_by_partition(log, batch) for batch in batches]
    producer = bare_producer(bootstrap, f"{topology.prefix}.raw")
    await producer.start()
    try:
        started = time.perf_counter()
        for groups in encoded:
            await producer.begin_transaction()
            futures = []
            for (topic, partition), messages in groups.items():
                for _, batch in record_batches(producer, range(len(messages)), messages):
                    futures.append(await producer.send_batch(batch, topic, partition=partition))
            await asyncio.gather(*futures)
            await producer.commit_transaction()
        return time.perf_counter() - started
    finally:
        await producer.stop()
        await log.close()


def _by_partition(log: KafkaLog, batch: Sequence[Envelope]) -> dict[tuple[str, int], list[BinaryMessage]]:
    groups: dict[tuple[str, int], list[BinaryMessage]] = {}
    for e in batch:
        groups.setdefault((log.topic_for(e.stream), log.partition_for(e.stream)), []).append(to_binary(e))
    return groups


async def transaction_latency(bootstrap: str, topology: Topology, count: int) -> list[float]:
    """Milliseconds per transaction of one record, back to back: the floor under a command's
    latency, since every command is durable only once its transaction has committed."""
    log = KafkaLog(bootstrap, topology)
    await log.start()
    topic = topology.topics[0]
    producer = bare_producer(bootstrap, f"{topology.prefix}.latency")
    await producer.start()
    took: list[float] = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            await producer.begin_transaction()
            await (await producer.send(topic, b"{}", key=b"k", partition=0))
            await producer.commit_transaction()
            took.append((time.perf_counter() - started) * 1000)
    finally:
        await producer.stop()
        await log.close()
    return took


def bare_producer(bootstrap: str, transactional_id: str) -> AIOKafkaProducer:
    """A transactional producer set as our writer's is (``ledger.log.kafka``, the transaction
    backoff of the settings included), with no logic."""
    backoff_ms = Settings().kafka_transaction_backoff_ms
    if backoff_ms is not None:
        shorten_transaction_backoff(backoff_ms / 1000)
    return kafka_clients.producer(
        KafkaConnection(bootstrap),
        transactional_id=transactional_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=0,
        max_batch_size=1 << 20,
        max_request_size=8 << 20,
    )
