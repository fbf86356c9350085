"""A runtime's chores, once a second (or at once when poked).

- Where the log ends, for the lag every projector shows.
- Its locks: when the database dropped their session, every projection it owned is let go
  (its projector stops before its next batch and stands by to take it anew).
- Operators' asks of the projections it owns: retries and releases of parked messages
  (``asks``), and online rebuilds (``online``), with the replaced tables dropped once their
  grace period is over.
- Its status rows (``status``), which other processes read.

The watcher is supervised as the projectors are: a transient failure is retried, any other
restarts it, both with backoff, logged and counted (as ``end-watcher``). A scratch runtime
only refreshes the end of the log.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import orjson
import structlog

from ledger.projector import asks, online, status
from ledger.projector.bookkeeping import Fenced
from ledger.projector.supervision import Health, pause, transient

if TYPE_CHECKING:
    from ledger.projector.runtime import ProjectorRuntime

log = structlog.get_logger("ledger.projector")

INTERVAL = 1.0


class EndWatcher:
    def __init__(self, runtime: ProjectorRuntime) -> None:
        self.runtime = runtime
        self.health = Health("end-watcher", runtime.metrics.restarts, runtime.metrics.retries)

    async def run(self) -> None:
        runtime, health = self.runtime, self.health
        # ``stop`` cancels this task too, but a cancel can be lost inside asyncio.wait_for (3.11)
        while not runtime.stopping:
            try:
                await runtime.refresh_end()
                if not runtime.scratch:
                    await self._keep_locks()
                    await self._answer_asks()
                    await online.look_after(runtime)
                    await self.publish()
            except Exception as e:
                await pause(health.failed(e, restart=not transient(e)), runtime.stopped)
                continue
            if health.failures:
                health.recovered()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(runtime.poked.wait(), INTERVAL)

    async def _keep_locks(self) -> None:
        lost = await self.runtime.locks.keep()
        for projector in self.runtime.projectors():
            if projector.live_name in lost and projector.owned:
                projector.lost = True

    async def publish(self) -> None:
        """Write this process's status rows now."""
        runtime = self.runtime
        runtime.poked.clear()
        owned = [p for p in runtime.projectors() if p.owned]
        process = status.Process(
            id=runtime.id,
            prefix=runtime.prefix,
            owner=runtime.owner,
            owns=[p.projection.name for p in owned],
            waits=[p.projection.name for p in runtime.projectors() if not p.owned],
            watcher=self.health.view(),
            started_at=runtime.started_at,
        )
        async with runtime.pool.acquire() as conn:
            await status.publish(conn, process, [(p.key, p.live_name, p.stats()) for p in owned])

    async def withdraw(self) -> None:
        """The runtime stops: its rows say so (best effort: the database may be gone)."""
        runtime = self.runtime
        try:
            async with runtime.pool.acquire() as conn:
                await status.withdraw(conn, runtime.id, [p.key for p in runtime.projectors()])
        except Exception as e:
            log.warning("projector_status_withdraw_failed", error=repr(e))

    async def _answer_asks(self) -> None:
        """Carry out the retries and releases asked from other processes of the projections
        this process owns (the owner alone writes their tables)."""
        runtime = self.runtime
        projectors = {key: p for key, p in runtime.by_key().items() if p.owned and p.prepared}
        if not projectors:
            return
        async with runtime.pool.acquire() as conn:
            pending = await asks.pending_asks(conn, list(projectors))
        for ask in pending:
            projector = projectors[ask.projector]
            try:
                await projector.carry_out(ask.action, ask.stream, ask.by, ask.id)
            except Fenced:
                projector.lost = True  # another process owns it now, and takes the ask
                continue
            except Exception as e:
                if transient(e):
                    raise
                log.error("parked_action_failed", projector=ask.projector, ask=ask.id, exc_info=e)
                async with runtime.pool.acquire() as conn:
                    await asks.finish_ask(conn, ask.id, orjson.dumps({"error": repr(e)}).decode())
