"""``POST /v1/commands/{name}`` and the batch ``POST /v1/commands``.

A body goes through four gates before it reaches the writer, each with its own status:
size (413), media type (415), JSON read exactly, decimals included (400), and the command's
schema (422). Then scope (403), and the writer decides (201, 409 or 503).

Every command answered is counted in ``ledger_commands`` by name and outcome (``accepted``,
``rejected`` for a business rule's 409, ``invalid`` for any other 4xx, ``unavailable`` for a
503), each item of a batch on its own; the request's log context carries the ``command``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
import structlog
from aiohttp import web

from ledger.http.auth import Principal, authenticate
from ledger.http.keys import METRICS, WRITER
from ledger.http.problems import Problem, problem_for
from ledger.http.responses import json_response
from ledger.writer import CommandRequest, CommandResult, WriterUnavailable
from schemas import COMMANDS, command_class, loads, parse_command

MAX_BATCH_ITEMS = 1000
_KEY = re.compile(r"[\x21-\x7e]{1,200}")
_CORRELATION = re.compile(r"[A-Za-z0-9._:-]{1,128}")


async def read_json(request: web.Request) -> Any:
    content_type = request.content_type
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise Problem(415, "unsupported-media-type", "send the body as application/json")
    raw = await request.read()
    if not raw:
        raise Problem(400, "malformed-json", "the body is empty")
    try:
        # json.loads would let UTF-8-encoded surrogates through ("surrogatepass"); they are not UTF-8.
        raw.decode(json.detect_encoding(raw))
    except UnicodeDecodeError as e:
        raise Problem(400, "malformed-json", f"the body is not valid Unicode: {e.reason}") from e
    try:
        return loads(raw)
    except ArithmeticError as e:  # decimal.InvalidOperation: an exponent beyond any Decimal
        raise Problem(400, "malformed-json", "a number in the body is out of range") from e


def _as_sent(body: dict[str, Any]) -> Any:
    """The body in plain JSON values (decimals as their text), for the idempotency digest."""
    return orjson.loads(orjson.dumps(body, default=str))


def _idempotency_key(value: str | None) -> str | None:
    if value is not None and not _KEY.fullmatch(value):
        raise Problem(
            400, "invalid-idempotency-key", "an Idempotency-Key is 1 to 200 visible ASCII characters"
        )
    return value


def _correlation_id(request: web.Request) -> str | None:
    value = request.headers.get("X-Correlation-Id")
    if value is not None and not _CORRELATION.fullmatch(value):
        raise Problem(400, "invalid-correlation-id", "X-Correlation-Id is 1 to 128 of [A-Za-z0-9._:-]")
    return value


def _prepare(
    principal: Principal,
    name: str,
    body: Any,
    idempotency_key: str | None,
    correlation_id: str | None,
) -> CommandRequest:
    """One command checked for scope and schema, ready for the writer (or a Problem)."""
    command_type = command_class(name)
    principal.require(f"{command_type.area}:write")
    if not isinstance(body, dict):
        raise Problem(
            422,
            "validation-failed",
            "the command body must be a JSON object",
            errors=[{"loc": ["body"], "msg": "must be a JSON object"}],
        )
    command = parse_command(name, body)
    as_sent = None if idempotency_key is None else _as_sent(body)  # only a keyed command is digested
    return CommandRequest(name, command, principal.name, as_sent, idempotency_key, correlation_id)


def outcome(status: int) -> str:
    """How a command's answer is counted."""
    if status < 300:
        return "accepted"
    if status == 409:
        return "rejected"
    if status == 503:
        return "unavailable"
    return "invalid" if status < 500 else "failed"


def counted_name(name: object) -> str:
    """The name a command is counted and logged under: names nobody can register are one."""
    return name if isinstance(name, str) and name in COMMANDS else "unknown"


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
    idempotency_key = _idempotency_key(request.headers.get("Idempotency-Key"))
    correlation_id = _correlation_id(request)
    command_class(name)  # an unknown command is a 404 before the body is read
    body = await read_json(request)
    command = _prepare(principal, name, body, idempotency_key, correlation_id)
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
        return _prepare(principal, item["name"], item.get("body"), _idempotency_key(key), correlation_id)
    except Exception as error:
        return error


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/commands", post_batch)
    app.router.add_post("/v1/commands/{name}", post_command)
