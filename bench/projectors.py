"""Projector catch-up from offset 0, beside the raw limits of its two halves.

Ours, one projection alone: a fresh scratch runtime (its own schemas and checkpoints) in
this process follows the log from the start until it stands at the log's end, as a
``ledger project --projection NAME`` process would; time runs from the end of its set-up
(creating its schemas and tables) to the moment it is caught up. Ours, several at once: as
``ledger replay`` builds them (``ledger.projector.rebuild.build_all``), one worker process
per projection, as many at a time as there are cores; time runs from asking to the last
worker's answer, its start-up included. The raw limits, measured on the same records:
aiokafka reading them (``read_committed``, the reader our projectors use) and asyncpg's
``copy_records_to_table`` writing one row per event read (stream, version, type, data) into
a fresh table: no decoding, no logic.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from bench.infra import Environment
from ledger.projector import ProjectorRuntime
from ledger.projector.rebuild import build_all, discard, forget_scratch
from ledger.projector.scratch import new_tag
from ledger.projector.worker import Workers
from ledger.store import Projection

Row = tuple[str, int, str, str]  # stream, version, type, data: one event as the raw limit writes it


@dataclass(frozen=True)
class CatchUp:
    events: int  # records the projections read (a record read by two counts twice)
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


async def catch_up(env: Environment, prefix: str, chosen: Sequence[Projection]) -> CatchUp:
    log = env.log(prefix)
    await log.start()  # the runtime ties its checkpoints to the log's identity
    pool = await asyncpg.create_pool(env.dsn, min_size=1, max_size=len(chosen) + 2)
    settings = env.settings(prefix)
    runtime = ProjectorRuntime(
        log, pool, chosen, prefix, scratch=f"b{uuid.uuid4().hex[:8]}", batch_size=settings.projector_batch
    )
    try:
        await runtime.start()  # set-up: schemas, tables, checkpoints; projecting starts after it
        started = time.perf_counter()
        while not runtime.caught_up():
            await runtime.refresh_end()
            await asyncio.sleep(0.02)
        seconds = time.perf_counter() - started
        events = sum(s.events for s in runtime.stats())
        # Throw-away tables: dropped now, so no later figure shares the machine with their vacuum.
        await discard(pool, runtime, [p.name for p in chosen])
        return CatchUp(events, seconds)
    finally:
        await pool.close()
        await log.close()


def workers_for(chosen: Sequence[Projection]) -> int:
    """How many worker processes ``build_all`` runs at once for ``chosen``: one per core at most."""
    return max(1, min(len(chosen), os.cpu_count() or 1))


class _Quiet:
    """A progress meter that shows nothing: the harness prints its own lines."""

    def start(self, what: str, total: int) -> None:
        pass

    def update(self, done: int) -> None:
        pass

    def stop(self) -> None:
        pass


async def build_in_workers(env: Environment, prefix: str, chosen: Sequence[Projection]) -> CatchUp:
    """Every projection of ``chosen`` rebuilt from offset 0 in worker processes, as ``ledger
    replay`` rebuilds them, up to the log's end as it is now; the scratch tables dropped after."""
    log = env.log(prefix)
    await log.start()
    try:
        end = await log.end_position()
    finally:
        await log.close()
    pool = await asyncpg.create_pool(env.dsn, min_size=1, max_size=2)
    workers = Workers(env.settings(prefix), env.dsn, log_level="warning")
    tag = new_tag("bench")
    ends = {p.name: end for p in chosen}
    try:
        started = time.perf_counter()
        built = await build_all(workers, pool, prefix, chosen, tag, _Quiet(), "rebuild", ends=ends)
        seconds = time.perf_counter() - started
        return CatchUp(sum(b.events for b in built.values()), seconds)
    finally:
        await forget_scratch(pool, prefix, chosen, tag)
        await pool.close()


async def read_rows(env: Environment, prefix: str, topics: Sequence[str]) -> tuple[list[Row], float]:
    """Every committed record of ``topics`` as a row, and the seconds aiokafka took to read them."""
    log = env.log(prefix)
    end = await log.end_position()
    reader = await log.open_reader(topics)
    rows: list[Row] = []
    try:
        started = time.perf_counter()
        wanted = {tp: o for tp, o in end.items() if tp.topic in topics}
        while not all(reader.position.get_offset(tp) >= o for tp, o in wanted.items()):
            for r in await reader.read(max_records=5000, timeout=0.2):
                version = int(_header(r.headers, "ce_streamversion") or 0)
                rows.append((r.key.decode(), version, _header(r.headers, "ce_type"), r.value.decode()))
        seconds = time.perf_counter() - started
    finally:
        await reader.close()
        await log.close()
    return rows, seconds


def _header(headers: Sequence[tuple[str, bytes]], name: str) -> str:
    return next((v.decode() for k, v in headers if k == name), "")


async def copy_rows(dsn: str, rows: Sequence[Row]) -> float:
    """Seconds for ``copy_records_to_table`` to write the rows into a fresh table, committed."""
    table = f"bench_copy_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE TABLE {table} (stream text, version bigint, type text, data jsonb)")
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table(
                table, records=rows, columns=["stream", "version", "type", "data"]
            )
        seconds = time.perf_counter() - started
        await conn.execute(f"DROP TABLE {table}")
        return seconds
    finally:
        await conn.close()
