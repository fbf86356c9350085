"""``ledger replay``: read models rebuilt from the log or from an export, compared or swapped in.

Each read model is rebuilt in a worker process of its own, as many at once as there are
cores (``ledger.projector.rebuild.build_all``); this process only watches, compares and swaps.

- Compare (``--compare``): a scratch rebuild is held at the live tables' checkpoint, so both
  sides stand at the same log position even while a server goes on projecting, and the two
  are compared row by row in one snapshot. It runs beside a live server.
- Swap (the default): a scratch rebuild up to the end of the log becomes the live tables,
  all chosen projections in one transaction, and the tables it replaces are dropped. Only
  while no ``ledger serve`` or ``ledger project`` follows those projections (see
  ``ledger.projector.locks``): a running server is never pulled out from under; it is asked
  to rebuild online instead (``POST /v1/projections/{name}/rebuild``).
- From an export (``--source FILE``): the file is imported into a scratch PostgreSQL log in
  the configured database and projected into scratch schemas, then compared with the live
  tables (``--compare``) or summarised, rows per table. No live log is opened; none need exist.

Every scratch schema, checkpoint and scratch log row is dropped at the end, whatever happens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from ledger import bootstrap
from ledger.audit.exchange import ExchangeError, Manifest, count_lines, manifest_path
from ledger.audit.importing import import_
from ledger.config import Settings
from ledger.log import EventLog, Position
from ledger.log.postgres import PostgresLog
from ledger.progress import Meter
from ledger.projector import bookkeeping
from ledger.projector.compare import Difference, differences, tables
from ledger.projector.locks import release_exclusive, try_exclusive
from ledger.projector.rebuild import Scratch, build_all, discard, follow, forget_scratch, swap_in
from ledger.projector.runtime import ProjectorRuntime
from ledger.projector.scratch import events_in, new_tag
from ledger.projector.stats import projector_key
from ledger.projector.worker import Built, ScratchLog, Workers
from ledger.store import Connection, Projection, q, schema_name

_CHASES = 50  # how often a compare follows live tables that moved on before giving up
_PARKED_SHOWN = 20


class ReplayRefused(Exception):
    """A replay that cannot be done now; the message says why."""


@dataclass
class Outcome:
    """What became of one projection's rebuild."""

    projection: str
    events: int = 0
    parked: list[str] = field(default_factory=list)
    parked_count: int = 0
    differences: list[Difference] = field(default_factory=list)
    problem: str = ""  # not comparable at all: counts as a difference
    note: str = ""
    schema: str = ""
    replaced: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    worker: int = 0  # the pid of the worker process that rebuilt it

    @property
    def equal(self) -> bool:
        return not self.differences and not self.problem


async def replay(
    settings: Settings, chosen: Sequence[Projection], *, compare: bool, source: Path | None, meter: Meter
) -> list[Outcome]:
    pools = bootstrap.plan("command", settings)
    async with bootstrap.database(settings) as dsn, bootstrap.main_pool(dsn, settings, pools) as pool:
        workers = Workers(settings, dsn, log_level="warning")
        if source is not None:
            return await _from_source(settings, workers, pool, source, chosen, compare, meter)
        async with bootstrap.event_log(settings, dsn, pools) as log:
            run = _compare_live if compare else _swap_live
            return await run(log, workers, pool, settings, chosen, meter)


