"""A runtime's chores, once a second: where the log ends, its follow locks, operators' asks.

The lag every projector shows comes from here; so does the check that the runtime still
holds its follow locks (the database may have dropped their connection), and the retries
and releases of parked messages that ``ledger parked`` asked from another process. The
watcher is supervised as the projectors are: a transient failure is retried, any other
restarts it, both with backoff, logged and counted (as ``end-watcher``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import orjson
import structlog

from ledger.projector import bookkeeping
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
                    await runtime.locks.keep()
                    await self._answer_asks()
            except Exception as e:
                await pause(health.failed(e, restart=not transient(e)), runtime.stopped)
                continue
            if health.failures:
                health.recovered()
            await asyncio.sleep(INTERVAL)

    async def _answer_asks(self) -> None:
        """Carry out the retries and releases asked from other processes, but only while this
        process alone follows the projection: another follower would not know of them."""
        runtime = self.runtime
        projectors = runtime.by_key()
        async with runtime.pool.acquire() as conn:
            asks = await bookkeeping.pending_asks(conn, list(projectors))
        for ask in asks:
            projector = projectors[ask.projector]
            if not await runtime.locks.claim(projector.live_name):
                continue  # the asker withdraws it in time and says why
            try:
                await projector.carry_out(ask.action, ask.stream, ask.by, ask.id)
            except Exception as e:
                if transient(e):
                    raise
                log.error("parked_action_failed", projector=ask.projector, ask=ask.id, exc_info=e)
                async with runtime.pool.acquire() as conn:
                    await bookkeeping.finish_ask(conn, ask.id, orjson.dumps({"error": repr(e)}).decode())
            finally:
                await runtime.locks.unclaim(projector.live_name)
