"""The composition root: ``create_app(settings)`` builds the aiohttp application.

Resources (database, log) are ``cleanup_ctx`` context managers reached through typed
``AppKey``s; nothing is opened at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import structlog
from aiohttp import web

from ledger.config import Settings
from ledger.database import database_url
from ledger.log import EventLog, LogError
from ledger.log.factory import build_log

SETTINGS = web.AppKey("settings", Settings)
LOG = web.AppKey("log", EventLog)

log = structlog.get_logger("ledger.app")


def _json(body: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


async def _event_log(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    event_log = build_log(settings, database_url(settings))
    await event_log.start()
    app[LOG] = event_log
    log.info("log_started", backend=type(event_log).__name__, topics=list(event_log.topics))
    yield
    await event_log.close()


async def healthz(_: web.Request) -> web.Response:
    return _json({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        end = await request.app[LOG].end_position()
    except LogError as e:
        return _json({"status": "unavailable", "log": str(e)}, status=503)
    return _json({"status": "ready", "log_position": end.token()})


def create_app(settings: Settings) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_event_log)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app
