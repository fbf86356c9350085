"""The log in PostgreSQL: the embedded default, and the contract's second implementation.

Messages keep Kafka's shape (topic, partition, offset, key, headers, value). One row per
writer name holds the fencing epoch; every append locks it and checks it, which also
serialises appends, so offsets are gapless and commit in order. Readers are woken by
LISTEN/NOTIFY. Event ids are unique within a topic, so an append retried after a lost commit
reply is recognised instead of written twice. Several logs (topic prefixes) may share one
database, and one may hold a copy of another (``ledger import``): ids repeat across logs.
Each log's identity is a uuid in ``logs``, made by its first start and dropped by ``discard``.

A process that already holds a pool and a LISTEN connection (``ledger api``) can lend them
to the log: ``pool`` then is used and never closed, and with ``listen=False`` the log opens
no LISTEN of its own and whoever listens on ``APPENDED_CHANNEL`` calls ``appended``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable, Sequence

import asyncpg
import orjson

from ledger.cloudevents import to_binary
from ledger.envelope import Envelope
from ledger.log.port import Attach, LogUnavailable, Record, WriterFenced
from ledger.log.position import Position, TopicPartition
from ledger.log.topology import Topology

SCHEMA = "ledger_log"
APPENDED_CHANNEL = "ledger_log_appended"

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.messages (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    key bytea NOT NULL,
    headers jsonb NOT NULL,
    value bytea NOT NULL,
    event_id text NOT NULL,
    appended_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (topic, partition, "offset")
);
DROP INDEX IF EXISTS {SCHEMA}.messages_event_id;
CREATE UNIQUE INDEX IF NOT EXISTS messages_topic_event_id ON {SCHEMA}.messages (topic, event_id);
CREATE TABLE IF NOT EXISTS {SCHEMA}.partitions (
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.writer_epochs (
    name text PRIMARY KEY,
    epoch bigint NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.logs (
    prefix text PRIMARY KEY,
    identity text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
"""

_READ = f"""
SELECT m.topic, m.partition, m."offset", m.key, m.headers, m.value
FROM unnest($1::text[], $2::integer[], $3::bigint[]) AS c(topic, partition, next_offset)
CROSS JOIN LATERAL (
    SELECT * FROM {SCHEMA}.messages m
    WHERE m.topic = c.topic AND m.partition = c.partition AND m."offset" >= c.next_offset
    ORDER BY m."offset" LIMIT $4
) m
ORDER BY m.seq LIMIT $4
"""

_CONNECTION_ERRORS = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
)


def _headers_json(headers: Iterable[tuple[str, bytes]]) -> str:
    return orjson.dumps([[name, value.decode()] for name, value in headers]).decode()


def _record(row: asyncpg.Record) -> Record:
    pairs = orjson.loads(row["headers"])
    try:
        headers = tuple([(str(name), value.encode()) for name, value in pairs])
    except (AttributeError, TypeError, ValueError):  # not pairs of strings, as appends write them
        headers = tuple((str(name), str(value).encode()) for name, value in pairs)
    return Record(
        row["topic"], row["partition"], row["offset"], bytes(row["key"]), headers, bytes(row["value"])
    )


