"""Operational routes: liveness, readiness, projector status and Prometheus metrics.

What readiness and ``GET /v1/projections`` say of the projectors comes from their status rows
in PostgreSQL (``READ_MODELS``), wherever they run."""

from __future__ import annotations

import dataclasses

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from ledger.http import openapi
from ledger.http.auth import authenticate
from ledger.http.keys import LOG, METRICS, READ_DB, READ_MODELS, SETTINGS, WRITER
from ledger.http.responses import json_response
from ledger.log import LogError
from ledger.metrics import exposition
from ledger.readmodels import ProcessStatus
from ledger.store import DatabaseUnavailable, is_unavailable, unavailable_as
from ledger.writer.service import Status


async def healthz(_: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready: the log and database answer, this writer is active, projectors have caught up.

    A check that fails is named in the 503 body, never raised."""
    writer = request.app[WRITER]
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
    ready = await projectors_ready(request.app, checks) and ready
    return json_response(
        {"status": "ready" if ready else "unavailable", **checks}, status=200 if ready else 503
    )


async def projectors_ready(app: web.Application, checks: dict[str, object]) -> bool:
    """The projectors' part of readiness, from their status rows; what it found goes into ``checks``."""
    try:
        with unavailable_as("projector status"):
            projectors = await app[READ_MODELS].readiness()
    except DatabaseUnavailable as e:
        checks["projectors"] = str(e)
        return False
    checks["projectors_caught_up"] = projectors.caught_up
    checks["projectors_ready"] = projectors.ready
    if projectors.waiting_for:
        checks["projectors_waiting_for"] = projectors.waiting_for
    if projectors.problem:
        checks["read_models"] = projectors.problem
    return projectors.ready


async def _database_answers(app: web.Application) -> None:
    with unavailable_as("database"):
        async with app[READ_DB].acquire(timeout=app[SETTINGS].pool_acquire_timeout_s) as conn:
            await conn.fetchval("SELECT 1")


async def projections_status(request: web.Request) -> web.Response:
    """Each projector as its owner last published it (``stale`` when that was a while ago), the
    processes that project, and their watchers' record summed up."""
    (await authenticate(request)).require("read")
    models = request.app[READ_MODELS]
    with unavailable_as("projector status"):
        items = await models.stats()
        processes = await models.processes()
    return json_response(
        {
            "items": [dataclasses.asdict(s) for s in items],
            "processes": [dataclasses.asdict(p) for p in processes],
            "end_watcher": _watchers(processes),
        }
    )


def _watchers(processes: list[ProcessStatus]) -> dict[str, object]:
    """Every live process's end watcher in one record: restarts and retries summed, the latest error."""
    views = [p.watcher for p in processes]
    latest = max(views, key=lambda v: str(v.get("last_error_at") or ""), default={})
    states = {str(v.get("state")) for v in views}
    return {
        "restarts": sum(int(v.get("restarts", 0)) for v in views),
        "retries": sum(int(v.get("retries", 0)) for v in views),
        "last_error": latest.get("last_error"),
        "last_error_at": latest.get("last_error_at"),
        "state": next((s for s in ("dead", "restarting", "retrying") if s in states), "running"),
    }


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
