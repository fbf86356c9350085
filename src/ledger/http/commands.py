"""``POST /v1/commands/{name}`` and the batch ``POST /v1/commands``.

A body goes through four gates before it reaches the writer, each with its own status:
size (413), media type (415), JSON read exactly, decimals included (400), and the command's
schema (422). Then scope (403), and the writer decides (201, 409 or 503). The gates a
command topic's record passes too are ``ledger.http.gates``.

Every command answered is counted in ``ledger_commands`` by name and outcome (``accepted``,
``rejected`` for a business rule's 409, ``invalid`` for any other 4xx, ``unavailable`` for a
503), each item of a batch on its own; the request's log context carries the ``command``.
"""

from __future__ import annotations

import re
from typing import Any

import structlog
from aiohttp import web

from ledger.http.auth import Principal, authenticate
from ledger.http.gates import counted_name, decode_json, idempotency_key, outcome, prepare
from ledger.http.keys import METRICS, WRITER
from ledger.http.problems import Problem, problem_for
from ledger.http.responses import json_response
from ledger.writer import CommandRequest, CommandResult, WriterUnavailable
from schemas import command_class

MAX_BATCH_ITEMS = 1000
_CORRELATION = re.compile(r"[A-Za-z0-9._:-]{1,128}")


async def read_json(request: web.Request) -> Any:
    content_type = request.content_type
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise Problem(415, "unsupported-media-type", "send the body as application/json")
    return decode_json(await request.read())


def _correlation_id(request: web.Request) -> str | None:
    value = request.headers.get("X-Correlation-Id")
    if value is not None and not _CORRELATION.fullmatch(value):
        raise Problem(400, "invalid-correlation-id", "X-Correlation-Id is 1 to 128 of [A-Za-z0-9._:-]")
    return value


def _count(request: web.Request, name: object, status: int) -> None:
    request.app[METRICS].commands.labels(command=counted_name(name), outcome=outcome(status)).inc()


async def post_command(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    structlog.contextvars.bind_contextvars(command=counted_name(name))
    try:
        response = await _decide_one(request, name)
    except Exception as error:
        _count(request, name, int(problem_for(error)[0]["status"]))
        raise
    _count(request, name, response.status)
    return response


async def _decide_one(request: web.Request, name: str) -> web.Response:
    principal = await authenticate(request)
    key = idempotency_key(request.headers.get("Idempotency-Key"))
    correlation_id = _correlation_id(request)
    command_class(name)  # an unknown command is a 404 before the body is read
    body = await read_json(request)
    command = prepare(principal, name, body, key, correlation_id)
    result = await request.app[WRITER].submit(command)
    return json_response(result.body(), 201)


async def post_batch(request: web.Request) -> web.Response:
    structlog.contextvars.bind_contextvars(command="batch")
    principal = await authenticate(request)
    correlation_id = _correlation_id(request)
    items = await read_json(request)
    if not isinstance(items, list):
        raise Problem(
            422,
            "validation-failed",
            "the body must be a JSON array of commands",
            errors=[{"loc": ["body"], "msg": "must be a JSON array"}],
        )
    if len(items) > MAX_BATCH_ITEMS:
        raise Problem(413, "too-many-commands", f"at most {MAX_BATCH_ITEMS} commands in one batch")
    prepared = [_item(principal, item, correlation_id) for item in items]
    requests = [p for p in prepared if isinstance(p, CommandRequest)]
    # Queued in order, so the writer decides them in the order sent.
    try:
        outcomes = iter(await request.app[WRITER].submit_many(requests))
    except WriterUnavailable as e:  # each command answers for itself, as it would alone
        outcomes = iter([e] * len(requests))
    results = []
    for item, p in zip(items, prepared, strict=True):
        answer = next(outcomes) if isinstance(p, CommandRequest) else p
        if isinstance(answer, CommandResult):
            status, body = 201, answer.body()
        else:
            body, _ = problem_for(answer)
            status = int(body["status"])
        results.append({"status": status, "body": body})
        _count(request, item.get("name") if isinstance(item, dict) else None, status)
    return json_response({"results": results}, 207)


def _item(principal: Principal, item: Any, correlation_id: str | None) -> CommandRequest | BaseException:
    """One batch item ready for the writer, or the error that one command alone would get."""
    try:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("name"), str)
            or set(item) - {"name", "body", "idempotency_key"}
        ):
            raise Problem(
                422,
                "validation-failed",
                'each item is {"name", "body", "idempotency_key"?}',
                errors=[{"loc": ["body"], "msg": "not a command item"}],
            )
        key = item.get("idempotency_key")
        if key is not None and not isinstance(key, str):
            raise Problem(400, "invalid-idempotency-key", "idempotency_key must be a string")
        return prepare(principal, item["name"], item.get("body"), idempotency_key(key), correlation_id)
    except Exception as error:
        return error


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/commands", post_batch)
    app.router.add_post("/v1/commands/{name}", post_command)
