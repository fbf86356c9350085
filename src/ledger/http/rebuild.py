"""``POST /v1/projections/{name}/rebuild`` (scope ``admin``): an online rebuild of one read model.

The rebuild runs in the background of the serving process: a scratch runtime projects the
whole log into a schema of its own while the live projector and every reader go on as
before. Once it has caught up, the runtime hands it over (``ProjectorRuntime.adopt``): the
live projector pauses between two batches, the rebuilt tables, checkpoint and parked
messages become the live ones in one transaction (the live-schema row names them, so a
restarted server keeps them), reads turn to them, and the projector carries on there. The
replaced tables are dropped a grace period later, when readers already inside them are
done. ``GET`` on the same path tells how far the latest rebuild of that projection is.

One rebuild per projection at a time (409), and only while this process is the only one
following the projection (409 otherwise: another server would go on writing the replaced
tables). On shutdown a rebuild in progress is abandoned and its scratch tables dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from aiohttp import web

import projections
from ledger.http.auth import ADMIN, authenticate
from ledger.http.keys import DB, LOG, RUNTIME, SETTINGS
from ledger.http.problems import Problem
from ledger.http.responses import json_response
from ledger.projector import ProjectorRuntime, bookkeeping
from ledger.projector.rebuild import discard, drop_schemas, new_tag
from ledger.store import Projection

log = structlog.get_logger("ledger.http.rebuild")

GRACE_SECONDS = 10.0
"""How long replaced tables stay after a swap, for reads that started before it."""


@dataclass
class Rebuild:
    projection: str
    schema: str
    runtime: ProjectorRuntime = field(repr=False)
    state: str = "building"  # building, swapping, swapped, failed
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    replaced: str | None = None
    error: str | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def view(self) -> dict[str, Any]:
        stats = next(s for s in self.runtime.stats() if s.name == self.projection)
        return {
            "projection": self.projection,
            "state": self.state,
            "schema": self.schema,
            "replaced": self.replaced,
            "events": stats.events,
            "lag": stats.lag,
            "parked": stats.parked,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "error": self.error,
        }


class Rebuilds:
    """The app's rebuilds, the latest per projection, and replaced tables waiting to be dropped."""

    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self.grace = grace
        self.latest: dict[str, Rebuild] = {}
        self.starting = asyncio.Lock()  # a check and a start of one request, not two interleaved
        self._drops: dict[str, asyncio.Task[None]] = {}

    def running(self, name: str) -> bool:
        rebuild = self.latest.get(name)
        return rebuild is not None and rebuild.task is not None and not rebuild.task.done()

    def drop_later(self, app: web.Application, schema: str) -> None:
        self._drops[schema] = asyncio.create_task(self._drop(app, schema, self.grace))

    async def _drop(self, app: web.Application, schema: str, after: float) -> None:
        await asyncio.sleep(after)
        async with app[DB].acquire() as conn:
            await drop_schemas(conn, [schema])
        self._drops.pop(schema, None)

    async def close(self, app: web.Application) -> None:
        """Abandon rebuilds in progress; drop replaced tables now (no reader is left)."""
        running = [r.task for r in self.latest.values() if r.task is not None and not r.task.done()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        pending = list(self._drops)
        for task in self._drops.values():
            task.cancel()
        await asyncio.gather(*self._drops.values(), return_exceptions=True)
        async with app[DB].acquire() as conn:
            await drop_schemas(conn, pending)


REBUILDS = web.AppKey("rebuilds", Rebuilds)


def _projection(name: str) -> Projection:
    for projection in projections.ALL:
        if projection.name == name:
            return projection
    names = ", ".join(p.name for p in projections.ALL)
    raise Problem(404, "unknown-projection", f"no projection {name!r}: one of {names}")


async def start_rebuild(request: web.Request) -> web.Response:
    (await authenticate(request)).require(ADMIN)
    app = request.app
    projection = _projection(request.match_info["name"])
    name, rebuilds = projection.name, app[REBUILDS]
    async with rebuilds.starting:
        rebuild = await _start(app, projection)
        rebuilds.latest[name] = rebuild
    where = f"/v1/projections/{name}/rebuild"
    return json_response({**rebuild.view(), "watch": where}, 202, {"Location": where})


async def _start(app: web.Application, projection: Projection) -> Rebuild:
    name, runtime, settings = projection.name, app[RUNTIME], app[SETTINGS]
    if app[REBUILDS].running(name):
        raise Problem(409, "rebuild-running", f"a rebuild of {name} is already running")
    if not runtime.live(name):
        raise Problem(409, "version-building", f"a new version of {name} is building; it swaps in by itself")
    live_name = f"{settings.topic_prefix}:{name}"
    if not await runtime.locks.claim(live_name):
        raise Problem(
            409,
            "projection-shared",
            f"another process also follows {name} (ledger serve or ledger project): "
            "rebuild with all but one stopped, or stop them all and run `ledger replay`",
        )
    scratch = ProjectorRuntime(
        app[LOG],
        app[DB],
        [projection],
        settings.topic_prefix,
        scratch=new_tag("online"),
        batch_size=settings.projector_batch,
    )
    rebuild = Rebuild(name, scratch.schema(name), scratch)
    rebuild.task = asyncio.create_task(_run(app, rebuild, live_name), name=f"rebuild-{name}")
    return rebuild


async def rebuild_status(request: web.Request) -> web.Response:
    (await authenticate(request)).require("read")
    name = _projection(request.match_info["name"]).name
    rebuild = request.app[REBUILDS].latest.get(name)
    if rebuild is None:
        raise Problem(404, "no-rebuild", f"no rebuild of {name} since this server started")
    return json_response(rebuild.view())


async def _run(app: web.Application, rebuild: Rebuild, live_name: str) -> None:
    name, scratch = rebuild.projection, rebuild.runtime
    try:
        await scratch.start()
        log.info("rebuild_started", projection=name, schema=rebuild.schema)
        end = await app[LOG].end_position()
        while not await scratch.wait_for(name, end, timeout=1.0):
            continue  # the adopt below catches up the rest, with the live projector paused
        rebuild.state = "swapping"
        rebuild.replaced = await app[RUNTIME].adopt(name, scratch)
        rebuild.state = "swapped"
        if rebuild.replaced and rebuild.replaced != rebuild.schema:
            app[REBUILDS].drop_later(app, rebuild.replaced)
        log.info("rebuild_swapped_in", projection=name, schema=rebuild.schema, replaced=rebuild.replaced)
    except BaseException as e:
        rebuild.state, rebuild.error = "failed", repr(e)
        log.warning("rebuild_failed", projection=name, error=repr(e))
        with contextlib.suppress(Exception):
            await _abandon(app, rebuild, live_name)
        if not isinstance(e, Exception):
            raise
    finally:
        rebuild.finished_at = datetime.now(UTC)
        with contextlib.suppress(Exception):
            await app[RUNTIME].locks.unclaim(live_name)


async def _abandon(app: web.Application, rebuild: Rebuild, live_name: str) -> None:
    """Drop the scratch tables, unless a hand-over committed before the failure made them live."""
    async with app[DB].acquire() as conn:
        live = await bookkeeping.live_schema(conn, live_name)
    if live is None or live[0] != rebuild.schema:
        await discard(app[DB], rebuild.runtime, [rebuild.projection])
    else:
        await rebuild.runtime.stop()


async def _shutdown(app: web.Application) -> None:
    await app[REBUILDS].close(app)


def add_routes(app: web.Application) -> None:
    app[REBUILDS] = Rebuilds()
    app.on_shutdown.append(_shutdown)
    app.router.add_post("/v1/projections/{name}/rebuild", start_rebuild)
    app.router.add_get("/v1/projections/{name}/rebuild", rebuild_status)


def openapi_paths() -> dict[str, Any]:
    """This module's routes for ``/openapi.json``."""
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    problem = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}
    state = {"content": {"application/json": {"schema": {"type": "object"}}}}
    return {
        "/v1/projections/{name}/rebuild": {
            "post": {
                "summary": "Rebuild a read model online beside the live one and swap it in; scope admin",
                "operationId": "rebuild_projection",
                "parameters": [name],
                "responses": {
                    "202": {"description": "started; watch it at the Location", **state},
                    **{str(s): {"description": d, **problem} for s, d in _POST_PROBLEMS.items()},
                },
            },
            "get": {
                "summary": "How far the latest online rebuild of a read model is; scope read",
                "operationId": "rebuild_status",
                "parameters": [name],
                "responses": {
                    "200": {"description": "building, swapping, swapped or failed", **state},
                    **{str(s): {"description": d, **problem} for s, d in _GET_PROBLEMS.items()},
                },
            },
        }
    }


_POST_PROBLEMS = {401: "no or bad token", 403: "missing scope admin", 404: "unknown projection", 409: "busy"}
_GET_PROBLEMS = {401: "no or bad token", 403: "missing scope read", 404: "unknown projection or no rebuild"}