class PostgresLog:
    """``EventLog`` over a PostgreSQL database (see the module docstring)."""

    def __init__(
        self,
        dsn: str,
        topology: Topology,
        *,
        timeout: float = 10.0,
        pool_size: tuple[int, int] = (1, 8),
        pool: asyncpg.Pool | None = None,
        listen: bool = True,
    ) -> None:
        """``pool_size``: the (min, max) connections of the log's own pool (``ledger.bootstrap``
        sizes it); ``pool``: a pool to use instead, left open on ``close``; ``listen``: open a
        LISTEN connection, else ``appended`` is called by the owner of one."""
        self._dsn = dsn
        self._topology = topology
        self._timeout = timeout
        self._pool_size = pool_size
        self._lent_pool = pool
        self._listen = listen
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._appended = asyncio.Condition()
        self._generation = 0
        self._identity: str | None = None

    @property
    def topics(self) -> tuple[str, ...]:
        return self._topology.topics

    def topic_for(self, stream: str) -> str:
        return self._topology.topic_for(stream)

    def partition_for(self, stream: str) -> int:
        return self._topology.partition_for(stream)

    async def start(self) -> None:
        try:
            low, high = self._pool_size
            self._pool = self._lent_pool or await asyncpg.create_pool(
                self._dsn, min_size=low, max_size=high, timeout=self._timeout
            )
            async with self._pool.acquire() as conn:
                await conn.execute("SELECT pg_advisory_lock(hashtext('ledger_log_ddl'))")
                try:
                    await conn.execute(_DDL)
                finally:
                    await conn.execute("SELECT pg_advisory_unlock(hashtext('ledger_log_ddl'))")
                tps = self._topology.topic_partitions
                await conn.execute(
                    f"INSERT INTO {SCHEMA}.partitions (topic, partition) "
                    "SELECT * FROM unnest($1::text[], $2::integer[]) ON CONFLICT DO NOTHING",
                    [tp.topic for tp in tps],
                    [tp.partition for tp in tps],
                )
                # Two statements: the select sees a row that a concurrent first start committed.
                await conn.execute(
                    f"INSERT INTO {SCHEMA}.logs (prefix, identity) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    self._topology.prefix,
                    str(uuid.uuid4()),
                )
                self._identity = await conn.fetchval(
                    f"SELECT identity FROM {SCHEMA}.logs WHERE prefix = $1", self._topology.prefix
                )
            if self._listen:
                self._listener = await asyncpg.connect(self._dsn, timeout=self._timeout)
                await self._listener.add_listener(APPENDED_CHANNEL, self._on_notify)
        except _CONNECTION_ERRORS as e:
            await self.close()
            raise LogUnavailable(f"PostgreSQL log unreachable: {e}") from e

    async def close(self) -> None:
        if self._listener is not None:
            listener, self._listener = self._listener, None
            await listener.close(timeout=self._timeout)
        if self._pool is not None:
            pool, self._pool = self._pool, None
            if pool is not self._lent_pool:
                await pool.close()

    def identity(self) -> str:
        if self._identity is None:
            raise LogUnavailable("the PostgreSQL log is not started")
        return self._identity

    async def open_writer(self) -> PostgresWriter:
        """Claim the log: bump the epoch, so every earlier writer is fenced on its next append."""
        async with self._acquire() as conn:
            epoch = await conn.fetchval(
                f"INSERT INTO {SCHEMA}.writer_epochs (name, epoch) VALUES ($1, 1) "
                "ON CONFLICT (name) DO UPDATE SET epoch = writer_epochs.epoch + 1, claimed_at = now() "
                "RETURNING epoch",
                self._topology.prefix,
            )
        return PostgresWriter(self, int(epoch))

    async def open_reader(self, topics: Iterable[str] | None = None) -> PostgresReader:
        chosen = self.topics if topics is None else tuple(topics)
        tps = [tp for tp in self._topology.topic_partitions if tp.topic in chosen]
        return PostgresReader(self, tps)

    async def end_position(self) -> Position:
        async with self._acquire() as conn:
            rows = await conn.fetch(
                f"SELECT topic, partition, next_offset FROM {SCHEMA}.partitions "
                "WHERE topic = any($1::text[])",
                list(self.topics),
            )
        return Position({TopicPartition(r["topic"], r["partition"]): r["next_offset"] for r in rows})

    # -- used by the writer and readers --------------------------------------------------

    def _acquire(self) -> asyncpg.pool.PoolAcquireContext:
        if self._pool is None:
            raise LogUnavailable("the PostgreSQL log is not started")
        return self._pool.acquire(timeout=self._timeout)

    def _on_notify(self, *_: object) -> None:
        self.appended()

    def appended(self) -> None:
        """Something was appended (or may have been, unheard): wake every waiting reader."""
        self._generation += 1
        asyncio.get_running_loop().create_task(self._wake())

    async def _wake(self) -> None:
        async with self._appended:
            self._appended.notify_all()

    async def _wait_for_append(self, generation: int, timeout: float) -> None:
        if self._generation != generation or timeout <= 0:
            return
        async with self._appended:
            try:
                await asyncio.wait_for(
                    self._appended.wait_for(lambda: self._generation != generation), timeout
                )
            except TimeoutError:
                return

    async def _append(self, epoch: int, events: Sequence[Envelope]) -> list[Record]:
        messages = [(e, self.topic_for(e.stream), self.partition_for(e.stream), to_binary(e)) for e in events]
        counts: dict[TopicPartition, int] = {}
        for _, topic, partition, _ in messages:
            tp = TopicPartition(topic, partition)
            counts[tp] = counts.get(tp, 0) + 1
        async with self._acquire() as conn, conn.transaction():
            current = await conn.fetchval(
                f"SELECT epoch FROM {SCHEMA}.writer_epochs WHERE name = $1 FOR UPDATE", self._topology.prefix
            )
            if current != epoch:
                raise WriterFenced(f"writer epoch {epoch} was superseded by epoch {current}")
            rows = await conn.fetch(
                f"UPDATE {SCHEMA}.partitions p SET next_offset = p.next_offset + c.n "
                "FROM unnest($1::text[], $2::integer[], $3::bigint[]) AS c(topic, partition, n) "
                "WHERE p.topic = c.topic AND p.partition = c.partition "
                "RETURNING p.topic, p.partition, p.next_offset - c.n AS first",
                [tp.topic for tp in counts],
                [tp.partition for tp in counts],
                list(counts.values()),
            )
            next_offset = {TopicPartition(r["topic"], r["partition"]): r["first"] for r in rows}
            records: list[Record] = []
            for _, topic, partition, message in messages:
                tp = TopicPartition(topic, partition)
                offset = next_offset[tp]
                next_offset[tp] = offset + 1
                records.append(
                    Record(topic, partition, offset, message.key, tuple(message.headers), message.value)
                )
            await conn.copy_records_to_table(
                "messages",
                schema_name=SCHEMA,
                columns=["topic", "partition", "offset", "key", "headers", "value", "event_id"],
                records=[
                    (r.topic, r.partition, r.offset, r.key, _headers_json(r.headers), r.value, e.id)
                    for r, (e, *_) in zip(records, messages, strict=True)
                ],
            )
            await conn.execute("SELECT pg_notify($1, '')", APPENDED_CHANNEL)
        return records

    async def _find(self, events: Sequence[Envelope]) -> list[Record]:
        async with self._acquire() as conn:
            rows = await conn.fetch(
                f"SELECT m.* FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS i(topic, event_id, n) "
                f"JOIN {SCHEMA}.messages m USING (topic, event_id) ORDER BY i.n",
                [self.topic_for(e.stream) for e in events],
                [e.id for e in events],
            )
        return [_record(r) for r in rows]

    async def discard(self) -> None:
        """Delete every message and offset of this log's topics, its writer epoch and its
        identity: for the scratch logs that ``ledger replay --source`` fills from an export,
        never a live one. A log started again on this prefix is a new log."""
        async with self._acquire() as conn, conn.transaction():
            topics = list(self.topics)
            await conn.execute(f"DELETE FROM {SCHEMA}.messages WHERE topic = any($1::text[])", topics)
            await conn.execute(f"DELETE FROM {SCHEMA}.partitions WHERE topic = any($1::text[])", topics)
            await conn.execute(f"DELETE FROM {SCHEMA}.writer_epochs WHERE name = $1", self._topology.prefix)
            await conn.execute(f"DELETE FROM {SCHEMA}.logs WHERE prefix = $1", self._topology.prefix)
        self._identity = None

    async def _read(self, position: Position, tps: list[TopicPartition], limit: int) -> list[Record]:
        async with self._acquire() as conn:
            rows = await conn.fetch(
                _READ,
                [tp.topic for tp in tps],
                [tp.partition for tp in tps],
                [position.get_offset(tp) for tp in tps],
                limit,
            )
        return [_record(r) for r in rows]


