"""The projector role: ``ledger project [--projection NAME ...]``.

A process that follows the log into the read models it owns, without HTTP or the writer,
until SIGTERM, and then finishes the batch in hand. Each projection is owned by one process
at a time: a process started for projections another one owns stands by and takes them
over when that one dies, so several processes spread the projections over cores and
machines and stand in for each other. The owner publishes its status rows, announces its
checkpoints to readers, and carries out what operators ask of its projections (parked
messages, online rebuilds, the latter in a child process). It shares nothing with other
processes but the log and the database, and can be killed at any moment without losing or
doubling a row.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence

import asyncpg
import structlog

import projections
from ledger.config import Settings
from ledger.database import database_url
from ledger.log import EventLog
from ledger.log.factory import build_log
from ledger.metrics import Metrics
from ledger.projector.runtime import ProjectorRuntime
from ledger.projector.worker import Workers
from ledger.store import Projection

log = structlog.get_logger("ledger.project")


class UnknownProjection(ValueError):
    """A name that is not one of this ledger's read models."""


def chosen(names: Sequence[str] | None) -> list[Projection]:
    """The read models named (all of them when none is)."""
    if not names:
        return list(projections.ALL)
    known = {p.name: p for p in projections.ALL}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownProjection(f"unknown projection {unknown[0]!r}: one of {', '.join(known)}")
    return [known[n] for n in dict.fromkeys(names)]


def projector_runtime(
    settings: Settings,
    event_log: EventLog,
    pool: asyncpg.Pool,
    dsn: str,
    chosen: Sequence[Projection],
    *,
    metrics: Metrics | None = None,
) -> ProjectorRuntime:
    """The runtime of the projector role (and of the combined app): owning, announcing,
    publishing its status, rebuilding online in child processes."""
    return ProjectorRuntime(
        event_log,
        pool,
        chosen,
        settings.topic_prefix,
        metrics=metrics,
        batch_size=settings.projector_batch,
        workers=Workers(settings, dsn),
    )


async def run_projectors(settings: Settings, names: Sequence[str] | None = None) -> None:
    """Run the projector role until SIGTERM or SIGINT."""
    wanted = chosen(names)
    dsn = database_url(settings)
    event_log = build_log(settings, dsn)
    await event_log.start()
    pool = await asyncpg.create_pool(
        dsn,
        min_size=2,
        max_size=8,
        server_settings={"application_name": f"ledger-project/{settings.topic_prefix}"},
    )
    runtime = projector_runtime(settings, event_log, pool, dsn, wanted)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await runtime.start()
        log.info(
            "projectors_running",
            projections=[p.name for p in wanted],
            owns=[p.name for p in wanted if runtime.owns(p.name)],
            owner=runtime.owner,
        )
        await stop.wait()
    finally:
        await runtime.stop()
        await pool.close()
        await event_log.close()
        log.info("projectors_stopped")