async def _compare_live(
    log: EventLog,
    workers: Workers,
    pool: asyncpg.Pool,
    settings: Settings,
    chosen: Sequence[Projection],
    meter: Meter,
) -> list[Outcome]:
    prefix = settings.topic_prefix
    outcomes: dict[str, Outcome] = {}
    targets: dict[str, tuple[str, str]] = {}  # name: (live schema, live projector key)
    bounds: dict[str, Position] = {}
    async with pool.acquire() as conn:
        await bookkeeping.setup(conn)
        for projection in chosen:
            name = projection.name
            live = await bookkeeping.live_schema(conn, f"{prefix}:{name}")
            outcomes[name] = Outcome(name, problem=_incomparable(live, projection))
            if live is not None and not outcomes[name].problem:
                targets[name] = (live[0], projector_key(prefix, name, projection.version))
                bounds[name] = await bookkeeping.load_checkpoint(conn, targets[name][1])
    comparable = [p for p in chosen if p.name in targets]
    if not comparable:
        return list(outcomes.values())
    tag = new_tag("cmp")
    try:
        built = await build_all(
            workers, pool, prefix, comparable, tag, meter, "replay --compare", ends=bounds, hold=True
        )
    except BaseException:
        await forget_scratch(pool, prefix, comparable, tag)
        raise
    # The workers stopped where the live tables stood; should those have moved on meanwhile,
    # the rest is followed here, from the workers' checkpoints.
    rebuild = ProjectorRuntime(
        log, pool, comparable, prefix, scratch=tag, batch_size=settings.projector_batch
    )
    for name, bound in bounds.items():
        rebuild.hold_at(name, bound)
    try:
        await rebuild.start()
        found = await _chase(pool, rebuild, comparable, prefix, targets, bounds, meter)
        stats = {s.name: s for s in rebuild.stats()}
        async with pool.acquire() as conn:
            for projection in comparable:
                name = projection.name
                outcome = outcomes[name]
                outcome.differences = found[name]
                outcome.events = built[name].events + stats[name].events
                outcome.parked_count, outcome.worker = stats[name].parked, built[name].pid
                outcome.parked = await bookkeeping.parked_rows(conn, rebuild.key(name), _PARKED_SHOWN)
                messages = events_in(bounds[name], prefix, projection)
                outcome.note = f"compared with {targets[name][0]} where it stands, at {messages} messages"
    finally:
        await discard(pool, rebuild, [p.name for p in comparable])
    return list(outcomes.values())


async def _chase(
    pool: asyncpg.Pool,
    rebuild: ProjectorRuntime,
    comparable: Sequence[Projection],
    prefix: str,
    targets: dict[str, tuple[str, str]],
    bounds: dict[str, Position],
    meter: Meter,
) -> dict[str, list[Difference]]:
    """Bring the rebuild to the live checkpoints and compare in one snapshot; when a live
    projector moved on meanwhile, follow it there and try again."""
    for _ in range(_CHASES):
        total = sum(events_in(bounds[p.name], prefix, p) for p in comparable)

        def reached() -> bool:
            return all(rebuild.position(name).covers(bound) for name, bound in bounds.items())

        await follow(rebuild, meter, "replay --compare", total, done=reached)
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            moved: dict[str, Position] = {}
            for name, (_, key) in targets.items():
                now = await bookkeeping.load_checkpoint(conn, key)
                if not (now.covers(bounds[name]) and bounds[name].covers(now)):
                    moved[name] = now
            if not moved:
                return {
                    name: await differences(conn, live, rebuild.schema(name))
                    for name, (live, _) in targets.items()
                }
        for name, now in moved.items():
            bounds[name] = now
            rebuild.hold_at(name, now)
    raise ReplayRefused("the live tables kept moving on while being compared; try again when writes pause")


async def _swap_live(
    log: EventLog,
    workers: Workers,
    pool: asyncpg.Pool,
    settings: Settings,
    chosen: Sequence[Projection],
    meter: Meter,
) -> list[Outcome]:
    prefix = settings.topic_prefix
    async with pool.acquire() as holder:
        taken: list[str] = []
        try:
            for projection in chosen:
                live_name = f"{prefix}:{projection.name}"
                if not await try_exclusive(holder, live_name):
                    raise ReplayRefused(
                        f"a running `ledger serve` or `ledger project` follows the {projection.name} read "
                        f"model of {prefix!r}: stop it first, or rebuild online with "
                        f"POST /v1/projections/{projection.name}/rebuild"
                    )
                taken.append(live_name)
            return await _rebuild_and_swap(log, workers, pool, settings, chosen, meter)
        finally:
            for live_name in taken:
                await release_exclusive(holder, live_name)


