"""One projection followed from its checkpoint: ownership, the follow loop, hand-overs.

A follower owns its projection before it projects: it takes the owner lock (``locks``) and a
new epoch for its checkpoint, or stands by, trying again every second, while another process
owns it. Owning, it reads the log from the checkpoint and applies batch after batch
(``applying``). Should it lose ownership (its lock's session dropped, or a batch fenced by a
newer epoch) it stops at once and stands by again.

A projection whose version changed builds in a new schema from offset 0 while readers keep
the old one, and is swapped in when it has caught up (blue/green). A rebuild of the same
version built in a scratch runtime is handed over with ``take_over``.

Every step of the loop runs under ``_turn``, so that a hand-over or an operator's action on
parked messages happens between two batches, never inside one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import orjson
import structlog
from structlog.contextvars import bind_contextvars

from ledger.log import Position, Record
from ledger.projector import applying, asks, bookkeeping, parking
from ledger.projector.bookkeeping import Fenced
from ledger.projector.decoding import Decoded
from ledger.projector.locks import LocksLost
from ledger.projector.readahead import ReadAhead
from ledger.projector.stats import ProjectorStats, projector_key
from ledger.projector.supervision import Health, pause, transient
from ledger.store import Connection, Projection, schema_name

if TYPE_CHECKING:
    from ledger.projector.runtime import ProjectorRuntime

log = structlog.get_logger("ledger.projector")

STANDBY_POLL = 1.0
"""How often a projection owned elsewhere is tried: the longest a takeover waits."""
READ_WAIT = 0.25
"""How long a read waits for records when there are none: a caught-up projector's poll."""


