"""Parked messages of a read model (scope ``admin``): list them, retry them, release them.

``GET /v1/projections/{name}/parked`` lists them in log order with the reason each was
parked (``stream`` narrows it to one stream). ``POST .../parked/retry`` applies them again
once their cause is fixed; ``POST .../parked/release`` drops them unapplied so that their
streams flow again, an operator's decision logged with the principal's name. Both take an
optional body ``{"stream": ...}`` (no body: every parked stream of the read model), are
carried out by the process that owns the read model, between two of its batches, or here
when no process projects it (``ledger.projector.actions``), and answer what was done stream
by stream. An owner that does not take the ask in time (it runs another version of the read
model, or is stuck) is a 409 saying so.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from aiohttp import web

import projections
from ledger.http.auth import ADMIN, authenticate
from ledger.http.commands import read_json
from ledger.http.keys import DB, DSN, SETTINGS
from ledger.http.problems import Problem
from ledger.http.query import Query
from ledger.http.responses import json_response
from ledger.projector import bookkeeping
from ledger.projector.actions import LogOnDemand, Refused, Target, carry_out
from ledger.projector.supervision import transient
from ledger.store import Projection

_MAX_STREAM = 500
_MAX_OFFSET = (1 << 63) - 1
_MAX_PARTITION = (1 << 31) - 1


ASK_WAIT = 30.0
"""How long the owner may take to carry out a retry or release (it does so within a second or two)."""


def _target(request: web.Request, name: str) -> Target:
    return Target(_projection(name), request.app[SETTINGS].topic_prefix)


def _projection(name: str) -> Projection:
    for projection in projections.ALL:
        if projection.name == name:
            return projection
    names = ", ".join(p.name for p in projections.ALL)
    raise Problem(404, "unknown-projection", f"no projection {name!r}: one of {names}")


def _valid_stream(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX_STREAM and value.isprintable()


def _bad(where: list[str], msg: str) -> Problem:
    return Problem(422, "validation-failed", f"{where[-1]}: {msg}", errors=[{"loc": where, "msg": msg}])


def _cursor(value: str | None) -> tuple[str, int, int] | None:
    if value is None:
        return None
    invalid = Problem(400, "invalid-cursor", "the cursor is not one this ledger issued")
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError) as e:
        raise invalid from e
    match decoded:
        case [str(topic), int(partition), int(offset)] if (
            0 < len(topic) <= 255
            and topic.isprintable()
            and 0 <= partition <= _MAX_PARTITION
            and 0 <= offset <= _MAX_OFFSET
        ):
            return topic, partition, offset
    raise invalid


def _cursor_for(row: bookkeeping.Parked) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(row.seq))).decode().rstrip("=")


@contextmanager
def _unavailable_as_503() -> Iterator[None]:
    """A database or log outage answers 503 with Retry-After, never 500."""
    try:
        yield
    except Exception as e:
        if isinstance(e, Problem) or not transient(e):
            raise
        raise Problem(503, "unavailable", f"the database or the log is unavailable: {e}") from e


async def list_parked(request: web.Request) -> web.Response:
    (await authenticate(request)).require(ADMIN)
    name = _projection(request.match_info["name"]).name
    query = Query(request)
    stream = request.query.get("stream")
    if stream is not None and not _valid_stream(stream):
        raise _bad(["query", "stream"], f"1 to {_MAX_STREAM} printable characters")
    limit = query.limit()
    after = _cursor(request.query.get("cursor"))
    key = _target(request, name).key
    with _unavailable_as_503():
        async with request.app[DB].acquire() as conn:
            rows = await bookkeeping.parked_page(conn, key, stream=stream, after=after, limit=limit + 1)
            count = await bookkeeping.parked_total(conn, key, stream)
    more = len(rows) > limit
    rows = rows[:limit]
    return json_response(
        {
            "projection": name,
            "count": count,
            "items": [_item(row) for row in rows],
            "cursor": _cursor_for(rows[-1]) if more and rows else None,
        }
    )


def _item(row: bookkeeping.Parked) -> dict[str, Any]:
    return {
        "topic": row.topic,
        "partition": row.partition,
        "offset": row.offset,
        "stream": row.stream,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "reason": row.reason,
        "parked_at": row.parked_at,
    }


async def retry_parked(request: web.Request) -> web.Response:
    return await _act(request, "retry")


async def release_parked(request: web.Request) -> web.Response:
    return await _act(request, "release")


async def _act(request: web.Request, action: str) -> web.Response:
    principal = await authenticate(request)
    principal.require(ADMIN)
    name = _projection(request.match_info["name"]).name
    stream = await _stream_in_body(request)
    app = request.app
    records = LogOnDemand(app[SETTINGS], app[DSN])  # opened only for rows parked without their record
    try:
        with _unavailable_as_503():
            outcome = await carry_out(
                app[DB],
                _target(request, name),
                action,
                stream,
                principal.name,
                read_back=records.read_back,
                wait=ASK_WAIT,
            )
    except Refused as e:
        raise Problem(409, "not-carried-out", str(e)) from e
    finally:
        await records.close()
    return json_response(outcome.as_json())


async def _stream_in_body(request: web.Request) -> str | None:
    """The optional body ``{"stream": ...}``; no body at all means every stream."""
    if not request.can_read_body:
        return None
    body = await read_json(request)
    if not isinstance(body, dict):
        raise _bad(["body"], 'a JSON object such as {"stream": "order:SO-1"}, or no body at all')
    if set(body) - {"stream"}:
        raise _bad(["body"], "only stream is allowed")
    stream = body.get("stream")
    if stream is not None and not _valid_stream(stream):
        raise _bad(["body", "stream"], f"1 to {_MAX_STREAM} printable characters")
    return stream


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/projections/{name}/parked", list_parked)
    app.router.add_post("/v1/projections/{name}/parked/retry", retry_parked)
    app.router.add_post("/v1/projections/{name}/parked/release", release_parked)


def openapi_paths() -> dict[str, Any]:
    """This module's routes for ``/openapi.json``."""
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    problem = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    text, count = {"type": "string"}, {"type": "integer", "minimum": 0}
    nullable = {"type": ["string", "null"]}
    item = {
        "type": "object",
        "properties": {
            "topic": text,
            "partition": count,
            "offset": count,
            "stream": text,
            "event_id": nullable,
            "event_type": nullable,
            "reason": text,
            "parked_at": {"type": "string", "format": "date-time"},
        },
    }
    listing = {
        "type": "object",
        "properties": {
            "projection": text,
            "count": count,
            "items": {"type": "array", "items": item},
            "cursor": nullable,
        },
    }
    outcome = {
        "type": "object",
        "properties": {
            "projection": text,
            "action": {"type": "string", "enum": ["retry", "release"]},
            "by": text,
            "applied": count,
            "released": count,
            "parked": count,
            "streams": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "stream": text,
                        "applied": count,
                        "released": count,
                        "parked": count,
                        "reason": nullable,
                    },
                },
            },
        },
    }
    body = {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"stream": {"type": "string", "minLength": 1, "maxLength": _MAX_STREAM}},
                    "additionalProperties": False,
                }
            }
        },
    }
    problems = {401: "no or bad token", 403: "missing scope admin", 404: "unknown projection"}
    post_problems = {
        **problems,
        400: "malformed JSON",
        409: "the owner of the read model did not carry it out in time",
        415: "not JSON",
        422: "a bad body",
        503: "database or log unavailable",
    }

    def post(action: str, summary: str) -> dict[str, Any]:
        return {
            "summary": summary,
            "operationId": f"{action}_parked",
            "parameters": [name],
            "requestBody": body,
            "responses": {
                "200": {
                    "description": "what was done, stream by stream",
                    "content": {"application/json": {"schema": outcome}},
                },
                **{str(s): {"description": d, **problem} for s, d in sorted(post_problems.items())},
            },
        }

    return {
        "/v1/projections/{name}/parked": {
            "get": {
                "summary": "A read model's parked messages in log order, with their reasons; scope admin",
                "operationId": "list_parked",
                "parameters": [
                    name,
                    {"name": "stream", "in": "query", "required": False, "schema": text},
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                    {"name": "cursor", "in": "query", "required": False, "schema": text},
                ],
                "responses": {
                    "200": {
                        "description": "parked messages",
                        "content": {"application/json": {"schema": listing}},
                    },
                    **{
                        str(s): {"description": d, **problem}
                        for s, d in sorted({**problems, 400: "bad cursor", 422: "bad parameter"}.items())
                    },
                },
            }
        },
        "/v1/projections/{name}/parked/retry": {
            "post": post("retry", "Apply a read model's parked messages again, in log order; scope admin")
        },
        "/v1/projections/{name}/parked/release": {
            "post": post("release", "Drop a read model's parked messages unapplied; scope admin")
        },
    }
