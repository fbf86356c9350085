"""Rebuilding read models beside the live ones, for ``ledger replay`` and the online rebuild.

A rebuild is a scratch ``ProjectorRuntime``: its own schemas and checkpoints, tagged so that
they never meet the live ones. It is then compared with the live tables, handed over to a
running projector (``ProjectorRuntime.adopt``), or swapped in here when no projector runs
(``swap_in``). Whatever is not handed over is dropped afterwards (``discard``): schemas,
checkpoints and parked rows alike.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import asyncpg

from ledger.log import Position
from ledger.progress import Meter
from ledger.projector import bookkeeping
from ledger.projector.runtime import ProjectorRuntime, projector_key
from ledger.store import Connection, Projection, q, schema_name


def new_tag(kind: str) -> str:
    """A scratch tag nobody else uses: ``kind`` and eight random hex digits."""
    return f"{kind}{secrets.token_hex(4)}"


def events_in(end: Position, prefix: str, projection: Projection) -> int:
    topics = {f"{prefix}.{area}" for area in projection.areas}
    return sum(offset for tp, offset in end.items() if tp.topic in topics)


async def drop_schemas(conn: Connection, schemas: Iterable[str]) -> None:
    for schema in schemas:
        await conn.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")


async def discard(pool: asyncpg.Pool, rebuild: ProjectorRuntime, names: Iterable[str]) -> None:
    """Stop a scratch rebuild and drop its schemas, checkpoints and parked rows."""
    await rebuild.stop()
    async with pool.acquire() as conn:
        for name in names:
            await drop_schemas(conn, [rebuild.schema(name)])
            await bookkeeping.forget(conn, rebuild.key(name))


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


@dataclass(frozen=True)
class Swapped:
    projection: str
    schema: str
    replaced: str | None
    events: int
    parked: int


async def swap_in(
    pool: asyncpg.Pool, rebuild: ProjectorRuntime, prefix: str, chosen: Sequence[Projection]
) -> list[Swapped]:
    """Make a stopped rebuild's tables the live ones of ``prefix``, all projections in one
    transaction, and drop the tables they replace. Only while no runtime follows them."""
    swapped: list[Swapped] = []
    stats = {s.name: s for s in rebuild.stats()}
    async with pool.acquire() as conn, conn.transaction():
        for projection in chosen:
            name, version = projection.name, projection.version
            schema = rebuild.schema(name)
            previous = await bookkeeping.hand_over(
                conn,
                f"{prefix}:{name}",
                schema,
                version,
                rebuild.key(name),
                projector_key(prefix, name, version),
            )
            stale = {schema_name(prefix, name, version)}
            if previous is not None:
                stale.add(previous[0])
                if previous[1] != version:
                    await bookkeeping.forget(conn, projector_key(prefix, name, previous[1]))
            await drop_schemas(conn, sorted(stale - {schema}))
            replaced = None if previous is None else previous[0]
            swapped.append(Swapped(name, schema, replaced, stats[name].events, stats[name].parked))
    return swapped
