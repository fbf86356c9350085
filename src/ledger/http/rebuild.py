"""``POST /v1/projections/{name}/rebuild`` (scope ``admin``): an online rebuild of one read model.

Any API process takes the request and records it in the database (``rebuild_requests``);
the process that owns the projection carries it out (``ledger.projector.online``): a child
process projects the whole log into a scratch schema while the live projector and every
reader go on as before; once it has caught up, the live projector pauses between two
batches, the rebuilt tables, checkpoint and parked messages become the live ones in one
transaction (the live-schema row names them, so every process and every restart reads them
from then on), and the projector carries on there. The replaced tables are dropped a grace
period later, when readers already inside them are done. ``GET`` on the same path tells how
far the latest rebuild of that projection is, from the request's row.

One rebuild per projection at a time (409), and none while a new version of the read model
builds (409: it swaps in by itself). A request waits (``requested``) while no process owns
the projection. Should the owner stop or die, its rebuild is abandoned and its scratch
tables dropped (by it, or by the next owner), and the request says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

import projections
from ledger.http.auth import ADMIN, authenticate
from ledger.http.keys import DB, READ_MODELS, SETTINGS
from ledger.http.problems import Problem
from ledger.http.responses import json_response
from ledger.projector import rebuild_requests
from ledger.projector.scratch import new_tag
from ledger.store import Projection, schema_name, unavailable_as

GRACE_SECONDS = 10.0
"""How long replaced tables stay after a swap, for reads that started before it."""


@dataclass
class Options:
    grace: float = GRACE_SECONDS  # what this app asks of the owner that swaps the tables in


OPTIONS = web.AppKey("rebuild_options", Options)


def _projection(name: str) -> Projection:
    for projection in projections.ALL:
        if projection.name == name:
            return projection
    names = ", ".join(p.name for p in projections.ALL)
    raise Problem(404, "unknown-projection", f"no projection {name!r}: one of {names}")


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "projection": row["projection"].rsplit(":", 1)[1],
        "state": row["state"],
        "schema": row["schema_name"],
        "replaced": row["replaced"],
        "events": row["events"],
        "lag": row["lag"],
        "parked": row["parked"],
        "owner": row["owner"],
        "requested_at": row["requested_at"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "error": row["error"],
    }


async def start_rebuild(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    principal.require(ADMIN)
    app = request.app
    projection = _projection(request.match_info["name"])
    name, prefix = projection.name, app[SETTINGS].topic_prefix
    live = app[READ_MODELS].version(name)
    if live is not None and live != projection.version:
        raise Problem(409, "version-building", f"a new version of {name} is building; it swaps in by itself")
    tag = new_tag("online")
    schema = schema_name(prefix, name, projection.version, scratch=tag)
    grace = app[OPTIONS].grace
    with unavailable_as("recording the rebuild"):
        async with app[DB].acquire(timeout=app[SETTINGS].pool_acquire_timeout_s) as conn:
            row = await rebuild_requests.ask(
                conn, f"{prefix}:{name}", projection.version, schema, tag, principal.name, grace
            )
    if row is None:
        raise Problem(409, "rebuild-running", f"a rebuild of {name} is already running")
    where = f"/v1/projections/{name}/rebuild"
    return json_response({**_view(row), "watch": where}, 202, {"Location": where})


async def rebuild_status(request: web.Request) -> web.Response:
    (await authenticate(request)).require("read")
    app = request.app
    name = _projection(request.match_info["name"]).name
    with unavailable_as("reading the rebuild"):
        async with app[DB].acquire(timeout=app[SETTINGS].pool_acquire_timeout_s) as conn:
            row = await rebuild_requests.latest(conn, f"{app[SETTINGS].topic_prefix}:{name}")
    if row is None:
        raise Problem(404, "no-rebuild", f"no rebuild of {name} was ever asked for")
    return json_response(_view(row))


def add_routes(app: web.Application) -> None:
    app[OPTIONS] = Options()
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
                    "200": {"description": "requested, building, swapping, swapped or failed", **state},
                    **{str(s): {"description": d, **problem} for s, d in _GET_PROBLEMS.items()},
                },
            },
        }
    }


_POST_PROBLEMS = {
    401: "no or bad token",
    403: "missing scope admin",
    404: "unknown projection",
    409: "busy",
    503: "database unavailable",
}
_GET_PROBLEMS = {
    401: "no or bad token",
    403: "missing scope read",
    404: "unknown projection or no rebuild",
    503: "database unavailable",
}
