"""The log on Apache Kafka, the reference backend.

Writes go through one transactional producer (``ledger.log.kafka_writer``). Readers assign
partitions by hand and read ``read_committed``; their checkpoints live in PostgreSQL, never in Kafka.

The log's identity is the first record of ``<prefix>.meta`` (one partition, kept forever),
created with the area topics: the first start proposes a uuid, and whichever proposal landed
at offset 0 is the identity for every process, even when two start at once.

Beside them, ``<prefix>.commands`` takes integrators' commands and ``<prefix>.command-results``
their answers (``ledger.writer.intake``), both created here with the area topics.

Every client is built from the log's ``KafkaConnection`` (``ledger.log.kafka_clients``), with
its TLS and SASL settings. Topics take their durability from the cluster unless the settings
name it, and the writer refuses topics below ``LEDGER_MIN_INSYNC_FLOOR``
(``ledger.log.kafka_durability``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterable
from typing import Final

from aiokafka import AIOKafkaConsumer
from aiokafka import TopicPartition as KafkaTP
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from ledger.log import kafka_clients
from ledger.log.kafka_clients import FAILURES, explain, stop
from ledger.log.kafka_connection import KafkaConnection
from ledger.log.kafka_durability import default_replication, require_floor
from ledger.log.kafka_writer import KafkaWriter, shorten_transaction_backoff
from ledger.log.port import LogUnavailable, Record
from ledger.log.position import Position, TopicPartition
from ledger.log.topology import Topology

COMMANDS_RETENTION_MS: Final = 7 * 24 * 3600 * 1000
"""How long ``<prefix>.commands`` keeps a record. A command is read within moments of its
arrival, and what lasts of it is its events (which carry its key) and its answer (kept
forever); a week covers a writer down over a long weekend. A record that expired unread is
logged and counted, never skipped silently (``ledger.writer.intake``)."""


class KafkaLog:
    """``EventLog`` over a Kafka cluster (see the module docstring)."""

    def __init__(
        self,
        connection: KafkaConnection | str,
        topology: Topology,
        *,
        replication_factor: int | None = None,
        min_insync_replicas: int | None = None,
        min_insync_floor: int = 1,
        timeout: float = 10.0,
        transaction_backoff: float | None = None,
    ) -> None:
        """``connection``: a bare bootstrap list means ``PLAINTEXT``; ``replication_factor`` and
        ``min_insync_replicas``: of the topics created here, None for the cluster's;
        ``transaction_backoff``: seconds, see ``shorten_transaction_backoff``; None keeps aiokafka's."""
        self.connection = KafkaConnection(connection) if isinstance(connection, str) else connection
        self.bootstrap = self.connection.bootstrap
        self._transaction_backoff = transaction_backoff
        self._topology = topology
        self._replication_factor = replication_factor
        self._min_insync_replicas = min_insync_replicas
        self._min_insync_floor = min_insync_floor
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
    def written_topics(self) -> tuple[str, ...]:
        """Every topic the writer appends to: the areas, the meta topic, the command answers."""
        return (*self.topics, self.meta_topic, self.results_topic)

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
        admin = kafka_clients.admin(self.connection, request_timeout_ms=int(self._timeout * 1000))
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
        except FAILURES as e:
            raise LogUnavailable(await self._explain(e)) from e
        finally:
            await admin.close()

    async def _explain(self, error: BaseException) -> str:
        return await explain(self.connection, error, self._timeout)

    async def _create(self, admin: AIOKafkaAdminClient, topics: dict[str, int]) -> None:
        """Kept forever, but for the commands (``COMMANDS_RETENTION_MS``); every one as durable,
        as the settings say or else as the cluster's defaults do."""
        config = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}
        if self._min_insync_replicas is not None:
            config["min.insync.replicas"] = str(self._min_insync_replicas)
        commands = config | {"retention.ms": str(COMMANDS_RETENTION_MS)}
        replicas = self._replication_factor or await default_replication(admin)
        new = [
            NewTopic(t, partitions, replicas, topic_configs=commands if t == self.commands_topic else config)
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
        consumer = kafka_clients.consumer(
            self.connection,
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
            await stop(consumer, consumer._client)

    async def _propose_identity(self) -> None:
        producer = kafka_clients.producer(
            self.connection,
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
            await stop(producer, producer.client)

    async def close(self) -> None:
        if self._end_reader is not None:
            reader, self._end_reader = self._end_reader, None
            await reader.close()

    async def open_writer(self) -> KafkaWriter:
        """The transactional producer, once every topic it writes keeps the floor's in-sync copies."""
        await self._require_floor()
        if self._transaction_backoff is not None:
            shorten_transaction_backoff(self._transaction_backoff)
        producer = kafka_clients.producer(
            self.connection,
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
        except FAILURES as e:
            await stop(producer, producer.client)
            raise LogUnavailable(f"Kafka writer could not start: {await self._explain(e)}") from e
        except BaseException:  # cancelled while starting (a standby stopped, say): leave nothing open
            await stop(producer, producer.client)
            raise
        return KafkaWriter(producer, self.place, self.transactional_id, self._timeout)

    async def _require_floor(self) -> None:
        if self._min_insync_floor <= 1:  # every topic meets it: no admin client needed
            return
        admin = kafka_clients.admin(self.connection, request_timeout_ms=int(self._timeout * 1000))
        try:
            async with asyncio.timeout(self._timeout * 3):
                await admin.start()
                await require_floor(admin, self.written_topics, self._min_insync_floor)
        except FAILURES as e:
            raise LogUnavailable(f"the topics' durability could not be read: {await self._explain(e)}") from e
        finally:
            await admin.close()

    async def open_reader(self, topics: Iterable[str] | None = None) -> KafkaReader:
        chosen = self.topics if topics is None else tuple(topics)
        tps = [tp for tp in self._topology.topic_partitions if tp.topic in chosen]
        consumer = kafka_clients.consumer(
            self.connection,
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
        except FAILURES as e:
            await stop(consumer, consumer._client)
            raise LogUnavailable(f"Kafka reader could not start: {await self._explain(e)}") from e
        except BaseException:  # cancelled while starting (a standby taking over, say)
            await stop(consumer, consumer._client)
            raise
        return KafkaReader(consumer, tps, self._timeout)

    async def end_position(self) -> Position:
        async with self._end_opening:  # one reader, however many ask at once as the process starts
            if self._end_reader is None:
                self._end_reader = await self.open_reader()
        return await self._end_reader.end_position()


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
        except FAILURES as e:
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
        except FAILURES as e:
            raise LogUnavailable(f"Kafka end offsets unavailable: {e!r}") from e
        return Position({TopicPartition(k.topic, k.partition): v for k, v in ends.items()})

    async def close(self) -> None:
        await stop(self._consumer, self._consumer._client)
