"""The one composition root: every resource a process needs, built here as an async context manager.

Each role (``ledger writer``, ``ledger api``, ``ledger project``), the single process that
holds them all (``create_app``, the tests' and ``ledger serve --one-process``'s), and every
CLI command enters what it needs from here and nothing else opens a pool, a log, a writer, a
projector runtime, a token store or a lease. So the sizes of pools and their timeouts are
decided in one place, per role (``plan``), and so is the order of things: a resource is
entered after what it uses and left before it (a writer finishes its batch before the log
and the pool close).

Nothing here opens anything at import.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar

import asyncpg
import structlog
from aiohttp import web

import projections
from ledger.config import Settings
from ledger.database import database_url
from ledger.feed import Feed
from ledger.http import (
    console,
    contract,
    events,
    operations,
    parked,
    read_audit,
    read_customers,
    read_fulfilment,
    read_inventory,
    read_marketing,
    read_plans,
    read_purchasing,
    read_quality,
    read_sales,
    read_service,
    read_valuation,
    rebuild,
)
from ledger.http.auth import TokenStore
from ledger.http.forwarding import WriterClient
from ledger.http.keys import DB, DSN, FEED, METRICS, READ_DB, READ_MODELS, SETTINGS
from ledger.http.tokens import TokenKeeper
from ledger.log import EventLog
from ledger.log.factory import build_log
from ledger.log.kafka import KafkaLog
from ledger.log.kafka_commands import CommandConsumer
from ledger.log.postgres import APPENDED_CHANNEL, PostgresLog
from ledger.log.topology import Topology
from ledger.metrics import Metrics
from ledger.projector import ProjectorRuntime
from ledger.projector.worker import Workers
from ledger.readmodels import DatabaseReadModels
from ledger.store import Projection
from ledger.tracing.spans import NO_SPANS, Spans
from ledger.writer import Writer, discovery
from ledger.writer.intake import CommandIntake
from ledger.writer.lease import WriterLease
from ledger.writer.snapshots import SnapshotStore

if TYPE_CHECKING:
    from ledger.tracing.setup import Tracing

log = structlog.get_logger("ledger.bootstrap")

Role = Literal["one-process", "writer", "api", "projector", "command", "rebuild"]
T = TypeVar("T")


@dataclass(frozen=True)
class Size:
    """A pool's connections: opened at once (``low``), at most (``high``)."""

    low: int
    high: int


@dataclass(frozen=True)
class Plan:
    """The pools of one process. ``main``: authentication, snapshots, token admin, the writer's
    address and projector batches; ``reads``: API reads, apart so that slow or many reads
    never take the connections the rest needs; ``log``: the PostgreSQL log's own (unused on
    Kafka)."""

    role: Role
    main: Size
    reads: Size | None
    log: Size | None


def plan(role: Role, settings: Settings, *, projections_owned: int = len(projections.ALL)) -> Plan:
    """The pools of a process of ``role``; every size the engine uses is decided here.

    Under ``ledger serve`` on one box they add up: a writer and a standby take about 10
    connections each, an API worker 4 plus ``LEDGER_READ_POOL_SIZE``, a projector process
    about 2 per projection it owns, all well inside PostgreSQL's default of 100.
    """
    reads = Size(1, settings.read_pool_size)
    match role:
        case "one-process":  # HTTP, the writer and every projector in one process
            return Plan(role, main=Size(2, 16), reads=reads, log=Size(1, 8))
        case "writer":  # one snapshot at a time, token admin, its address; appends and a reader
            return Plan(role, main=Size(1, 4), reads=None, log=Size(1, 4))
        case "api":  # token lookups (cached for a moment) and the writer's address; reads apart
            return Plan(role, main=Size(1, 4), reads=reads, log=None)
        case "projector":  # a batch per projection at once, its locks, its watcher
            return Plan(
                role, main=Size(2, projections_owned + 3), reads=None, log=Size(1, projections_owned + 2)
            )
        case "command":  # demo, verify, export, import, replay, parked: one job, a few connections
            return Plan(role, main=Size(1, 8), reads=None, log=Size(1, 8))
        case "rebuild":  # a worker process building one projection's scratch tables
            return Plan(role, main=Size(1, 2), reads=None, log=Size(1, 2))