class Projector:
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
        self.start_end = Position.empty()  # where the log ended when this process took the projection
        self.events = 0
        self.rate = 0.0
        self.parked = 0
        self.live = False
        self.read_schema = self.schema  # the live tables: the previous version's while this one builds
        self.parked_streams: set[str] = set()
        self.owned = bool(scratch)  # a scratch rebuild's tables are its own
        self.lost = False  # the owner lock's session is gone: stop before the next batch
        self.epoch = 0
        self._caught_up_at_start = False
        self._moved = asyncio.Condition()
        self._turn = asyncio.Lock()  # held for each step of ``run``; ``take_over`` takes it to pause
        self._reseek = False
        self.reload = False  # after a failure: the committed checkpoint and parked rows are the truth
        self.prepared = False
        self.health = Health(projection.name, runtime.metrics.restarts, runtime.metrics.retries)
        if not scratch:
            runtime.metrics.projected.labels(projection.name)  # at 0: "applies nothing" is a value

    @property
    def live_name(self) -> str:
        return f"{self.runtime.prefix}:{self.projection.name}"

    def mine(self, position: Position) -> Position:
        return Position({tp: o for tp, o in position.items() if tp.topic in self.topics})

    @property
    def lag(self) -> int:
        return self.position.lag_behind(self.end)

    def publish(self) -> None:
        """Lag and parked on ``/metrics``: the owner's figures, 0 from a process standing by (the
        owner's win, as each is the largest of the live processes'); none from a scratch rebuild,
        whose figures would stand in for the live tables' under the same name."""
        if self.runtime.scratch:
            return
        metrics, name = self.runtime.metrics, self.projection.name
        metrics.lag.labels(name).set(self.lag if self.owned else 0)
        metrics.parked.labels(name).set(self.parked if self.owned else 0)

    @property
    def caught_up_at_start(self) -> bool:
        """Has reached where the log ended when this process took the projection (latched)."""
        if not self._caught_up_at_start and self.owned and self.prepared:
            self._caught_up_at_start = self.position.covers(self.start_end)
        return self._caught_up_at_start

    async def take_ownership(self, *, once: bool = False) -> bool:
        """Own the projection, or stand by until it can be owned (or the runtime stops)."""
        runtime = self.runtime
        while not runtime.stopping:
            if await runtime.locks.own(self.live_name) and await runtime.locks.follow(self.live_name):
                self.owned, self.lost, self.prepared = True, False, False
                self._caught_up_at_start = False
                self.start_end = self.mine(await runtime.log.end_position())
                log.info("projection_owned", projector=self.key, owner=runtime.owner)
                runtime.poke()
                return True
            if once:
                return False
            await pause(STANDBY_POLL, runtime.stopped)
        return False

    async def _let_go(self, reason: BaseException) -> None:
        """Ownership is gone (or going): stop projecting and stand by."""
        if self.owned:
            log.warning("projection_ownership_lost", projector=self.key, reason=repr(reason))
        self.owned = self.prepared = self.lost = False
        self.runtime.ownership_lost(self.projection.name)
        try:
            await self.runtime.locks.release(self.live_name)
        except Exception as e:  # the session is most likely gone, and the locks with it
            log.info("projection_release_failed", projector=self.key, error=repr(e))
        await pause(STANDBY_POLL, self.runtime.stopped)

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
        self.epoch = await bookkeeping.claim(conn, self.key, identity)
        self.position = await bookkeeping.load_checkpoint(conn, self.key)
        self.parked_streams = await bookkeeping.parked_streams(conn, self.key)
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
            await bookkeeping.announce_live(conn, self.live_name)  # readers forget the old position
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
        """Own the projection and follow the log until the runtime stops; after a failure,
        start again with backoff; after losing ownership, stand by."""
        bind_contextvars(projection=self.projection.name)
        runtime = self.runtime
        while not runtime.stopping:
            if self.health.failures:
                await pause(self.health.delay, runtime.stopped)
                if runtime.stopping:
                    return
            try:
                if not self.owned and not await self.take_ownership():
                    return
                if not self.prepared:
                    async with self._turn, runtime.pool.acquire() as conn:
                        await self.prepare(conn)
                    self.prepared = True
                    runtime.poke()
                await self._follow()
            except (Fenced, LocksLost) as e:
                await self._let_go(e)
            except Exception as e:
                self.prepared = False  # a restart starts afresh: tables, checkpoint, parked streams
                self.health.failed(e, restart=not transient(e), projector=self.key)

    async def _follow(self) -> None:
        runtime = self.runtime
        log_reader = await runtime.log.open_reader(self.topics)
        reader = ReadAhead(log_reader, self._decode, runtime.batch_size, READ_WAIT)
        try:
            await reader.seek(self.position)
            while not runtime.stopping:
                try:
                    async with self._turn:
                        await self._step(reader)
                except Exception as e:
                    if not transient(e):
                        raise
                    self.reload = True  # whether the batch committed or not, the checkpoint says
                    await pause(self.health.failed(e, restart=False, projector=self.key), runtime.stopped)
                    continue
                if self.health.failures:
                    self.health.recovered()
        finally:
            await reader.close()
            try:
                await log_reader.close()
            except Exception as e:
                log.warning("projector_reader_close_failed", projector=self.key, error=repr(e))

    def _decode(self, records: list[Record]) -> list[tuple[Record, Decoded]]:
        return applying.decode_wanted(self, records)

    async def _step(self, reader: ReadAhead) -> None:
        if self.lost:
            raise LocksLost("the session holding the owner lock is gone")
        if self.reload:
            async with self.runtime.pool.acquire() as conn:
                await self._load(conn)
            self.reload, self._reseek = False, True
        if self._reseek:
            self._reseek = False
            await reader.seek(self.position)
        if self.until is not None and self.position.covers(self.mine(self.until)):
            await asyncio.sleep(0.1)  # held where the compared tables stand
            return
        batch = await reader.take()
        records, decoded, position = batch.records, batch.decoded, batch.position
        if self.until is not None:
            until = self.until
            records = [r for r in records if r.offset < until.get_offset(r.tp)]
            decoded = [(r, d) for r, d in decoded if r.offset < until.get_offset(r.tp)]
            position = Position({tp: min(o, until.get_offset(tp)) for tp, o in position.items()})
        if records:
            await applying.apply(self, records, decoded, position)
        elif position != self.position:
            await applying.advance(self, position)
        await self.moved_to(position)
        if not self.live and self.position.covers(self.mine(self.end)) and self.end:
            await self._swap_in()

    async def _load(self, conn: Connection) -> None:
        """The checkpoint and parked messages as committed."""
        position = await bookkeeping.load_checkpoint(conn, self.key)
        self.parked_streams = await bookkeeping.parked_streams(conn, self.key)
        self.parked = await bookkeeping.parked_count(conn, self.key)
        await self.moved_to(position)

    def hold_at(self, until: Position) -> None:
        self.until = until
        self._reseek = True  # the reader may have read past the old bound

    async def take_over(self, rebuild: Projector, timeout: float) -> str | None:
        """Pause between batches, let ``rebuild`` reach this position, and go on in its tables."""
        async with self._turn:
            rebuild.hold_at(self.position)
            if not await rebuild.wait_for(self.position, timeout):
                raise TimeoutError(f"the rebuild of {self.projection.name} did not catch up in {timeout} s")
            await rebuild.runtime.stop()
            async with self.runtime.pool.acquire() as conn, conn.transaction():
                previous = await bookkeeping.hand_over(
                    conn,
                    self.live_name,
                    rebuild.schema,
                    self.projection.version,
                    rebuild.key,
                    self.key,
                    self.epoch,
                )
                self.position = await bookkeeping.load_checkpoint(conn, self.key)
                self.parked_streams = await bookkeeping.parked_streams(conn, self.key)
                self.parked = await bookkeeping.parked_count(conn, self.key)
            # One assignment, no await between: every read from here on goes to the new tables.
            self.schema = self.read_schema = rebuild.schema
            self.live, self._reseek = True, True
            await self.moved_to(self.position)
        log.info("projection_rebuild_adopted", projector=self.key, schema=self.schema, replaced=previous)
        return None if previous is None else previous[0]

    async def moved_to(self, position: Position) -> None:
        async with self._moved:
            self.position = position
            self._moved.notify_all()

    async def carry_out(
        self, action: str, stream: str | None, by: str, ask: int | None = None
    ) -> parking.Outcome | None:
        """Retry or release parked messages (of ``stream``, or all) between two batches, in one
        transaction under this owner's epoch; with ``ask``, the operator's queued ask is marked
        done in it (None when it was withdrawn meanwhile). The parked streams change here only
        once that has committed."""
        async with self._turn:
            try:
                async with self.runtime.pool.acquire() as conn, conn.transaction():
                    if not self.runtime.scratch:
                        await bookkeeping.fence(conn, self.key, self.epoch)
                    if ask is not None and not await asks.take_ask(conn, ask):
                        return None
                    outcome = await parking.carry_out(
                        conn, action, self.projection, self.schema, self.key, stream, by, self._read_back
                    )
                    if ask is not None:
                        await asks.finish_ask(conn, ask, orjson.dumps(outcome.as_json()).decode())
                    streams = await bookkeeping.parked_streams(conn, self.key)
                    count = await bookkeeping.parked_count(conn, self.key)
            except BaseException:
                self.reload = True  # the commit may have happened: the database will say
                raise
            self.parked_streams, self.parked = streams, count
            self.publish()
            self.runtime.poke()
        return outcome

    async def _read_back(self, seqs: list[parking.Seq]) -> dict[parking.Seq, Record]:
        return await parking.read_back(self.runtime.log, seqs)

    async def _swap_in(self) -> None:
        async with self.runtime.pool.acquire() as conn, conn.transaction():
            await bookkeeping.fence(conn, self.key, self.epoch)
            previous = await bookkeeping.live_schema(conn, self.live_name)
            await bookkeeping.set_live(conn, self.live_name, self.schema, self.projection.version)
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
            state=self.health.state if self.owned else "standby",
            caught_up_at_start=self.caught_up_at_start,
        )
