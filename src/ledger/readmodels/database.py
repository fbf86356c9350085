"""``DatabaseReadModels``: the read models as PostgreSQL says they are, kept in memory.

Two things a read needs are cached here, so that reading costs no query but its own:

- the live schema of each projection (``ledger_projections.live``), read again when a
  projector announces a change of its live row (``NOTIFY ledger_live``, sent in the
  transaction that makes it), and when a read finds its tables gone;
- each projection's position: the checkpoint of its live version, advanced by the
  ``ledger_checkpoint`` notification its owner sends in the transaction of every batch.

A notification is heard only once its transaction has committed, so a cached position is
never ahead of what a read of the live tables sees (``X-Ledger-Position`` can be trusted).
Notifications are handled one at a time, in the order they came, so a read of the database
in between (a live row changed, a position too long for a payload) never lets an older
position overwrite a newer one. ``wait_for`` waits on futures woken as positions advance:
however many readers wait for ``min_position``, they cost no query at all.

Status rows (``ledger_projections.status``) are read on demand, for ``GET /v1/projections``
and ``/readyz``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import structlog

from ledger.log import Position, TopicPartition
from ledger.projector import bookkeeping, status
from ledger.projector.bookkeeping import CHECKPOINT_CHANNEL, LIVE_CHANNEL
from ledger.projector.stats import projector_key
from ledger.readmodels.listener import Listener
from ledger.readmodels.port import ProcessStatus, ProjectorStatus, Readiness
from ledger.store import Projection, schema_name

log = structlog.get_logger("ledger.readmodels")

STALE_AFTER = 5.0
"""A status row not written for this many seconds is shown stale: its owner is gone or stuck."""


@dataclass(eq=False)
class _Waiter:
    target: Position
    future: asyncio.Future[None]


class _Reload:
    """Read every live row and position again, in turn with the notifications."""

    def __init__(self) -> None:
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class DatabaseReadModels:
    """``ReadModels`` over PostgreSQL: one LISTEN connection, the pool for the rest."""

    def __init__(
        self,
        dsn: str,
        pool: asyncpg.Pool,
        prefix: str,
        projections: Sequence[Projection],
        *,
        stale_after: float = STALE_AFTER,
        acquire_timeout: float | None = None,
    ) -> None:
        """``pool`` serves the few queries of this object (never the reads themselves)."""
        self._pool, self._prefix, self._stale_after = pool, prefix, stale_after
        self._acquire_timeout = acquire_timeout
        self._projections = {p.name: p for p in projections}
        self._topics = {p.name: frozenset(f"{prefix}.{area}" for area in p.areas) for p in projections}
        self._names = {f"{prefix}:{p.name}": p.name for p in projections}
        self._live: dict[str, tuple[str, int]] = {}
        self._keys: dict[str, str] = {}  # the live projector's key: the projection's name
        self._positions = {p.name: Position.empty() for p in projections}
        self._waiters: dict[str, set[_Waiter]] = {p.name: set() for p in projections}
        self._queue: asyncio.Queue[tuple[str, str] | _Reload] = asyncio.Queue()
        self._pending: _Reload | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._latched = False
        self.listener = Listener(
            dsn,
            [CHECKPOINT_CHANNEL, LIVE_CHANNEL],
            self._heard,
            self.refresh,
            application_name=f"ledger-listen/{prefix}",
        )

    async def start(self) -> None:
        async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
            await bookkeeping.setup(conn)
        self._consumer = asyncio.create_task(self._consume(), name="read-models")
        await self.listener.start()

    async def close(self) -> None:
        await self.listener.close()
        if self._consumer is not None:
            self._consumer.cancel()
            await asyncio.gather(self._consumer, return_exceptions=True)

    def schema(self, name: str) -> str:
        live = self._live.get(name)
        if live is not None:
            return live[0]
        projection = self._projections[name]
        return schema_name(self._prefix, name, projection.version)

    def version(self, name: str) -> int | None:
        live = self._live.get(name)
        return None if live is None else live[1]

    def position(self, name: str) -> Position:
        return self._positions[name]

    def position_of(self, names: Sequence[str]) -> Position:
        # A partition one of them has not reached yet is absent from its position: offset 0.
        offsets: dict[TopicPartition, int] = {}
        for name in names:
            for tp in self._positions[name]:
                readers = [n for n in names if tp.topic in self._topics[n]]
                offsets[tp] = min(self._positions[n].get_offset(tp) for n in readers)
        return Position(offsets)

    async def wait_for(self, name: str, target: Position, timeout: float) -> bool:
        topics = self._topics[name]
        mine = Position({tp: o for tp, o in target.items() if tp.topic in topics})
        if self._positions[name].covers(mine):
            return True
        waiter = _Waiter(mine, asyncio.get_running_loop().create_future())
        self._waiters[name].add(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter.future
        except TimeoutError:
            return False
        finally:
            self._waiters[name].discard(waiter)
        return True

    async def refresh(self) -> None:
        """Read live rows and positions again, after whatever was heard before; one read for
        however many ask at once."""
        pending = self._pending
        if pending is None:
            pending = self._pending = _Reload()
            self._queue.put_nowait(pending)
        await asyncio.shield(pending.done)

    def _heard(self, channel: str, payload: str) -> None:
        self._queue.put_nowait((channel, payload))

    async def _consume(self) -> None:
        while True:
            item = await self._queue.get()
            if isinstance(item, _Reload):
                self._pending = None if self._pending is item else self._pending
                try:
                    await self._load_all()
                    item.done.set_result(None)
                except Exception as e:
                    item.done.set_exception(e)
                    item.done.exception()  # retrieved: a waiter may be gone
                continue
            channel, payload = item
            try:
                if channel == CHECKPOINT_CHANNEL:
                    await self._checkpoint(payload)
                elif payload in self._names:
                    await self._load(self._names[payload])
            except Exception as e:
                # Something was missed: read it all again in a moment (in turn, as ever).
                log.warning("read_models_update_failed", channel=channel, error=repr(e))
                asyncio.get_running_loop().call_later(0.5, self._reload_soon)

    def _reload_soon(self) -> None:
        if self._pending is None:
            self._pending = _Reload()
            self._queue.put_nowait(self._pending)

    async def _checkpoint(self, payload: str) -> None:
        key, _, token = payload.partition(" ")
        name = self._keys.get(key)
        if name is None:
            return  # not a live projector of this log
        if token:
            position = Position.from_token(token, limit=None)
        else:  # too long for a payload
            async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
                position = await bookkeeping.load_checkpoint(conn, key)
        # A projector's checkpoint only moves forward, partition by partition.
        self._advance(name, self._positions[name].merge(position))

    async def _load(self, name: str) -> None:
        """One projection's live row and the position of its live version, as they are now."""
        live_name = f"{self._prefix}:{name}"
        async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
            live = await bookkeeping.live_schema(conn, live_name)
            key = None if live is None else f"{live_name}:v{live[1]}"
            position = Position.empty() if key is None else await bookkeeping.load_checkpoint(conn, key)
        self._set(name, live, position)

    async def _load_all(self) -> None:
        rows = await self._fetch_all()
        for name in self._projections:
            live, position = rows.get(name, (None, Position.empty()))
            self._set(name, live, position)

    async def _fetch_all(self) -> dict[str, tuple[tuple[str, int] | None, Position]]:
        async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
            rows = await conn.fetch(
                "SELECT l.projection, l.schema_name, l.version, c.position "
                f"FROM {bookkeeping.SCHEMA}.live l LEFT JOIN {bookkeeping.SCHEMA}.checkpoints c "
                "ON c.projector = l.projection || ':v' || l.version "
                "WHERE l.projection = any($1::text[])",
                list(self._names),
            )
        return {
            self._names[r["projection"]]: (
                (r["schema_name"], r["version"]),
                Position.empty() if r["position"] is None else Position.from_token(r["position"], limit=None),
            )
            for r in rows
        }

    def _set(self, name: str, live: tuple[str, int] | None, position: Position) -> None:
        # Live row, key and position change together, with no await between: a read takes
        # the schema and the position of one moment.
        for key in [k for k, n in self._keys.items() if n == name]:
            del self._keys[key]
        if live is None:
            self._live.pop(name, None)
        else:
            self._live[name] = live
            self._keys[projector_key(self._prefix, name, live[1])] = name
        self._advance(name, position)

    def _advance(self, name: str, position: Position) -> None:
        self._positions[name] = position
        for waiter in self._waiters[name]:
            if not waiter.future.done() and position.covers(waiter.target):
                waiter.future.set_result(None)

    def _keys_of_code(self) -> list[str]:
        return [projector_key(self._prefix, p.name, p.version) for p in self._projections.values()]

    async def stats(self) -> list[ProjectorStatus]:
        """Each projection of this code's version, as its owner last published it."""
        async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
            rows = {
                r["projector"]: r for r in await status.rows(conn, self._keys_of_code(), self._stale_after)
            }
        found: list[ProjectorStatus] = []
        for projection in self._projections.values():
            row = rows.get(projector_key(self._prefix, projection.name, projection.version))
            if row is None:
                found.append(self._unowned(projection))
                continue
            fields = {k: row[k] for k in ProjectorStatus.__dataclass_fields__ if k in row and k != "name"}
            found.append(ProjectorStatus(name=projection.name, **fields))
        return found

    def _unowned(self, projection: Projection) -> ProjectorStatus:
        return ProjectorStatus(
            name=projection.name,
            version=projection.version,
            position=self.position(projection.name).token(),
            lag=None,
            events_per_second=0.0,
            events=0,
            parked=0,
            last_error=None,
            live=self.version(projection.name) == projection.version,
            state="unowned",
        )

    async def processes(self) -> list[ProcessStatus]:
        async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
            rows = await status.processes(conn, self._prefix, self._stale_after)
        return [ProcessStatus(**row) for row in rows]

    async def readiness(self) -> Readiness:
        """Ready once every projection has caught up with the log as it was when its owner
        took it (then latched: a projector's restart later does not take this API away);
        listening, and told so, always."""
        stats = await self.stats()
        behind = [
            s.name for s in stats if not (s.caught_up_at_start and not s.stale and s.state != "stopped")
        ]
        self._latched = self._latched or not behind
        return Readiness(
            ready=self._latched and self.listener.listening,
            caught_up=all(s.lag == 0 and not s.stale for s in stats),
            listening=self.listener.listening,
            waiting_for=[] if self._latched else behind,
            problem=self.listener.problem,
        )
