"""Projectors on their own, without HTTP or the writer: ``ledger project``.

A read-side process that follows the log until SIGTERM and then finishes the batch in hand.
It shares nothing with the serving process but the log and the database, so it can run
elsewhere, and it can be killed at any moment without losing or doubling a row.
"""

from __future__ import annotations

import asyncio
import signal

import asyncpg
import structlog

import projections
from ledger.config import Settings
from ledger.database import database_url
from ledger.log.factory import build_log
from ledger.projector.runtime import ProjectorRuntime

log = structlog.get_logger("ledger.project")


async def run_projectors(settings: Settings, *, scratch: str = "") -> None:
    dsn = database_url(settings)
    event_log = build_log(settings, dsn)
    await event_log.start()
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=8)
    runtime = ProjectorRuntime(
        event_log,
        pool,
        projections.ALL,
        settings.topic_prefix,
        scratch=scratch,
        batch_size=settings.projector_batch,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await runtime.start()
        log.info("projectors_running", projections=[p.name for p in projections.ALL], scratch=scratch)
        await stop.wait()
    finally:
        await runtime.stop()
        await pool.close()
        await event_log.close()
        log.info("projectors_stopped")