@contextlib.asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[str]:
    """The database's DSN, resolved once: on the embedded default this starts (or joins) the
    PostgreSQL server in the data dir, which stops when the last process using it exits."""
    yield database_url(settings)


@contextlib.asynccontextmanager
async def pool(
    dsn: str, settings: Settings, size: Size, *, name: str, statement_timeout_ms: int | None = None
) -> AsyncIterator[asyncpg.Pool]:
    """A pool named ``<name>/<prefix>`` in ``pg_stat_activity`` (PostgreSQL keeps 63 bytes)."""
    server_settings = {"application_name": f"{name}/{settings.topic_prefix}"}
    if statement_timeout_ms is not None:
        server_settings["statement_timeout"] = str(statement_timeout_ms)
    opened = await asyncpg.create_pool(
        dsn,
        min_size=size.low,
        max_size=size.high,
        timeout=settings.log_timeout_s,
        server_settings=server_settings,
    )
    try:
        yield opened
    finally:
        await opened.close()


def main_pool(dsn: str, settings: Settings, chosen: Plan) -> AbstractAsyncContextManager[asyncpg.Pool]:
    return pool(dsn, settings, chosen.main, name="ledger")


def read_pool(dsn: str, settings: Settings, chosen: Plan) -> AbstractAsyncContextManager[asyncpg.Pool]:
    """API reads' pool: each statement bounded by ``LEDGER_READ_TIMEOUT_MS`` (past it, 503)."""
    assert chosen.reads is not None, "this role serves no reads"
    return pool(
        dsn, settings, chosen.reads, name="ledger-read", statement_timeout_ms=settings.read_timeout_ms
    )


@contextlib.asynccontextmanager
async def event_log(settings: Settings, dsn: str, chosen: Plan) -> AsyncIterator[EventLog]:
    """The log the settings name, started (its topics or tables made if missing)."""
    size = chosen.log or Size(1, 2)
    opened = build_log(settings, dsn, pool_size=(size.low, size.high))
    await opened.start()
    if chosen.role != "command":  # a command's output is its own lines
        log.info("log_started", backend=type(opened).__name__, topics=list(opened.topics))
    try:
        yield opened
    finally:
        await opened.close()


@contextlib.asynccontextmanager
async def scratch_log(
    settings: Settings, dsn: str, prefix: str, partitions: int
) -> AsyncIterator[PostgresLog]:
    """A throw-away PostgreSQL log under ``prefix`` (``ledger replay --source`` fills one from an
    export), started; the caller discards its messages when done."""
    opened = PostgresLog(dsn, Topology(prefix, partitions), timeout=settings.log_timeout_s, pool_size=(1, 2))
    await opened.start()
    try:
        yield opened
    finally:
        await opened.close()


def engine_spans(tracing: Tracing | None, settings: Settings) -> Spans:
    """The engine's own spans in a process traced by ``tracing`` (entered by the role's entry
    point, ``ledger.tracing.setup.traced``); none without."""
    if tracing is None:
        return NO_SPANS
    return tracing.spans("kafka" if settings.kafka_bootstrap else "postgresql")


def lease(settings: Settings, dsn: str) -> WriterLease:
    """The log's writer lease (taken by whoever writes: a writer, ``ledger demo``, ``ledger import``)."""
    return WriterLease(dsn, settings.topic_prefix, timeout=settings.log_timeout_s)


