"""Projectors: each follows the log from its checkpoint into its read model.

Per batch: decode the records, apply them with the projection's set-based SQL, park what
cannot be read or applied, and store the new checkpoint, all in one transaction. A message
that fails is parked with its position and reason, and so is every later message of its
stream until the park is released: skipping one event of a stream would corrupt that
stream's rows. Other streams go on. Nothing is dropped silently.

Read-your-writes: ``wait_for`` blocks until a projector has applied a position.
A projection whose version changed builds in a new schema from offset 0 while readers keep
the old one, and is swapped in when it has caught up (blue/green). A rebuild of the same
version (``ledger replay``, ``POST /v1/projections/{name}/rebuild``) builds in a scratch
runtime and is handed over with ``adopt``: the live row then names the rebuilt schema, and
every projector of that version writes and reads there from then on, after a restart too.

Every live runtime holds a shared advisory lock per projection it follows (``locks``), so a
replay in another process can tell that it must not swap tables under a running projector.

No projector dies silently (``supervision``): a transient database or log error is retried
with backoff from the checkpoint, and any other failure outside ``apply`` restarts the
projector with backoff, logged with its traceback, counted and shown in its stats. Between
two batches a projector carries out what operators ask of its parked messages (``parking``):
a retry or a release, asked here (``carry_out``) or from another process (``parked_actions``,
which the end-of-log watcher reads every second).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import orjson
import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars

from ledger.log import EventLog, LogReader, Position, Record
from ledger.metrics import Metrics
from ledger.projector import bookkeeping, parking
from ledger.projector.bookkeeping import ParkRow
from ledger.projector.decoding import DecodeCache, decode, wanted_by
from ledger.projector.locks import Follower
from ledger.projector.supervision import Health, parkable, pause, transient
from ledger.projector.watcher import EndWatcher
from ledger.store import Connection, Fact, Projection, schema_name

log = structlog.get_logger("ledger.projector")

_HELD = parking.HELD


def projector_key(prefix: str, name: str, version: int, scratch: str = "") -> str:
    """The projector's name in the checkpoint and parked tables."""
    return f"{prefix}:{name}:v{version}" + (f":{scratch}" if scratch else "")


@dataclass(frozen=True)
class ProjectorStats:
    name: str
    version: int
    position: str
    lag: int
    events_per_second: float
    events: int
    parked: int
    last_error: str | None
    live: bool
    restarts: int = 0  # failures outside apply, each followed by a restart with backoff
    retries: int = 0  # transient database or log errors, each retried from the checkpoint
    last_error_at: datetime | None = None
    state: str = "running"  # running, retrying, restarting, dead


