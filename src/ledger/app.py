"""The composition root: ``create_app(settings)`` builds the aiohttp application.

Resources (database pool, log, writer, token store, projectors) are ``cleanup_ctx`` context
managers reached through typed ``AppKey``s, started in that order and stopped in reverse:
the writer and the projectors finish their batch in hand before the log and the pool close.
The writer comes before the tokens because issuing the admin token is recorded in the log.
Nothing opens at import.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

import asyncpg
import structlog
from aiohttp import web

import projections
from ledger.config import Settings
from ledger.database import database_url
from ledger.http import (
    admin,
    commands,
    operations,
    parked,
    read_audit,
    read_inventory,
    read_quality,
    read_sales,
    read_service,
    rebuild,
)
from ledger.http.auth import TOKENS, TokenStore
from ledger.http.context import context_middleware
from ledger.http.keys import DB, DSN, LOG, METRICS, READ_DB, READ_MODELS, RUNTIME, SETTINGS, WRITER
from ledger.http.problems import problems_middleware
from ledger.http.tokens import KEEPER, TokenKeeper
from ledger.log.factory import build_log
from ledger.metrics import Metrics
from ledger.projector.process import projector_runtime
from ledger.readmodels import DatabaseReadModels
from ledger.writer import Writer
from ledger.writer.lease import WriterLease
from ledger.writer.snapshots import SnapshotStore

__all__ = ["DB", "LOG", "METRICS", "READ_MODELS", "RUNTIME", "SETTINGS", "WRITER", "create_app"]

log = structlog.get_logger("ledger.app")


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # Resolved once: on the embedded default this starts (or joins) the PostgreSQL server.
    app[DSN] = database_url(settings)
    # Named in pg_stat_activity by pool and log (PostgreSQL keeps 63 bytes of a name).
    pool = await asyncpg.create_pool(
        app[DSN],
        min_size=2,
        max_size=16,
        server_settings={"application_name": f"ledger/{settings.topic_prefix}"},
    )
    # API reads get a pool of their own, each statement bounded by the read timeout, so slow
    # or many reads cannot take the connections that authentication, the writer's snapshots
    # and the projectors need.
    try:
        reads = await asyncpg.create_pool(
            app[DSN],
            min_size=1,
            max_size=settings.read_pool_size,
            server_settings={
                "application_name": f"ledger-read/{settings.topic_prefix}",
                "statement_timeout": str(settings.read_timeout_ms),
            },
        )
        app[DB], app[READ_DB] = pool, reads
        yield
        await reads.close()
    finally:
        await pool.close()


async def _event_log(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    event_log = build_log(settings, app[DSN])
    await event_log.start()
    app[LOG] = event_log
    log.info("log_started", backend=type(event_log).__name__, topics=list(event_log.topics))
    yield
    await event_log.close()


async def _tokens(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    store = TokenStore(
        app[DB],
        acquire_timeout=settings.pool_acquire_timeout_s,
        query_timeout=settings.read_timeout_ms / 1000,
    )
    await store.setup()
    keeper = TokenKeeper(store, app[WRITER])
    configured = settings.admin_token  # already trimmed and checked by the settings
    generated = await keeper.ensure_admin(None if configured is None else configured.get_secret_value())
    if generated is not None:
        # Shown once; only its hash is kept.
        print(f"ledger: admin token (shown once, store it now): {generated}", file=sys.stdout, flush=True)
    app[TOKENS] = store
    app[KEEPER] = keeper
    yield


async def _writer(app: web.Application) -> AsyncIterator[None]:
    """The log's writer, behind its lease: while another process writes to this log, this
    one stands by (commands answer 503) and takes over when the lease comes free."""
    settings = app[SETTINGS]
    snapshots = SnapshotStore(app[DB], settings.topic_prefix)
    await snapshots.setup()
    writer = Writer(
        app[LOG],
        snapshots,
        max_batch=settings.max_batch,
        snapshot_every=settings.snapshot_every,
        metrics=app[METRICS],
        lease=WriterLease(app[DSN], settings.topic_prefix, timeout=settings.log_timeout_s),
    )
    await writer.start()
    app[WRITER] = writer
    yield
    await writer.stop()


async def _projectors(app: web.Application) -> AsyncIterator[None]:
    runtime = projector_runtime(
        app[SETTINGS], app[LOG], app[DB], app[DSN], projections.ALL, metrics=app[METRICS]
    )
    await runtime.start()
    app[RUNTIME] = runtime
    yield
    await runtime.stop()


async def _read_models(app: web.Application) -> AsyncIterator[None]:
    """What the read routes know of the read models, from PostgreSQL only, as in ``ledger api``."""
    settings = app[SETTINGS]
    models = DatabaseReadModels(
        app[DSN],
        app[DB],
        settings.topic_prefix,
        projections.ALL,
        acquire_timeout=settings.pool_acquire_timeout_s,
    )
    await models.start()
    app[READ_MODELS] = models
    yield
    await models.close()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        client_max_size=settings.max_body_bytes, middlewares=[context_middleware, problems_middleware]
    )
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app.cleanup_ctx.extend([_database, _event_log, _writer, _tokens, _projectors, _read_models])
    operations.add_routes(app)
    commands.add_routes(app)
    admin.add_routes(app)
    read_inventory.add_routes(app)
    read_sales.add_routes(app)
    read_quality.add_routes(app)
    read_service.add_routes(app)
    read_audit.add_routes(app)
    rebuild.add_routes(app)
    parked.add_routes(app)
    return app
