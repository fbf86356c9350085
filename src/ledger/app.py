"""The composition root: ``create_app(settings)`` builds the aiohttp application.

Resources (database pool, log, token store, writer) are ``cleanup_ctx`` context managers
reached through typed ``AppKey``s, started in that order and stopped in reverse: the writer
finishes its batch in hand before the log and the pool close. Nothing opens at import.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

import asyncpg
import orjson
import structlog
from aiohttp import web

from ledger.config import Settings
from ledger.database import database_url
from ledger.http import admin, commands
from ledger.http.auth import ADMIN, SCOPES, TOKENS, TokenStore
from ledger.http.commands import WRITER
from ledger.http.problems import problems_middleware
from ledger.log import EventLog, LogError
from ledger.log.factory import build_log
from ledger.writer import Writer
from ledger.writer.service import Status
from ledger.writer.snapshots import SnapshotStore

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", asyncpg.Pool)
LOG = web.AppKey("log", EventLog)

log = structlog.get_logger("ledger.app")


def _json(body: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


async def _database(app: web.Application) -> AsyncIterator[None]:
    pool = await asyncpg.create_pool(database_url(app[SETTINGS]), min_size=1, max_size=10)
    app[DB] = pool
    yield
    await pool.close()


async def _event_log(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    event_log = build_log(settings, database_url(settings))
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
    writer = Writer(app[LOG], snapshots, max_batch=settings.max_batch, snapshot_every=settings.snapshot_every)
    await writer.start()
    app[WRITER] = writer
    yield
    await writer.stop()


async def healthz(_: web.Request) -> web.Response:
    return _json({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    writer = request.app[WRITER]
    checks: dict[str, object] = {"writer": writer.status.value}
    ready = writer.status is Status.ACTIVE
    try:
        checks["log_position"] = (await request.app[LOG].end_position()).token()
    except LogError as e:
        checks["log"] = str(e)
        ready = False
    if writer.problem:
        checks["writer_problem"] = writer.problem
    return _json({"status": "ready" if ready else "unavailable", **checks}, status=200 if ready else 503)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[problems_middleware])
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([_database, _event_log, _tokens, _writer])
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    commands.add_routes(app)
    admin.add_routes(app)
    return app