class _Projector:
    def __init__(self, runtime: ProjectorRuntime, projection: Projection) -> None:
        self.runtime = runtime
        self.projection = projection
        scratch = runtime.scratch
        self.key = projector_key(runtime.prefix, projection.name, projection.version, scratch)
        self.schema = schema_name(runtime.prefix, projection.name, projection.version, scratch=scratch)
        self.until: Position | None = None  # apply nothing at or past this position (a compare)
        self.topics = tuple(f"{runtime.prefix}.{area}" for area in projection.areas)
        self.position = Position.empty()
        self.end = Position.empty()
        self.events = 0
        self.rate = 0.0
        self.parked = 0
        self.live = False
        self.read_schema = self.schema  # the live tables: the previous version's while this one builds
        self._parked_streams: set[str] = set()
        self._moved = asyncio.Condition()
        self._turn = asyncio.Lock()  # held for each step of ``run``; ``adopt`` takes it to pause
        self._reseek = False
        self._reload = False  # after a failure: the committed checkpoint and parked rows are the truth
        self.prepared = False
        self.health = Health(projection.name, runtime.metrics.restarts, runtime.metrics.retries)

    @property
    def live_name(self) -> str:
        return f"{self.runtime.prefix}:{self.projection.name}"

    def mine(self, position: Position) -> Position:
        return Position({tp: o for tp, o in position.items() if tp.topic in self.topics})

    @property
    def lag(self) -> int:
        return self.position.lag_behind(self.end)

    async def prepare(self, conn: Connection) -> None:
        live = None if self.runtime.scratch else await bookkeeping.live_schema(conn, self.live_name)
        if live is not None and live[1] == self.projection.version:
            self.schema = live[0]  # a rebuild of this version was swapped in: it is this version's tables
        identity = self.runtime.log.identity()
        if (taken_in := await bookkeeping.checkpoint_log(conn, self.key)) not in (None, identity):
            await self._start_over(conn, f"its checkpoint is of another log ({taken_in}, this is {identity})")
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        if ddl := self.projection.ddl(self.schema).strip():
            await conn.execute(ddl)
        await bookkeeping.stamp_checkpoint(conn, self.key, identity)
        self.position = await bookkeeping.load_checkpoint(conn, self.key)
        self._parked_streams = await bookkeeping.parked_streams(conn, self.key)
        self.parked = await bookkeeping.parked_count(conn, self.key)
        if self.runtime.scratch:  # a scratch rebuild swaps in only when handed over (``adopt``)
            self.live = True
            return
        self.live = live is None or live[0] == self.schema
        self.read_schema = self.schema if live is None else live[0]
        if live is None:
            await bookkeeping.set_live(conn, self.live_name, self.schema, self.projection.version)

    async def _start_over(self, conn: Connection, reason: str) -> None:
        """Drop the tables, checkpoint and parked messages: they are another log's."""
        async with conn.transaction():
            await conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            await bookkeeping.forget(conn, self.key)
        log.warning("projection_reset", projector=self.key, schema=self.schema, reason=reason)

    async def first_prepare(self, conn: Connection) -> None:
        """Prepare as the runtime starts. A transient error fails the start; any other is a
        defect that the projector's task restarts from, with backoff."""
        try:
            await self.prepare(conn)
            self.prepared = True
        except Exception as e:
            if transient(e):
                raise
            self.health.failed(e, restart=True, projector=self.key)

    async def run(self) -> None:
        """Follow the log until the runtime stops; after a failure, start again with backoff."""
        bind_contextvars(projection=self.projection.name)
        runtime = self.runtime
        while not runtime.stopping:
            if self.health.failures:
                await pause(self.health.delay, runtime.stopped)
                if runtime.stopping:
                    return
            try:
                if not self.prepared:
                    async with self._turn, runtime.pool.acquire() as conn:
                        await self.prepare(conn)
                    self.prepared = True
                await self._follow()
            except Exception as e:
                self.prepared = False  # a restart starts afresh: tables, checkpoint, parked streams
                self.health.failed(e, restart=not transient(e), projector=self.key)

    async def _follow(self) -> None:
        runtime = self.runtime
        reader = await runtime.log.open_reader(self.topics)
        try:
            await reader.seek(self.position)
            while not runtime.stopping:
                try:
                    async with self._turn:
                        await self._step(reader)
                except Exception as e:
                    if not transient(e):
                        raise
                    self._reload = True  # whether the batch committed or not, the checkpoint says
                    await pause(self.health.failed(e, restart=False, projector=self.key), runtime.stopped)
                    continue
                if self.health.failures:
                    self.health.recovered()
        finally:
            try:
                await reader.close()
            except Exception as e:
                log.warning("projector_reader_close_failed", projector=self.key, error=repr(e))

    async def _step(self, reader: LogReader) -> None:
        if self._reload:
            async with self.runtime.pool.acquire() as conn:
                await self._load(conn)
            self._reload, self._reseek = False, True
        if self._reseek:
            self._reseek = False
            await reader.seek(self.position)
        if self.until is not None and self.position.covers(self.mine(self.until)):
            await asyncio.sleep(0.1)  # held where the compared tables stand
            return
        records = await reader.read(max_records=self.runtime.batch_size, timeout=0.25)
        position = reader.position
        if self.until is not None:
            until = self.until
            records = [r for r in records if r.offset < until.get_offset(r.tp)]
            position = Position({tp: min(o, until.get_offset(tp)) for tp, o in position.items()})
        if records:
            await self._apply(records, position)
        else:
            await self._moved_to(position)
        if not self.live and self.position.covers(self.mine(self.end)) and self.end:
            await self._swap_in()

    async def _load(self, conn: Connection) -> None:
        """The checkpoint and parked messages as committed."""
        position = await bookkeeping.load_checkpoint(conn, self.key)
        self._parked_streams = await bookkeeping.parked_streams(conn, self.key)
        self.parked = await bookkeeping.parked_count(conn, self.key)
        await self._moved_to(position)

    def hold_at(self, until: Position) -> None:
        self.until = until
        self._reseek = True  # the reader may have read past the old bound

    async def take_over(self, rebuild: _Projector, timeout: float) -> str | None:
        """Pause between batches, let ``rebuild`` reach this position, and go on in its tables."""
        async with self._turn:
            if not await rebuild.wait_for(self.position, timeout):
                raise TimeoutError(f"the rebuild of {self.projection.name} did not catch up in {timeout} s")
            await rebuild.runtime.stop()
            async with self.runtime.pool.acquire() as conn, conn.transaction():
                previous = await bookkeeping.hand_over(
                    conn, self.live_name, rebuild.schema, self.projection.version, rebuild.key, self.key
                )
                self.position = await bookkeeping.load_checkpoint(conn, self.key)
                self._parked_streams = await bookkeeping.parked_streams(conn, self.key)
                self.parked = await bookkeeping.parked_count(conn, self.key)
            # One assignment, no await between: every read from here on goes to the new tables.
            self.schema = self.read_schema = rebuild.schema
            self.live, self._reseek = True, True
            await self._moved_to(self.position)
        log.info("projection_rebuild_adopted", projector=self.key, schema=self.schema, replaced=previous)
        return None if previous is None else previous[0]

    async def _moved_to(self, position: Position) -> None:
        async with self._moved:
            self.position = position
            self._moved.notify_all()

    def _decode(self, records: list[Record]) -> tuple[list[Fact], list[ParkRow]]:
        facts: list[Fact] = []
        parked: list[ParkRow] = []
        decoded = self.runtime.decoded
        for record in wanted_by(self.projection, records):
            seq = (record.topic, record.partition, record.offset)
            outcome = decoded.get(seq)
            if outcome is None:
                outcome = decoded.put(seq, decode(record))
            if isinstance(outcome, Exception):  # unreadable: park it and hold its stream
                stream = record.key.decode(errors="replace")
                self._parked_streams.add(stream)
                parked.append((record, stream, None, None, f"unreadable: {outcome}"))
                continue
            envelope, event = outcome
            if envelope.stream in self._parked_streams:
                parked.append((record, envelope.stream, envelope.id, envelope.type, _HELD))
                continue
            facts.append(Fact(record.topic, record.partition, record.offset, envelope, event))
        return facts, parked

    async def _apply(self, records: list[Record], position: Position) -> None:
        started = time.monotonic()
        facts, parked = self._decode(records)
        projection, schema = self.projection, self.schema
        # Any failure below leaves ``_parked_streams`` ahead of the database; whoever handles
        # it reloads them with the checkpoint (``_load``) before the next batch.
        async with self.runtime.pool.acquire() as conn, conn.transaction():
            try:
                async with conn.transaction():
                    await projection.apply(conn, schema, facts)
            except Exception as e:
                if not parkable(e):
                    raise
                log.warning("projector_batch_failed", projector=self.key, error=repr(e), events=len(facts))
                parked += await self._apply_one_by_one(conn, facts, records)
            if parked:
                await bookkeeping.park(conn, self.key, parked)
            await bookkeeping.save_checkpoint(conn, self.key, position)
        if parked:
            self.parked += len(parked)
            self.runtime.metrics.parked.labels(projection.name).set(self.parked)
            record, stream, *_, reason = parked[0]
            with bound_contextvars(stream=stream, offset=record.offset):
                log.error(
                    "projector_parked",
                    projector=self.key,
                    count=len(parked),
                    topic=record.topic,
                    partition=record.partition,
                    first=reason,
                )
        elapsed = max(time.monotonic() - started, 1e-6)
        self.events += len(records)
        self.rate = 0.7 * self.rate + 0.3 * (len(records) / elapsed) if self.rate else len(records) / elapsed
        self.runtime.metrics.projected.labels(projection.name).inc(len(records))
        await self._moved_to(position)

    async def _apply_one_by_one(
        self, conn: Connection, facts: list[Fact], records: list[Record]
    ) -> list[ParkRow]:
        """Find the facts that fail, whatever they raise; park each with its stream's later facts."""
        by_seq = {(r.topic, r.partition, r.offset): r for r in records}
        parked: list[ParkRow] = []
        for fact in facts:
            env = fact.envelope
            if env.stream in self._parked_streams:
                parked.append((by_seq[fact.seq], env.stream, env.id, env.type, _HELD))
                continue
            try:
                async with conn.transaction():
                    await self.projection.apply(conn, self.schema, [fact])
            except Exception as e:
                if not parkable(e):
                    raise
                self._parked_streams.add(env.stream)
                parked.append((by_seq[fact.seq], env.stream, env.id, env.type, f"apply failed: {e!r}"))
                with bound_contextvars(stream=env.stream, offset=fact.offset):
                    log.warning("projector_event_failed", projector=self.key, event_id=env.id, error=repr(e))
        return parked

    async def carry_out(
        self, action: str, stream: str | None, by: str, ask: int | None = None
    ) -> parking.Outcome | None:
        """Retry or release parked messages (of ``stream``, or all) between two batches, in one
        transaction; with ``ask``, the operator's queued ask is marked done in it (None when it
        was withdrawn meanwhile). The parked streams change here only once that has committed."""
        async with self._turn:
            try:
                async with self.runtime.pool.acquire() as conn, conn.transaction():
                    if ask is not None and not await bookkeeping.take_ask(conn, ask):
                        return None
                    outcome = await parking.carry_out(
                        conn, action, self.projection, self.schema, self.key, stream, by, self._read_back
                    )
                    if ask is not None:
                        await bookkeeping.finish_ask(conn, ask, orjson.dumps(outcome.as_json()).decode())
                    streams = await bookkeeping.parked_streams(conn, self.key)
                    count = await bookkeeping.parked_count(conn, self.key)
            except BaseException:
                self._reload = True  # the commit may have happened: the database will say
                raise
            self._parked_streams, self.parked = streams, count
            self.runtime.metrics.parked.labels(self.projection.name).set(count)
        return outcome

    async def _read_back(self, seqs: list[parking.Seq]) -> dict[parking.Seq, Record]:
        return await parking.read_back(self.runtime.log, seqs)

    async def _swap_in(self) -> None:
        name = f"{self.runtime.prefix}:{self.projection.name}"
        async with self.runtime.pool.acquire() as conn:
            previous = await bookkeeping.live_schema(conn, name)
            await bookkeeping.set_live(conn, name, self.schema, self.projection.version)
        self.live = True
        self.read_schema = self.schema
        log.info("projection_swapped_in", projector=self.key, replaced=previous)

    async def wait_for(self, target: Position, timeout: float) -> bool:
        mine = self.mine(target)
        async with self._moved:
            try:
                await asyncio.wait_for(self._moved.wait_for(lambda: self.position.covers(mine)), timeout)
            except TimeoutError:
                return False
        return True

    def stats(self) -> ProjectorStats:
        return ProjectorStats(
            name=self.projection.name,
            version=self.projection.version,
            position=self.position.token(),
            lag=self.lag,
            events_per_second=round(self.rate, 1),
            events=self.events,
            parked=self.parked,
            last_error=self.health.last_error,
            live=self.live,
            restarts=self.health.restarts,
            retries=self.health.retries,
            last_error_at=self.health.last_error_at,
            state=self.health.state,
        )


