"""The log on Apache Kafka, the reference backend.

Writes go through a transactional producer with a stable ``transactional.id``: starting a
second writer fences the first (``ProducerFenced``), and a batch of events over several
topics commits or aborts as one. Producers use ``acks=all`` and idempotence, so the
producer's own retries never duplicate a record. Readers assign partitions by hand and read
``read_committed``; their checkpoints live in PostgreSQL, never in Kafka.

The log's identity is the first record of ``<prefix>.meta`` (one partition, kept forever),
created with the area topics: the first start proposes a uuid, and whichever proposal landed
at offset 0 is the identity for every process, even when two start at once.

Beside them, ``<prefix>.commands`` takes integrators' commands and ``<prefix>.command-results``
their answers (``ledger.writer.intake``): the writer's transaction that appends a command's
events also carries its answer and the offset past it (an ``Attachment``), so consuming,
deciding and answering commit as one.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final, Protocol

import aiokafka.producer.sender
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka import TopicPartition as KafkaTP
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, ProducerFenced, TopicAlreadyExistsError

from ledger.cloudevents import to_binary
from ledger.envelope import Envelope
from ledger.log.port import Attach, LogUnavailable, Record, WriterFenced
from ledger.log.position import Position, TopicPartition
from ledger.log.topology import Topology

_FAILURES = (KafkaError, OSError, TimeoutError)

COMMANDS_RETENTION_MS: Final = 7 * 24 * 3600 * 1000
"""How long ``<prefix>.commands`` keeps a record. A command is read within moments of its
arrival, and what lasts of it is its events (which carry its key) and its answer (kept
forever); a week covers a writer down over a long weekend. A record that expired unread is
logged and counted, never skipped silently (``ledger.writer.intake``)."""


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


class KafkaLog:
    """``EventLog`` over a Kafka cluster (see the module docstring)."""

    def __init__(
        self,
        bootstrap: str,
        topology: Topology,
        *,
        replication_factor: int = 1,
        min_insync_replicas: int = 1,
        timeout: float = 10.0,
        transaction_backoff: float | None = None,
    ) -> None:
        """``transaction_backoff``: seconds, see ``shorten_transaction_backoff``; None keeps aiokafka's."""
        self.bootstrap = bootstrap
        self._transaction_backoff = transaction_backoff
        self._topology = topology
        self._replication_factor = replication_factor
        self._min_insync_replicas = min_insync_replicas
        self._timeout = timeout
        self._end_reader: KafkaReader | None = None
        self._end_opening = asyncio.Lock()
        self._identity: str | None = None

    @property
    def topics(self) -> tuple[str, ...]:
        return self._topology.topics

    @property
    def transactional_id(self) -> str:
        return f"{self._topology.prefix}.writer"

    @property
    def meta_topic(self) -> str:
        """The topic whose first record names this log (see the module docstring)."""
        return f"{self._topology.prefix}.meta"

    @property
    def commands_topic(self) -> str:
        """Integrators' commands: key an idempotency key, value ``{"name", "body"}``."""
        return f"{self._topology.prefix}.commands"

    @property
    def results_topic(self) -> str:
        """The answers to ``commands_topic``'s records, each on its command's partition number."""
        return f"{self._topology.prefix}.command-results"

    @property
    def commands_group(self) -> str:
        """The consumer group whose offsets say how far the writer has answered ``commands_topic``."""
        return f"{self._topology.prefix}.writer"

    @property
    def partitions(self) -> int:
        return self._topology.partitions

    def identity(self) -> str:
        if self._identity is None:
            raise LogUnavailable("the Kafka log is not started")
        return self._identity

    def topic_for(self, stream: str) -> str:
        return self._topology.topic_for(stream)

    def partition_for(self, stream: str) -> int:
        return self._topology.partition_for(stream)

    def place(self, stream: str) -> tuple[str, int]:
        """The stream's topic and partition, in one look-up."""
        return self._topology.place(stream)

    async def start(self) -> None:
        """Create the area, meta and command topics if they are missing, and learn the log's
        identity."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap, request_timeout_ms=int(self._timeout * 1000)
        )
        try:
            async with asyncio.timeout(self._timeout * 3):
                await admin.start()
                existing = set(await admin.list_topics())
                partitions = self._topology.partitions
                wanted = dict.fromkeys((*self.topics, self.commands_topic, self.results_topic), partitions)
                wanted[self.meta_topic] = 1
                missing = {t: n for t, n in wanted.items() if t not in existing}
                if missing:
                    await self._create(admin, missing)
                await self._wait_for_leaders(admin, wanted)
                self._identity = await self._claim_identity()
        except _FAILURES as e:
            raise LogUnavailable(f"Kafka unreachable at {self.bootstrap}: {e}") from e
        finally:
            await admin.close()

    async def _create(self, admin: AIOKafkaAdminClient, topics: dict[str, int]) -> None:
        """Kept forever, but for the commands (``COMMANDS_RETENTION_MS``); every one as durable."""
        config = {
            "retention.ms": "-1",
            "retention.bytes": "-1",
            "cleanup.policy": "delete",
            "min.insync.replicas": str(self._min_insync_replicas),
        }
        commands = config | {"retention.ms": str(COMMANDS_RETENTION_MS)}
        new = [
            NewTopic(
                t,
                partitions,
                self._replication_factor,
                topic_configs=commands if t == self.commands_topic else config,
            )
            for t, partitions in topics.items()
        ]
        with contextlib.suppress(TopicAlreadyExistsError):  # another process created them first
            await admin.create_topics(new)

    async def _wait_for_leaders(self, admin: AIOKafkaAdminClient, topics: dict[str, int]) -> None:
        """New topics take a moment to get partition leaders; appending before that fails."""
        while True:
            described = await admin.describe_topics(list(topics))
            if all(
                t["error_code"] == 0
                and len(t["partitions"]) >= topics[t["topic"]]
                and all(p["error_code"] == 0 and p["leader"] >= 0 for p in t["partitions"])
                for t in described
            ):
                return
            await asyncio.sleep(0.1)

    async def _claim_identity(self) -> str:
        """The uuid at offset 0 of the meta topic, proposed first if the topic is empty."""
        tp = KafkaTP(self.meta_topic, 0)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            request_timeout_ms=int(self._timeout * 1000),
        )
        try:
            await consumer.start()
            consumer.assign([tp])
            if not (await consumer.end_offsets([tp]))[tp]:
                await self._propose_identity()
            await consumer.seek_to_beginning(tp)
            while True:
                batch = await consumer.getmany(tp, timeout_ms=500, max_records=1)
                for message in batch.get(tp, ()):
                    try:
                        return str(uuid.UUID((message.value or b"").decode()))
                    except ValueError as e:
                        raise LogUnavailable(f"{self.meta_topic} does not begin with an identity") from e
        finally:
            await _stop(consumer, consumer._client)

    async def _propose_identity(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=int(self._timeout * 1000),
        )
        try:
            await producer.start()
            await producer.send_and_wait(
                self.meta_topic, key=b"identity", value=str(uuid.uuid4()).encode(), partition=0
            )
        finally:
            await _stop(producer, producer.client)

    async def close(self) -> None:
        if self._end_reader is not None:
            reader, self._end_reader = self._end_reader, None
            await reader.close()

    async def open_writer(self) -> KafkaWriter:
        if self._transaction_backoff is not None:
            shorten_transaction_backoff(self._transaction_backoff)
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            transactional_id=self.transactional_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=0,
            max_batch_size=1 << 20,
            max_request_size=8 << 20,
            request_timeout_ms=int(self._timeout * 1000),
        )
        try:
            async with asyncio.timeout(self._timeout * 3):
                await producer.start()  # init_transactions: fences any earlier producer of this id
        except _FAILURES as e:
            await _stop(producer, producer.client)
            raise LogUnavailable(f"Kafka writer could not start: {e}") from e
        except BaseException:  # cancelled while starting (a standby stopped, say): leave nothing open
            await _stop(producer, producer.client)
            raise
        return KafkaWriter(self, producer)

    async def open_reader(self, topics: Iterable[str] | None = None) -> KafkaReader:
        chosen = self.topics if topics is None else tuple(topics)
        tps = [tp for tp in self._topology.topic_partitions if tp.topic in chosen]
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
            max_partition_fetch_bytes=4 << 20,
            request_timeout_ms=int(self._timeout * 1000),
        )
        try:
            async with asyncio.timeout(self._timeout * 3):
                await consumer.start()
                consumer.assign([KafkaTP(tp.topic, tp.partition) for tp in tps])
                await consumer.seek_to_beginning()
        except _FAILURES as e:
            await _stop(consumer, consumer._client)
            raise LogUnavailable(f"Kafka reader could not start: {e}") from e
        except BaseException:  # cancelled while starting (a standby taking over, say)
            await _stop(consumer, consumer._client)
            raise
        return KafkaReader(consumer, tps, self._timeout)

    async def end_position(self) -> Position:
        async with self._end_opening:  # one reader, however many ask at once as the process starts
            if self._end_reader is None:
                self._end_reader = await self.open_reader()
        return await self._end_reader.end_position()


class KafkaWriter:
    """The writer's transactional producer. Spent after a fence or an unconfirmed append."""

    def __init__(self, log: KafkaLog, producer: AIOKafkaProducer) -> None:
        self._log = log
        self._producer = producer
        self._spent: Exception | None = None

    async def append(self, events: Sequence[Envelope], attach: Attach | None = None) -> list[Record]:
        if self._spent is not None:
            raise self._spent
        if not events and attach is None:
            return []
        try:
            async with asyncio.timeout(self._log._timeout):
                return await self._transact(events, attach)
        except ProducerFenced as e:
            await self._spend(WriterFenced(f"another writer claimed {self._log.transactional_id}"))
            raise WriterFenced(str(self._spent)) from e
        except _FAILURES as e:
            # The outcome is unknown: this producer is discarded, a new writer must take over.
            await self._spend(LogUnavailable(f"append not confirmed: {e!r}"))
            raise LogUnavailable(str(self._spent)) from e

    async def _transact(self, events: Sequence[Envelope], attach: Attach | None) -> list[Record]:
        producer = self._producer
        messages = [to_binary(e) for e in events]
        places = [self._log.place(e.stream) for e in events]
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
            await _quietly(producer.abort_transaction())
            raise
        await producer.commit_transaction()
        return records

    async def _spend(self, reason: Exception) -> None:
        self._spent = reason
        await _stop(self._producer, self._producer.client)

    async def close(self) -> None:
        if self._spent is None:
            self._spent = LogUnavailable("writer closed")
            await _stop(self._producer, self._producer.client)


