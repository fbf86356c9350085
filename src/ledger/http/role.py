"""``ledger api``: stateless HTTP, any number of processes behind one port.

An API process holds nothing of its own: it authenticates callers against the token store,
hands commands and token admin to the active writer (``ledger.http.forwarding``) and answers
reads from the read models in PostgreSQL (``ledger.bootstrap.read_side``). So any number of
them can run, on one box sharing one port (``SO_REUSEPORT``: the kernel spreads connections
over them) or on many behind a load balancer, and one can die without a gap in answers.

On SIGTERM it stops accepting connections, finishes the requests in hand (each waits at
most ``LEDGER_INTERNAL_TIMEOUT_S`` for the writer) and exits.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from ledger import bootstrap
from ledger.bootstrap import provide
from ledger.config import Settings
from ledger.http import forwarding, operations
from ledger.http.auth import TOKENS
from ledger.http.context import context_middleware
from ledger.http.counting import counting_middleware
from ledger.http.duration import request_duration
from ledger.http.forwarding import CLIENT
from ledger.http.keys import DB, DSN, METRICS, READ_DB, SETTINGS
from ledger.http.limits import MAX_FIELD_SIZE, MAX_LINE_SIZE
from ledger.http.problems import problems_middleware
from ledger.http.responses import json_response
from ledger.lifetime import until_stopped
from ledger.metrics import Metrics
from ledger.store import DatabaseUnavailable, unavailable_as

if TYPE_CHECKING:
    from ledger.tracing.setup import Tracing

log = structlog.get_logger("ledger.http")


def create_api_app(settings: Settings, tracing: Tracing | None = None) -> web.Application:
    """``tracing``: entered already when the process is traced; commands go on to the writer
    with their trace context."""
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[request_duration, context_middleware, counting_middleware, problems_middleware],
    )
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    pools = bootstrap.plan("api", settings)
    app.cleanup_ctx.extend(
        [
            provide(DSN, lambda _: bootstrap.database(settings)),
            provide(DB, lambda app: bootstrap.main_pool(app[DSN], settings, pools)),
            provide(READ_DB, lambda app: bootstrap.read_pool(app[DSN], settings, pools)),
            provide(TOKENS, lambda app: bootstrap.token_store(settings, app[DB])),
            provide(CLIENT, lambda app: bootstrap.writer_client(settings, app[DB], tracing)),
        ]
    )
    forwarding.add_routes(app)
    app.router.add_get("/healthz", operations.healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", operations.metrics)
    app.router.add_get("/openapi.json", operations.openapi_json)
    bootstrap.read_side(app)
    return app


async def readyz(request: web.Request) -> web.Response:
    """Ready: the database answers, an active writer answers through its endpoint, and the
    projectors have caught up with the log as it was when they started.

    A check that fails is named in the 503 body, never raised."""
    checks: dict[str, object] = {}
    writer = await request.app[CLIENT].status()
    checks["writer"] = writer.get("status")
    if writer.get("problem"):
        checks["writer_problem"] = writer["problem"]
    ready = checks["writer"] == "active"
    try:
        with unavailable_as("database"):
            timeout = request.app[SETTINGS].pool_acquire_timeout_s
            async with request.app[READ_DB].acquire(timeout=timeout) as conn:
                await conn.fetchval("SELECT 1")
        checks["database"] = "ok"
    except DatabaseUnavailable as e:
        checks["database"] = str(e)
        ready = False
    ready = await operations.projectors_ready(request.app, checks) and ready
    body = {"status": "ready" if ready else "unavailable", **checks}
    return json_response(body, status=200 if ready else 503)


async def run_api(
    settings: Settings, stop: Awaitable[object] | None = None, tracing: Tracing | None = None
) -> None:
    """Serve on ``LEDGER_HOST:LEDGER_PORT`` beside any other API process there, until SIGTERM
    (or ``stop``, for a caller of its own)."""
    runner = web.AppRunner(
        create_api_app(settings, tracing),
        access_log=None,
        max_line_size=MAX_LINE_SIZE,
        max_field_size=MAX_FIELD_SIZE,
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port, reuse_port=True).start()
        log.info("api_listening", host=settings.host, port=settings.port)
        await (until_stopped() if stop is None else stop)
    finally:
        await runner.cleanup()