class ProjectorRuntime:
    """Runs every projection concurrently in this process."""

    def __init__(
        self,
        log: EventLog,
        pool: asyncpg.Pool,
        projections: Sequence[Projection],
        prefix: str,
        *,
        metrics: Metrics | None = None,
        batch_size: int = 5000,
        scratch: str = "",
    ) -> None:
        """``scratch`` names a throw-away rebuild beside the live tables (own schemas, own checkpoints)."""
        self.log = log
        self.scratch = scratch
        self.pool = pool
        self.prefix = prefix
        self.metrics = metrics or Metrics()
        self.batch_size = batch_size
        shared = len(projections) > 1
        self.decoded = DecodeCache(batch_size * len(projections), batch_size * 40 if shared else 0)
        self.stopping = False
        self.stopped = asyncio.Event()  # wakes whoever waits out a backoff when the runtime stops
        self.watcher = EndWatcher(self)
        self._projectors = {p.name: _Projector(self, p) for p in projections}
        for projector in self._projectors.values():
            for topic in projector.topics:
                self.decoded.readers.setdefault(topic, []).append(projector)
        self._tasks: list[asyncio.Task[None]] = []
        self._died: set[asyncio.Task[None]] = set()
        self._start_end = Position.empty()
        self._started_caught_up = False
        self.locks = Follower(pool)

    @property
    def started_caught_up(self) -> bool:
        """Every projector has reached where the log ended when this runtime started (latched)."""
        if not self._started_caught_up:
            self._started_caught_up = all(
                p.position.covers(p.mine(self._start_end)) for p in self._projectors.values()
            )
        return self._started_caught_up

    async def start(self) -> None:
        self._start_end = await self.log.end_position()
        if not self.scratch:
            await self.locks.follow([p.live_name for p in self._projectors.values()])
        async with self.pool.acquire() as conn:
            await bookkeeping.setup(conn)
            for projector in self._projectors.values():
                await projector.first_prepare(conn)
        self._tasks = [
            asyncio.create_task(p.run(), name=f"projector-{name}") for name, p in self._projectors.items()
        ]
        self._tasks.append(asyncio.create_task(self.watcher.run(), name="projector-lag"))
        for task in self._tasks:
            task.add_done_callback(self._ended)

    async def stop(self) -> None:
        """Let each projector finish the batch in hand, then stop; say what any task died of."""
        self.stopping = True
        self.stopped.set()
        for task in self._tasks[-1:]:
            task.cancel()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        for task, result in zip(self._tasks, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                self._report_death(task, result)
        await self.locks.close()

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            self._report_death(task, error)

    def _report_death(self, task: asyncio.Task[None], error: BaseException) -> None:
        """A task's supervision itself gave way (only a ``BaseException`` gets past it): say so, once."""
        if task in self._died:
            return
        self._died.add(task)
        name = task.get_name().removeprefix("projector-")
        health = self._projectors[name].health if name in self._projectors else self.watcher.health
        health.died(error)
        log.error("projector_task_died", task=task.get_name(), error=repr(error), exc_info=error)

    def __contains__(self, name: str) -> bool:
        return name in self._projectors

    def schema(self, name: str) -> str:
        return self._projectors[name].schema

    def read_schema(self, name: str) -> str:
        return self._projectors[name].read_schema

    def position(self, name: str) -> Position:
        return self._projectors[name].position

    def key(self, name: str) -> str:
        return self._projectors[name].key

    def live(self, name: str) -> bool:
        """The projector writes the live tables (it is not building a new version beside them)."""
        return self._projectors[name].live

    def hold_at(self, name: str, until: Position) -> None:
        """Apply nothing at or past ``until``: a scratch rebuild stops where compared tables stand."""
        self._projectors[name].hold_at(until)

    async def adopt(self, name: str, rebuild: ProjectorRuntime, *, timeout: float = 60.0) -> str | None:
        """Hand a scratch rebuild of ``name`` over as its live tables; answers the replaced schema.

        The live projector pauses between batches while readers go on reading the old tables;
        the rebuild catches up to where the projector stood and stops; the rebuilt tables,
        checkpoint and parked messages become the live ones in one transaction (the live
        row names the rebuilt schema); then ``read_schema`` turns to them and the projector
        goes on there. The replaced schema is left for the caller to drop once readers are
        done with it.
        """
        return await self._projectors[name].take_over(rebuild._projectors[name], timeout)

    async def wait_for(self, name: str, target: Position, timeout: float) -> bool:
        return await self._projectors[name].wait_for(target, timeout)

    async def carry_out(self, name: str, action: str, stream: str | None, by: str) -> parking.Outcome:
        """Retry or release ``name``'s parked messages (of ``stream``, or all) between two of its
        batches. The caller makes sure that no other process follows ``name`` (``locks.claim``)."""
        outcome = await self._projectors[name].carry_out(action, stream, by)
        assert outcome is not None  # only a queued ask can be withdrawn
        return outcome

    def stats(self) -> list[ProjectorStats]:
        return [p.stats() for p in self._projectors.values()]

    def by_key(self) -> dict[str, _Projector]:
        return {p.key: p for p in self._projectors.values()}

    def caught_up(self) -> bool:
        return all(p.end and p.position.covers(p.mine(p.end)) for p in self._projectors.values())

    async def refresh_end(self) -> None:
        end = await self.log.end_position()
        for projector in self._projectors.values():
            projector.end = projector.mine(end)
            self.metrics.lag.labels(projector.projection.name).set(projector.lag)