class KafkaReader:
    """A ``read_committed`` consumer with manual assignment and our own checkpoints."""

    def __init__(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition], timeout: float) -> None:
        self._consumer = consumer
        self._tps = tps
        self._ktps = [KafkaTP(tp.topic, tp.partition) for tp in tps]
        self._timeout = timeout
        self._position = Position(dict.fromkeys(tps, 0))

    @property
    def position(self) -> Position:
        return self._position

    async def seek(self, position: Position) -> None:
        for tp, ktp in zip(self._tps, self._ktps, strict=True):
            self._consumer.seek(ktp, position.get_offset(tp))
        self._position = Position({tp: position.get_offset(tp) for tp in self._tps})

    async def read(self, max_records: int, timeout: float) -> list[Record]:
        try:
            batches = await self._consumer.getmany(timeout_ms=int(timeout * 1000), max_records=max_records)
            # The consumer's positions step past commit markers as well as records, so a
            # reader that has read everything covers the log's end position exactly.
            positions = {
                tp: await self._consumer.position(ktp) for tp, ktp in zip(self._tps, self._ktps, strict=True)
            }
        except _FAILURES as e:
            raise LogUnavailable(f"Kafka read failed: {e!r}") from e
        records = [
            Record(m.topic, m.partition, m.offset, m.key or b"", tuple(m.headers), m.value or b"")
            for ktp in self._ktps
            for m in batches.get(ktp, ())
        ]
        self._position = Position(positions)
        return records

    async def end_position(self) -> Position:
        """The last stable offset of every partition (past the commit markers)."""
        try:
            async with asyncio.timeout(self._timeout):
                ends = await self._consumer.end_offsets(self._ktps)
        except _FAILURES as e:
            raise LogUnavailable(f"Kafka end offsets unavailable: {e!r}") from e
        return Position({TopicPartition(k.topic, k.partition): v for k, v in ends.items()})

    async def close(self) -> None:
        await _stop(self._consumer, self._consumer._client)


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


async def _stop(component: AIOKafkaProducer | AIOKafkaConsumer, client: object) -> None:
    """Stop a producer or consumer; if that fails or hangs (broker gone), close its client
    anyway, so no connection or metadata task outlives it."""
    try:
        async with asyncio.timeout(5):
            await component.stop()
            return
    except Exception:
        pass
    await _quietly(client.close())  # type: ignore[attr-defined]  # aiokafka's client is untyped


async def _quietly(step: object) -> None:
    """Await a clean-up step whose own failure must not hide the error being handled."""
    try:
        async with asyncio.timeout(5):
            await step  # type: ignore[misc]  # an awaitable from an untyped library
    except Exception:
        pass
