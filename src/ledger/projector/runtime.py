"""Projectors: each follows the log from its checkpoint into its read model.

A runtime runs a set of projections in this process, one ``Projector`` task each (see
``follower`` for ownership and the follow loop, ``applying`` for a batch), plus a watcher
for its chores (``watcher``). Several runtimes, in as many processes and machines, may run
the same projections: each projection is owned by one of them at a time and the others
stand by, taking it over when its owner dies (``locks``).

Read-your-writes across processes: every checkpoint a live projector commits is announced
to readers (``ledger.readmodels``) in its own transaction. ``wait_for`` here serves this
process (a scratch rebuild, tests).

A rebuild of the same version (``ledger replay``, ``POST /v1/projections/{name}/rebuild``)
builds in a scratch runtime (``scratch`` names it: own schemas, own checkpoints, no locks,
nothing announced) and is handed over with ``adopt``.

No projector dies silently (``supervision``): a transient database or log error is retried
with backoff from the checkpoint, and any other failure outside ``apply`` restarts the
projector with backoff, logged with its traceback, counted and shown in its stats.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import structlog

from ledger.log import EventLog, Position
from ledger.metrics import Metrics
from ledger.projector import bookkeeping, parking
from ledger.projector.decoding import DecodeCache
from ledger.projector.follower import Projector
from ledger.projector.locks import Locks
from ledger.projector.stats import ProjectorStats, projector_key
from ledger.projector.watcher import EndWatcher
from ledger.projector.worker import Workers
from ledger.store import Projection
from ledger.tracing.spans import NO_SPANS, Spans

__all__ = ["ProjectorRuntime", "ProjectorStats", "projector_key"]

log = structlog.get_logger("ledger.projector")


class ProjectorRuntime:
    """Runs a set of projections concurrently in this process, each while it owns it."""

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
        workers: Workers | None = None,
        spans: Spans = NO_SPANS,
    ) -> None:
        """``scratch`` names a throw-away rebuild beside the live tables (own schemas, own
        checkpoints). ``workers`` lets an online rebuild build in a child process (without,
        it builds in this one). ``spans``: a span per batch (none while tracing is off)."""
        self.log = log
        self.scratch = scratch
        self.pool = pool
        self.prefix = prefix
        self.workers = workers
        self.metrics = metrics or Metrics()
        self.batch_size = batch_size
        self.spans = spans
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.id = f"{self.owner}:{secrets.token_hex(4)}"
        self.started_at = datetime.now(UTC)
        shared = len(projections) > 1
        self.decoded = DecodeCache(batch_size * len(projections), batch_size * 40 if shared else 0)
        self.stopping = False
        self.stopped = asyncio.Event()  # wakes whoever waits out a backoff when the runtime stops
        self.poked = asyncio.Event()  # something worth publishing at once happened
        self.watcher = EndWatcher(self)
        self.locks = Locks(pool)
        self.rebuilds: dict[str, asyncio.Task[None]] = {}  # online rebuilds this owner carries out
        self._projectors = {p.name: Projector(self, p) for p in projections}
        for projector in self._projectors.values():
            for topic in projector.topics:
                self.decoded.readers.setdefault(topic, []).append(projector)
        self._tasks: list[asyncio.Task[None]] = []
        self._died: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Own what can be owned now and prepare it; the rest stands by in its task."""
        async with self.pool.acquire() as conn:
            await bookkeeping.setup(conn)
        # Where the log ends, before any task runs: the lag is right from the first status, and
        # the log's end reader is open before a task that might be cancelled opens it.
        await self.refresh_end()
        if not self.scratch:
            await self.locks.open()
            for projector in self._projectors.values():
                await projector.take_ownership(once=True)
        owned = [p for p in self._projectors.values() if p.owned]
        if owned:
            async with self.pool.acquire() as conn:
                for projector in owned:
                    await projector.first_prepare(conn)
        self._tasks = [
            asyncio.create_task(p.run(), name=f"projector-{name}") for name, p in self._projectors.items()
        ]
        self._tasks.append(asyncio.create_task(self.watcher.run(), name="projector-lag"))
        for task in self._tasks:
            task.add_done_callback(self._ended)
        if not self.scratch:
            await self.watcher.publish()

    async def stop(self) -> None:
        """Let each projector finish the batch in hand, then stop; say what any task died of."""
        self.stopping = True
        self.stopped.set()
        for name in list(self.rebuilds):
            self.ownership_lost(name)
        await asyncio.gather(*self.rebuilds.values(), return_exceptions=True)
        for task in self._tasks[-1:]:
            task.cancel()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        for task, result in zip(self._tasks, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                self._report_death(task, result)
        if not self.scratch:
            await self.watcher.withdraw()
        await self.locks.close()

    def poke(self) -> None:
        """Have the watcher publish the status now rather than within the second."""
        self.poked.set()

    def ownership_lost(self, name: str) -> None:
        """``name`` is no longer ours: an online rebuild of it stops (and its scratch goes)."""
        task = self.rebuilds.get(name)
        if task is not None and not task.done():
            task.cancel()

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

    def projector(self, name: str) -> Projector:
        return self._projectors[name]

    def projectors(self) -> list[Projector]:
        return list(self._projectors.values())

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

    def owns(self, name: str) -> bool:
        return self._projectors[name].owned

    def hold_at(self, name: str, until: Position) -> None:
        """Apply nothing at or past ``until``: a scratch rebuild stops where compared tables stand."""
        self._projectors[name].hold_at(until)

    async def adopt(self, name: str, rebuild: ProjectorRuntime, *, timeout: float = 60.0) -> str | None:
        """Hand a scratch rebuild of ``name`` over as its live tables; answers the replaced schema.

        The live projector pauses between batches while readers go on reading the old tables;
        the rebuild catches up to where the projector stands (held there) and stops; the
        rebuilt tables, checkpoint and parked messages become the live ones in one transaction
        (the live row names the rebuilt schema, and readers hear of it on commit); then the
        projector goes on there. The replaced schema is left for the caller to drop once
        readers are done with it.
        """
        return await self._projectors[name].take_over(rebuild._projectors[name], timeout)

    async def wait_for(self, name: str, target: Position, timeout: float) -> bool:
        return await self._projectors[name].wait_for(target, timeout)

    async def carry_out(self, name: str, action: str, stream: str | None, by: str) -> parking.Outcome:
        """Retry or release ``name``'s parked messages (of ``stream``, or all) between two of its
        batches. Only the owner may: the caller makes sure this runtime owns ``name``."""
        outcome = await self._projectors[name].carry_out(action, stream, by)
        assert outcome is not None  # only a queued ask can be withdrawn
        return outcome

    def stats(self) -> list[ProjectorStats]:
        return [p.stats() for p in self._projectors.values()]

    def by_key(self) -> dict[str, Projector]:
        return {p.key: p for p in self._projectors.values()}

    def caught_up(self) -> bool:
        return all(p.end and p.position.covers(p.mine(p.end)) for p in self._projectors.values())

    async def refresh_end(self) -> None:
        end = await self.log.end_position()
        for projector in self._projectors.values():
            projector.end = projector.mine(end)
            projector.publish()
