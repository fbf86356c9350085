"""Operational routes: liveness, readiness, projector status and Prometheus metrics."""

from __future__ import annotations

import dataclasses

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from ledger.http import openapi
from ledger.http.auth import authenticate
from ledger.http.keys import LOG, METRICS, READ_DB, RUNTIME, SETTINGS, WRITER
from ledger.http.responses import json_response
from ledger.log import LogError
from ledger.metrics import exposition
from ledger.store import DatabaseUnavailable, is_unavailable, unavailable_as
from ledger.writer.service import Status


async def healthz(_: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready: the log and database answer, this writer is active, projectors have caught up.

    A check that fails is named in the 503 body, never raised."""
    writer = request.app[WRITER]
    runtime = request.app[RUNTIME]
    checks: dict[str, object] = {"writer": writer.status.value}
    ready = writer.status is Status.ACTIVE
    try:
        checks["log_position"] = (await request.app[LOG].end_position()).token()
    except Exception as e:
        if not isinstance(e, LogError) and not is_unavailable(e):
            raise
        checks["log"] = str(e) or type(e).__name__
        ready = False
    try:
        await _database_answers(request.app)
        checks["database"] = "ok"
    except DatabaseUnavailable as e:
        checks["database"] = str(e)
        ready = False
    if writer.problem:
        checks["writer_problem"] = writer.problem
    checks["projectors_caught_up"] = runtime.caught_up()
    ready = ready and runtime.started_caught_up
    return json_response(
        {"status": "ready" if ready else "unavailable", **checks}, status=200 if ready else 503
    )


async def _database_answers(app: web.Application) -> None:
    with unavailable_as("database"):
        async with app[READ_DB].acquire(timeout=app[SETTINGS].pool_acquire_timeout_s) as conn:
            await conn.fetchval("SELECT 1")


async def projections_status(request: web.Request) -> web.Response:
    (await authenticate(request)).require("read")
    runtime = request.app[RUNTIME]
    await runtime.refresh_end()
    return json_response(
        {
            "items": [dataclasses.asdict(s) for s in runtime.stats()],
            "end_watcher": runtime.watcher.health.view(),
        }
    )


async def openapi_json(_: web.Request) -> web.Response:
    return json_response(openapi.document())


async def metrics(request: web.Request) -> web.Response:
    body = exposition(request.app[METRICS])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/v1/projections", projections_status)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/openapi.json", openapi_json)