@contextlib.asynccontextmanager
async def writer(
    settings: Settings,
    dsn: str,
    event_log: EventLog,
    db: asyncpg.Pool,
    metrics: Metrics,
    *,
    leased: bool = True,
    spans: Spans = NO_SPANS,
) -> AsyncIterator[Writer]:
    """The log's writer, started: active, or a hot standby while another process holds the
    lease. ``leased=False`` for a caller that holds the lease itself (``ledger demo``)."""
    snapshots = SnapshotStore(db, settings.topic_prefix)
    await snapshots.setup()
    started = Writer(
        event_log,
        snapshots,
        max_batch=settings.max_batch,
        snapshot_every=settings.snapshot_every,
        metrics=metrics,
        lease=lease(settings, dsn) if leased else None,
        spans=spans,
    )
    await started.start()
    try:
        yield started
    finally:
        await started.stop()  # the batch in hand first, then a snapshot, then the lease


@contextlib.asynccontextmanager
async def command_intake(
    settings: Settings, event_log: EventLog, active: Writer, tokens: TokenStore, metrics: Metrics
) -> AsyncIterator[CommandIntake | None]:
    """On the Kafka log, integrators' commands from ``<prefix>.commands``, decided by ``active``
    whenever it is the active writer (``ledger.writer.intake``); on PostgreSQL, nothing.
    Left before the writer, which still answers the records it holds."""
    if not isinstance(event_log, KafkaLog):
        yield None
        return
    consumer = CommandConsumer(event_log, settings.log_timeout_s)
    intake = CommandIntake(active, consumer, tokens, metrics, event_log.results_topic)
    await intake.start()
    try:
        yield intake
    finally:
        await intake.stop()


@contextlib.asynccontextmanager
async def token_store(settings: Settings, db: asyncpg.Pool) -> AsyncIterator[TokenStore]:
    store = TokenStore(
        db, acquire_timeout=settings.pool_acquire_timeout_s, query_timeout=settings.read_timeout_ms / 1000
    )
    await store.setup()
    yield store


@contextlib.asynccontextmanager
async def token_keeper(settings: Settings, store: TokenStore, active: Writer) -> AsyncIterator[TokenKeeper]:
    """Token admin through the writer; the ``admin`` principal holds the configured token, or a
    generated one, printed once on stdout (only its hash is kept): now, or once a writer not
    active yet (standing by, refused by the log) is."""
    keeper = TokenKeeper(store, active)
    token = settings.admin_token  # already trimmed and checked by the settings
    address = console.url(settings)

    def show(token: str) -> None:
        print(
            f"ledger: admin token (shown once, store it now): {token}\n"
            f"ledger: sign in with it to the console at {address}",
            file=sys.stdout,
            flush=True,
        )

    async with keeper.admin_ensured(None if token is None else token.get_secret_value(), show):
        yield keeper


@contextlib.asynccontextmanager
async def projector_runtime(
    settings: Settings,
    event_log: EventLog,
    db: asyncpg.Pool,
    dsn: str,
    metrics: Metrics,
    chosen: Sequence[Projection] = projections.ALL,
    spans: Spans = NO_SPANS,
) -> AsyncIterator[ProjectorRuntime]:
    """Projectors following the log into ``chosen``, each owning its read model (or standing
    by for it), publishing its status and rebuilding online in child processes; each finishes
    its batch in hand on leaving."""
    runtime = ProjectorRuntime(
        event_log,
        db,
        chosen,
        settings.topic_prefix,
        metrics=metrics,
        batch_size=settings.projector_batch,
        workers=Workers(settings, dsn),
        spans=spans,
    )
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


@contextlib.asynccontextmanager
async def read_models(settings: Settings, dsn: str, db: asyncpg.Pool) -> AsyncIterator[DatabaseReadModels]:
    """What the read routes know of the read models: PostgreSQL only, in every process that
    serves reads. On the main pool, not the reads': an exhausted read pool must not take
    ``/v1/projections`` and readiness down with it."""
    models = DatabaseReadModels(
        dsn, db, settings.topic_prefix, projections.ALL, acquire_timeout=settings.pool_acquire_timeout_s
    )
    await models.start()
    try:
        yield models
    finally:
        await models.close()