async def _rebuild_and_swap(
    log: EventLog,
    workers: Workers,
    pool: asyncpg.Pool,
    settings: Settings,
    chosen: Sequence[Projection],
    meter: Meter,
) -> list[Outcome]:
    prefix, tag = settings.topic_prefix, new_tag("rb")
    try:
        end = await log.end_position()
        built = await build_all(
            workers, pool, prefix, chosen, tag, meter, "replay", ends=dict.fromkeys(_names(chosen), end)
        )
        scratches = [_scratch_of(prefix, p, tag, built[p.name]) for p in chosen]
        async with pool.acquire() as conn:
            parked = {
                s.projection.name: await bookkeeping.parked_rows(conn, s.key, _PARKED_SHOWN)
                for s in scratches
            }
        swapped = await swap_in(pool, prefix, scratches)
    except BaseException:
        await forget_scratch(pool, prefix, chosen, tag)
        raise
    return [
        Outcome(
            s.projection,
            s.events,
            parked[s.projection],
            s.parked,
            schema=s.schema,
            replaced=s.replaced,
            worker=built[s.projection].pid,
        )
        for s in swapped
    ]


def _names(chosen: Sequence[Projection]) -> list[str]:
    return [p.name for p in chosen]


def _scratch_of(prefix: str, projection: Projection, tag: str, built: Built) -> Scratch:
    name, version = projection.name, projection.version
    return Scratch(
        projection,
        schema_name(prefix, name, version, scratch=tag),
        projector_key(prefix, name, version, tag),
        built.events,
        built.parked,
    )


async def _from_source(
    settings: Settings,
    workers: Workers,
    pool: asyncpg.Pool,
    source: Path,
    chosen: Sequence[Projection],
    compare: bool,
    meter: Meter,
) -> list[Outcome]:
    manifest = Manifest.load(manifest_path(source)) if manifest_path(source).exists() else None
    prefix = new_tag(f"{settings.topic_prefix}_src")
    partitions = manifest.partitions if manifest and manifest.partitions else settings.partitions
    tag = new_tag("src")
    async with bootstrap.scratch_log(settings, workers.dsn, prefix, partitions) as scratch_log:
        try:
            await _import(scratch_log, source, manifest.events if manifest else count_lines(source), meter)
            end = await scratch_log.end_position()
            built = await build_all(
                workers,
                pool,
                prefix,
                chosen,
                tag,
                meter,
                "replay",
                ends=dict.fromkeys(_names(chosen), end),
                source=ScratchLog(prefix, partitions),
            )
            async with pool.acquire() as conn:
                return [
                    await _judge(
                        conn, _scratch_of(prefix, p, tag, built[p.name]), built[p.name], settings, compare
                    )
                    for p in chosen
                ]
        finally:
            try:
                await forget_scratch(pool, prefix, chosen, tag)
            finally:
                await scratch_log.discard()


async def _import(log: PostgresLog, source: Path, total: int, meter: Meter) -> None:
    done = 0

    def progress(count: int) -> None:
        nonlocal done
        done += count
        meter.update(done)

    meter.start("import", total)
    try:
        await import_(log, source, progress=progress)
    except ExchangeError as e:
        raise ReplayRefused(str(e)) from e
    finally:
        meter.stop()


async def _judge(
    conn: Connection, scratch: Scratch, built: Built, settings: Settings, compare: bool
) -> Outcome:
    """One projection rebuilt from a file: its rows per table, or its differences from the live tables."""
    projection, schema = scratch.projection, scratch.schema
    name = projection.name
    outcome = Outcome(name, built.events, await bookkeeping.parked_rows(conn, scratch.key, _PARKED_SHOWN))
    outcome.parked_count, outcome.worker = built.parked, built.pid
    if not compare:
        for table in await tables(conn, schema):
            outcome.rows[table] = int(await conn.fetchval(f"SELECT count(*) FROM {q(schema, table)}"))
        return outcome
    live = await bookkeeping.live_schema(conn, f"{settings.topic_prefix}:{name}")
    outcome.problem = _incomparable(live, projection)
    if live is not None and not outcome.problem:
        outcome.differences = await differences(conn, live[0], schema)
        outcome.note = f"the file's events compared with {live[0]}"
    return outcome


def _incomparable(live: tuple[str, int] | None, projection: Projection) -> str:
    if live is None:
        return "no live tables to compare with: this projection was never projected here"
    if live[1] != projection.version:
        return f"the live tables are version {live[1]}, this ledger builds version {projection.version}"
    return ""
