"""The online rebuild, carried out by the process that owns the projection.

A request (``rebuild_requests``) is picked up by the owner's watcher. The bulk of the work,
projecting the whole log into scratch tables, runs in a child process (``worker``) held at
the live tables' checkpoint, so it uses another core and the live projector goes on at full
speed; a second round follows if much was written meanwhile. The little left is caught up
here by a scratch runtime that resumes from the child's checkpoint; then the live projector
pauses between two batches, the scratch reaches its position exactly (``hold_at``), and the
rebuilt tables, checkpoint and parked messages become the live ones in one transaction
(``bookkeeping.hand_over``), which readers in every process hear of on commit. The replaced
tables are dropped once the request's grace period is over, by whichever process owns the
projection then.

The request row says how far it is. Should the owner stop, or lose the projection, its
rebuild is abandoned and the scratch dropped; a request its owner died in the middle of is
settled by the next owner: swapped if the hand-over committed, else failed.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog

from ledger.log import Position
from ledger.projector import bookkeeping, rebuild_requests
from ledger.projector.rebuild_requests import Request
from ledger.projector.scratch import drop_schemas, events_in
from ledger.projector.stats import projector_key

if TYPE_CHECKING:
    from ledger.projector.follower import Projector
    from ledger.projector.runtime import ProjectorRuntime

log = structlog.get_logger("ledger.projector")

ROUNDS = 3
"""At most this many child rounds: each starts from where the last stopped, held at the live checkpoint."""
CLOSE_ENOUGH = 10
"""Batches left behind the live tables that the owner catches up itself rather than in a child."""
PROGRESS_EVERY = 1.0


async def look_after(runtime: ProjectorRuntime) -> None:
    """Start the rebuilds asked of the projections this process owns; settle those a dead
    owner left; drop replaced tables whose grace period is over."""
    owned = {p.live_name: p for p in runtime.projectors() if p.owned and p.prepared}
    if not owned:
        return
    async with runtime.pool.acquire() as conn:
        requests = await rebuild_requests.pending(conn, list(owned))
        drops = await rebuild_requests.due_drops(conn, list(owned))
    for request_id, schema in drops:
        await _drop_replaced(runtime, owned, request_id, schema)
    for request in requests:
        projector = owned[request.projection]
        name = projector.projection.name
        task = runtime.rebuilds.get(name)
        if task is not None and not task.done():
            continue
        if request.state != "requested":
            await _settle(runtime, request)
        elif request.version != projector.projection.version or not projector.live:
            reason = f"this owner runs version {projector.projection.version}"
            if not projector.live:
                reason = f"a new version of {name} is building; it swaps in by itself"
            await _failed(runtime, request, reason)
        else:
            runtime.rebuilds[name] = asyncio.create_task(
                _rebuild(runtime, projector, request), name=f"rebuild-{name}"
            )


async def _drop_replaced(
    runtime: ProjectorRuntime, owned: dict[str, Projector], request_id: int, schema: str
) -> None:
    async with runtime.pool.acquire() as conn:
        live = {p.read_schema for p in owned.values()} | {p.schema for p in owned.values()}
        if schema not in live:  # never the tables in use (a later rebuild may have made them live again)
            await drop_schemas(conn, [schema])
        await rebuild_requests.update(conn, request_id, dropped=True)
    log.info("rebuild_replaced_dropped", schema=schema)


async def _settle(runtime: ProjectorRuntime, request: Request) -> None:
    """A request left in the middle by an owner that is gone (or let the projection go)."""
    async with runtime.pool.acquire() as conn:
        live = await bookkeeping.live_schema(conn, request.projection)
    if live is not None and live[0] == request.schema:
        async with runtime.pool.acquire() as conn:
            await rebuild_requests.swapped(conn, request.id, request.replaced)
        log.info("rebuild_settled_swapped", projection=request.projection, schema=request.schema)
        return
    await _discard(runtime, request)
    await _failed(runtime, request, "its owner stopped before it finished")


async def _failed(runtime: ProjectorRuntime, request: Request, error: str) -> None:
    async with runtime.pool.acquire() as conn:
        await rebuild_requests.update(conn, request.id, state="failed", error=error, finished_at=_now())
    log.warning("rebuild_failed", projection=request.projection, error=error)


def _now() -> datetime:
    return datetime.now(UTC)


async def _discard(runtime: ProjectorRuntime, request: Request) -> None:
    """Drop the scratch tables, checkpoint and parked rows, unless they became the live ones."""
    name = request.projection.rsplit(":", 1)[1]
    async with runtime.pool.acquire() as conn:
        live = await bookkeeping.live_schema(conn, request.projection)
        if live is None or live[0] != request.schema:
            await drop_schemas(conn, [request.schema])
            await bookkeeping.forget(
                conn, projector_key(runtime.prefix, name, request.version, request.scratch)
            )


async def _rebuild(runtime: ProjectorRuntime, projector: Projector, request: Request) -> None:
    name = projector.projection.name
    reporting = asyncio.create_task(_report(runtime, projector, request))
    try:
        async with runtime.pool.acquire() as conn:
            await rebuild_requests.update(
                conn, request.id, state="building", started_at=_now(), owner=runtime.owner
            )
        log.info("rebuild_started", projection=name, schema=request.schema, owner=runtime.owner)
        await _bulk(runtime, projector, request)
        replaced = await _tail_and_hand_over(runtime, projector, request)
        async with runtime.pool.acquire() as conn:
            await rebuild_requests.swapped(conn, request.id, replaced if replaced != request.schema else None)
        log.info("rebuild_swapped_in", projection=name, schema=request.schema, replaced=replaced)
    except BaseException as e:
        with contextlib.suppress(Exception):
            await _discard(runtime, request)
            why = "abandoned: its owner stopped or let the projection go" if _cancel(e) else repr(e)
            await _failed(runtime, request, why)
        if not isinstance(e, Exception):
            raise
    finally:
        reporting.cancel()
        await asyncio.gather(reporting, return_exceptions=True)


def _cancel(error: BaseException) -> bool:
    return isinstance(error, asyncio.CancelledError)


async def _bulk(runtime: ProjectorRuntime, projector: Projector, request: Request) -> None:
    """Most of the log, in child processes held at the live checkpoint (or here, without workers)."""
    workers = runtime.workers
    if workers is None:
        return  # the scratch runtime below does it all in this process
    name = projector.projection.name
    for _ in range(ROUNDS):
        bound = projector.position
        await workers.build(name, request.scratch, until=bound)
        written_meanwhile = bound.lag_behind(projector.position)
        if written_meanwhile <= CLOSE_ENOUGH * runtime.batch_size:
            return


async def _tail_and_hand_over(
    runtime: ProjectorRuntime, projector: Projector, request: Request
) -> str | None:
    from ledger.projector.runtime import ProjectorRuntime  # the runtime's module imports this one

    name = projector.projection.name
    scratch = ProjectorRuntime(
        runtime.log,
        runtime.pool,
        [projector.projection],
        runtime.prefix,
        scratch=request.scratch,
        batch_size=runtime.batch_size,
    )
    try:
        await scratch.start()
        end = await runtime.log.end_position()
        while not await scratch.wait_for(name, end, timeout=1.0):
            continue  # the hand-over catches up the rest, with the live projector paused
        await _progress(runtime, projector, request, state="swapping", replaced=projector.read_schema)
        return await runtime.adopt(name, scratch)
    finally:
        await scratch.stop()


async def _report(runtime: ProjectorRuntime, projector: Projector, request: Request) -> None:
    """Write how far the scratch tables are into the request, every second."""
    while True:
        await asyncio.sleep(PROGRESS_EVERY)
        with contextlib.suppress(Exception):  # progress is only shown; the rebuild goes on regardless
            await _progress(runtime, projector, request)


async def _progress(
    runtime: ProjectorRuntime, projector: Projector, request: Request, **more: object
) -> None:
    key = projector_key(runtime.prefix, projector.projection.name, request.version, request.scratch)
    async with runtime.pool.acquire() as conn:
        position = await bookkeeping.load_checkpoint(conn, key)
        parked = await bookkeeping.parked_count(conn, key)
        await rebuild_requests.update(
            conn,
            request.id,
            events=events_in(position, runtime.prefix, projector.projection),
            lag=_lag(position, projector),
            parked=parked,
            **more,
        )


def _lag(position: Position, projector: Projector) -> int:
    return position.lag_behind(projector.end)