@contextlib.asynccontextmanager
async def feed(event_log: EventLog, metrics: Metrics, *, owns_log: bool) -> AsyncIterator[Feed]:
    """The event feed over ``event_log``: its tail opens with the first follower, and so does
    the log itself when the feed ``owns_log``."""
    opened = Feed(event_log, metrics, start_log=owns_log)
    try:
        yield opened
    finally:
        await opened.close()


@contextlib.asynccontextmanager
async def api_feed(
    settings: Settings, dsn: str, reads: asyncpg.Pool, models: DatabaseReadModels, metrics: Metrics
) -> AsyncIterator[Feed]:
    """The event feed of an API process, whose log opens only when someone follows it. On
    PostgreSQL the log borrows the reads' pool and hears appends on the read models' LISTEN
    connection, so following the feed costs ``ledger serve`` no connection more."""
    if settings.kafka_bootstrap:
        event_log = build_log(settings, dsn)
    else:
        topology = Topology(settings.topic_prefix, settings.partitions)
        shared = PostgresLog(dsn, topology, timeout=settings.log_timeout_s, pool=reads, listen=False)
        await models.listener.subscribe(APPENDED_CHANNEL, shared.appended)
        event_log = shared
    async with feed(event_log, metrics, owns_log=True) as opened:
        yield opened


@contextlib.asynccontextmanager
async def writer_client(
    settings: Settings, db: asyncpg.Pool, tracing: Tracing | None = None
) -> AsyncIterator[WriterClient]:
    """An API process's way to the active writer (its address read from ``db``); traced, each
    request is a client span whose context the writer's server span continues."""
    if settings.internal_secret is None:
        raise MissingSecret("LEDGER_INTERNAL_SECRET is not set: `ledger api` and `ledger writer` share it")
    await discovery.setup(db)
    trace_configs = [] if tracing is None else tracing.client_trace_configs()
    client = WriterClient(settings, db, settings.internal_secret.get_secret_value(), trace_configs)
    try:
        yield client
    finally:
        await client.close()


class MissingSecret(Exception):
    """A role that speaks to another process has no ``LEDGER_INTERNAL_SECRET`` to speak with."""


def read_side(app: web.Application) -> None:
    """The reads of an API process (``ledger api``): the read routes, the read models in
    PostgreSQL they read through (kept by projector processes, announced by NOTIFY), and the
    event feed. The app must already provide ``DSN``, ``DB``, ``READ_DB`` and ``METRICS``."""
    settings = app[SETTINGS]

    async def step(app: web.Application) -> AsyncIterator[None]:
        async with read_models(settings, app[DSN], app[DB]) as models:
            app[READ_MODELS] = models
            async with api_feed(settings, app[DSN], app[READ_DB], models, app[METRICS]) as opened:
                app[FEED] = opened
                yield

    app.cleanup_ctx.append(step)
    app.router.add_get("/v1/projections", operations.projections_status)
    add_read_routes(app)


def add_read_routes(app: web.Application) -> None:
    """Every route that reads (the one list for ``create_app`` and ``ledger api``): the read
    models, the projections' own controls, and the public contract of the event streams
    (``/asyncapi.json`` and the event schemas by URL)."""
    for module in (
        read_inventory,
        read_valuation,
        read_purchasing,
        read_sales,
        read_fulfilment,
        read_marketing,
        read_customers,
        read_plans,
        read_quality,
        read_service,
        read_audit,
        rebuild,
        parked,
        contract,
        events,
        console,
    ):
        module.add_routes(app)


CleanupContext = Callable[[web.Application], AsyncIterator[None]]


def provide(
    key: web.AppKey[T], enter: Callable[[web.Application], AbstractAsyncContextManager[T]]
) -> CleanupContext:
    """A ``cleanup_ctx`` step that enters a resource as the app starts, keeps it under ``key``
    and leaves it as the app stops (steps leave in reverse order)."""

    async def step(app: web.Application) -> AsyncIterator[None]:
        async with enter(app) as value:
            app[key] = value
            yield

    return step