class PostgresWriter:
    """The writer's handle on the PostgreSQL log, holding the epoch it claimed."""

    def __init__(self, log: PostgresLog, epoch: int) -> None:
        self._log = log
        self.epoch = epoch
        self._spent: Exception | None = None

    async def append(self, events: Sequence[Envelope], attach: Attach | None = None) -> list[Record]:
        if attach is not None:  # commands arrive as records only through Kafka
            raise ValueError("the PostgreSQL log carries no attachments")
        if self._spent is not None:
            raise self._spent
        if not events:
            return []
        try:
            return await self._log._append(self.epoch, events)
        except WriterFenced as e:
            self._spent = e
            raise
        except asyncpg.UniqueViolationError as e:
            try:
                return await self._already_appended(events)
            except LookupError:
                raise LogUnavailable(f"append refused, an event id is already in the log: {e}") from e
        except _CONNECTION_ERRORS as e:
            # The commit may or may not have happened: look once, never guess.
            try:
                return await self._already_appended(events)
            except (LookupError, *_CONNECTION_ERRORS):
                raise LogUnavailable(f"append not confirmed: {e}") from e
        except asyncpg.PostgresError as e:
            # Rolled back whole: nothing of the batch is visible, and this epoch still holds.
            raise LogUnavailable(f"append failed and was rolled back: {e}") from e

    async def _already_appended(self, events: Sequence[Envelope]) -> list[Record]:
        """An earlier attempt of this very batch committed: answer with its records."""
        found = await self._log._find(events)
        if len(found) != len(events):
            raise LookupError("batch not in the log")
        return found

    async def close(self) -> None:
        self._spent = self._spent or LogUnavailable("writer closed")


class PostgresReader:
    """A cursor over the PostgreSQL log, ordered by commit across partitions."""

    def __init__(self, log: PostgresLog, tps: list[TopicPartition]) -> None:
        self._log = log
        self._tps = tps
        self._position = Position.empty()

    @property
    def position(self) -> Position:
        return self._position

    async def seek(self, position: Position) -> None:
        self._position = Position({tp: position.get_offset(tp) for tp in self._tps})

    async def read(self, max_records: int, timeout: float) -> list[Record]:
        deadline = time.monotonic() + timeout
        while True:
            generation = self._log._generation
            try:
                records = await self._log._read(self._position, self._tps, max_records)
            except _CONNECTION_ERRORS as e:
                raise LogUnavailable(f"PostgreSQL log unreachable: {e}") from e
            if records:
                self._position = self._position.merge(
                    Position.after((r.topic, r.partition, r.offset) for r in records)
                )
                return records
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await self._log._wait_for_append(generation, remaining)

    async def close(self) -> None:
        return None
