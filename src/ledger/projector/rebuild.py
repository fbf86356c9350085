"""Rebuilding read models beside the live ones, for ``ledger replay`` and the online rebuild.

A rebuild projects into scratch tables: its own schemas and checkpoints, tagged so that they
never meet the live ones. ``build_all`` builds several projections at once, each in a worker
process of its own (``worker``), as many at a time as there are cores, and shows their
progress from their checkpoints. The rebuilt tables are then compared with the live ones,
handed over to a running projector (``ProjectorRuntime.adopt``), or swapped in here when no
projector runs (``swap_in``). Whatever is not handed over is dropped afterwards
(``discard``, ``forget_scratch``): schemas, checkpoints and parked rows alike.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import asyncpg

from ledger.log import Position
from ledger.progress import Meter
from ledger.projector import bookkeeping
from ledger.projector.runtime import ProjectorRuntime
from ledger.projector.scratch import drop_schemas, events_in
from ledger.projector.stats import projector_key
from ledger.projector.worker import Built, ScratchLog, Workers
from ledger.store import Projection, schema_name


async def discard(pool: asyncpg.Pool, rebuild: ProjectorRuntime, names: Iterable[str]) -> None:
    """Stop a scratch rebuild and drop its schemas, checkpoints and parked rows."""
    await rebuild.stop()
    async with pool.acquire() as conn:
        for name in names:
            await drop_schemas(conn, [rebuild.schema(name)])
            await bookkeeping.forget(conn, rebuild.key(name))


async def forget_scratch(pool: asyncpg.Pool, prefix: str, chosen: Iterable[Projection], tag: str) -> None:
    """Drop the scratch tables, checkpoints and parked rows of tag ``tag`` (built by workers)."""
    async with pool.acquire() as conn:
        for p in chosen:
            await drop_schemas(conn, [schema_name(prefix, p.name, p.version, scratch=tag)])
            await bookkeeping.forget(conn, projector_key(prefix, p.name, p.version, tag))


async def follow(
    rebuild: ProjectorRuntime, meter: Meter, what: str, total: int, done: Callable[[], bool] | None = None
) -> None:
    """Show how far ``rebuild`` has got until it has caught up with the log (or ``done()``)."""
    meter.start(what, total)
    try:
        while True:
            await rebuild.refresh_end()
            meter.update(min(sum(s.events for s in rebuild.stats()), total))
            if done() if done is not None else rebuild.caught_up():
                return
            await asyncio.sleep(0.2)
    finally:
        meter.stop()


async def build_all(
    workers: Workers,
    pool: asyncpg.Pool,
    prefix: str,
    chosen: Sequence[Projection],
    tag: str,
    meter: Meter,
    what: str,
    *,
    ends: Mapping[str, Position],
    hold: bool = False,
    source: ScratchLog | None = None,
) -> dict[str, Built]:
    """Build each projection's scratch tables ``tag`` in a worker process, at most one per core
    at a time, up to ``ends[name]`` (held exactly there with ``hold``, else to the log's end as
    the worker finds it). Cancelling this stops every worker."""
    slots = asyncio.Semaphore(max(1, min(len(chosen), os.cpu_count() or 1)))

    async def one(projection: Projection) -> Built:
        async with slots:
            until = ends[projection.name] if hold else None
            return await workers.build(projection.name, tag, until=until, source=source)

    total = sum(events_in(ends[p.name], prefix, p) for p in chosen)
    meter.start(what, total)
    tasks = [asyncio.create_task(one(p), name=f"build-{p.name}") for p in chosen]
    try:
        while not all(task.done() for task in tasks):
            await asyncio.wait(tasks, timeout=0.5)
            meter.update(min(await _done(pool, prefix, chosen, tag), total))
        return {built.projection: built for built in [task.result() for task in tasks]}
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        meter.stop()


async def _done(pool: asyncpg.Pool, prefix: str, chosen: Sequence[Projection], tag: str) -> int:
    """How much of the log the workers have projected so far, from their checkpoints."""
    done = 0
    async with pool.acquire() as conn:
        for p in chosen:
            position = await bookkeeping.load_checkpoint(conn, projector_key(prefix, p.name, p.version, tag))
            done += events_in(position, prefix, p)
    return done


@dataclass(frozen=True)
class Scratch:
    """One projection's rebuilt tables, ready to be swapped in."""

    projection: Projection
    schema: str
    key: str
    events: int
    parked: int


@dataclass(frozen=True)
class Swapped:
    projection: str
    schema: str
    replaced: str | None
    events: int
    parked: int


async def swap_in(pool: asyncpg.Pool, prefix: str, built: Sequence[Scratch]) -> list[Swapped]:
    """Make rebuilt tables the live ones of ``prefix``, all projections in one transaction, and
    drop the tables they replace. Only while no runtime follows them."""
    swapped: list[Swapped] = []
    async with pool.acquire() as conn, conn.transaction():
        for scratch in built:
            name, version = scratch.projection.name, scratch.projection.version
            previous = await bookkeeping.hand_over(
                conn,
                f"{prefix}:{name}",
                scratch.schema,
                version,
                scratch.key,
                projector_key(prefix, name, version),
            )
            stale = {schema_name(prefix, name, version)}
            if previous is not None:
                stale.add(previous[0])
                if previous[1] != version:
                    await bookkeeping.forget(conn, projector_key(prefix, name, previous[1]))
            await drop_schemas(conn, sorted(stale - {scratch.schema}))
            replaced = None if previous is None else previous[0]
            swapped.append(Swapped(name, scratch.schema, replaced, scratch.events, scratch.parked))
    return swapped
