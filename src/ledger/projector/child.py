"""A worker process's side of a rebuild: ``python -m ledger.projector.child``.

The parent (``worker.run``) writes a ``Job`` on this process's stdin; it builds that
projection's scratch tables up to the job's bound (or to where the log ended when it
started) and writes a ``Built`` on its stdout. It stops, finishing the batch in hand, on
SIGTERM or SIGINT, and by itself when the parent dies: the parent holds this process's
stdin open to the end, so its EOF says so. Nothing imports this module but ``-m``, so the
classes it unpickles are the ones of ``worker``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import signal
import sys

import structlog

from ledger.log import EventLog, Position
from ledger.projector.worker import Built, Job

log = structlog.get_logger("ledger.projector")

_STDIN = 0


class Stopped(Exception):
    """Told to stop before the rebuild reached its bound."""


async def build(job: Job, stop: asyncio.Event) -> Built:
    """The child's work: the scratch tables of one projection, to the bound or the log's end."""
    import projections
    from ledger import bootstrap
    from ledger.projector.runtime import ProjectorRuntime

    settings = job.settings
    [projection] = [p for p in projections.ALL if p.name == job.projection]
    pools = bootstrap.plan("rebuild", settings)
    async with contextlib.AsyncExitStack() as stack:
        event_log: EventLog
        if job.source is not None:
            prefix = job.source.prefix
            event_log = await stack.enter_async_context(
                bootstrap.scratch_log(settings, job.dsn, prefix, job.source.partitions)
            )
        else:
            prefix = settings.topic_prefix
            event_log = await stack.enter_async_context(bootstrap.event_log(settings, job.dsn, pools))
        pool = await stack.enter_async_context(bootstrap.main_pool(job.dsn, settings, pools))
        runtime = ProjectorRuntime(
            event_log, pool, [projection], prefix, scratch=job.scratch, batch_size=settings.projector_batch
        )
        target = (
            await event_log.end_position()
            if job.until is None
            else Position.from_token(job.until, limit=None)
        )
        if job.until is not None:
            runtime.hold_at(projection.name, target)
        await runtime.start()
        log.info("rebuild_worker_started", projection=projection.name, scratch=job.scratch, pid=os.getpid())
        reached = False
        while not reached and not stop.is_set():
            reached = await runtime.wait_for(projection.name, target, 0.5)
        await runtime.stop()
        if not reached:
            raise Stopped(f"stopped before {projection.name} reached its bound")
        [stats] = runtime.stats()
        return Built(projection.name, stats.events, stats.parked, stats.position, os.getpid())
    raise AssertionError("unreachable")  # pragma: no cover - the block above always returns or raises


async def _main(job: Job) -> Built:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def parent_gone() -> None:
        if not os.read(_STDIN, 4096):  # EOF: the parent closed our stdin, or died
            loop.remove_reader(_STDIN)
            stop.set()

    loop.add_reader(_STDIN, parent_gone)
    return await build(job, stop)


def _read_exactly(size: int) -> bytes:
    """From stdin, unbuffered: whatever follows stays in the pipe, where EOF is seen."""
    chunks: list[bytes] = []
    while size:
        chunk = os.read(_STDIN, size)
        if not chunk:
            raise EOFError("the parent closed stdin before the whole job was read")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def main() -> int:
    from ledger.logging import configure_logging

    job = pickle.loads(_read_exactly(int.from_bytes(_read_exactly(8), "big")))
    assert isinstance(job, Job)
    configure_logging(job.log_level)
    try:
        built = asyncio.run(_main(job))
    except Stopped as e:
        log.warning("rebuild_worker_stopped", projection=job.projection, reason=str(e))
        return 3
    sys.stdout.buffer.write(pickle.dumps(built))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
