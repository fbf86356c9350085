"""The composition root: ``create_app(settings)`` builds the aiohttp application.

Resources (database pool, log, token store, writer, projectors) are ``cleanup_ctx`` context
managers reached through typed ``AppKey``s, started in that order and stopped in reverse:
the writer and the projectors finish their batch in hand before the log and the pool close.
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
from ledger.http.auth import ADMIN, SCOPES, TOKENS, TokenStore
from ledger.http.keys import DB, DSN, LOG, METRICS, RUNTIME, SETTINGS, WRITER
from ledger.http.problems import problems_middleware
from ledger.log.factory import build_log
from ledger.metrics import Metrics
from ledger.projector import ProjectorRuntime
from ledger.writer import Writer
from ledger.writer.snapshots import SnapshotStore

__all__ = ["DB", "LOG", "METRICS", "RUNTIME", "SETTINGS", "WRITER", "create_app"]

log = structlog.get_logger("ledger.app")


async def _database(app: web.Application) -> AsyncIterator[None]:
    # Resolved once: on the embedded default this starts (or joins) the PostgreSQL server.
    app[DSN] = database_url(app[SETTINGS])
    pool = await asyncpg.create_pool(app[DSN], min_size=2, max_size=16)
    app[DB] = pool
    yield
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
    store = TokenStore(app[DB])
    await store.setup()
    configured = app[SETTINGS].admin_token
    if configured is not None:
        await store.issue(ADMIN, SCOPES, configured.get_secret_value())
    elif not await store.exists(ADMIN):
        token = await store.issue(ADMIN, SCOPES)
        # Shown once; only its hash is kept.
        print(f"ledger: admin token (shown once, store it now): {token}", file=sys.stdout, flush=True)
    app[TOKENS] = store
    yield


async def _writer(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    snapshots = SnapshotStore(app[DB], settings.topic_prefix)
    await snapshots.setup()
    writer = Writer(
        app[LOG],
        snapshots,
        max_batch=settings.max_batch,
        snapshot_every=settings.snapshot_every,
        metrics=app[METRICS],
    )
    await writer.start()
    app[WRITER] = writer
    yield
    await writer.stop()


async def _projectors(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    runtime = ProjectorRuntime(
        app[LOG],
        app[DB],
        projections.ALL,
        settings.topic_prefix,
        metrics=app[METRICS],
        batch_size=settings.projector_batch,
    )
    await runtime.start()
    app[RUNTIME] = runtime
    yield
    await runtime.stop()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[problems_middleware])
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app.cleanup_ctx.extend([_database, _event_log, _tokens, _writer, _projectors])
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
