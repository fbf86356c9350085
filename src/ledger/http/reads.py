"""What every read route shares: waiting for ``min_position``, the ``X-Ledger-Position``
header, strict query parameters (422 on bad ones) and opaque list cursors."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from aiohttp import web

from ledger.http.auth import authenticate
from ledger.http.keys import DB, RUNTIME
from ledger.http.problems import Problem
from ledger.log import Position
from ledger.store import Connection

DEFAULT_WAIT_MS = 5000
MAX_WAIT_MS = 60_000
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _bad(name: str, msg: str) -> Problem:
    return Problem(
        422,
        "validation-failed",
        f"query parameter {name!r}: {msg}",
        errors=[{"loc": ["query", name], "msg": msg}],
    )


class Query:
    """Typed, validated access to a request's query parameters."""

    def __init__(self, request: web.Request) -> None:
        self._params = request.query

    def text(
        self, name: str, *, pattern: re.Pattern[str] | None = _ID, default: str | None = None
    ) -> str | None:
        value = self._params.get(name)
        if value is None:
            return default
        if pattern is not None and not pattern.fullmatch(value):
            raise _bad(name, "not a valid value")
        return value

    def choice(self, name: str, options: tuple[str, ...], default: str | None = None) -> str | None:
        value = self._params.get(name)
        if value is None:
            return default
        if value not in options:
            raise _bad(name, f"one of {', '.join(options)}")
        return value

    def flag(self, name: str) -> bool | None:
        value = self._params.get(name)
        if value is None:
            return None
        if value.lower() not in ("true", "false", "1", "0"):
            raise _bad(name, "true or false")
        return value.lower() in ("true", "1")

    def integer(self, name: str, *, default: int, low: int, high: int) -> int:
        value = self._params.get(name)
        if value is None:
            return default
        if not re.fullmatch(r"-?[0-9]{1,9}", value) or not low <= int(value) <= high:
            raise _bad(name, f"a whole number from {low} to {high}")
        return int(value)

    def decimal(self, name: str) -> Decimal | None:
        value = self._params.get(name)
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation as e:
            raise _bad(name, "a decimal number") from e
        if not number.is_finite() or len(value) > 40:
            raise _bad(name, "a decimal number")
        return number

    def time(self, name: str) -> datetime | None:
        """An RFC 3339 time with offset (``Z`` or ``+01:00``); a date alone means its midnight UTC."""
        value = self._params.get(name)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value.replace(" ", "+"))
        except ValueError as e:
            raise _bad(name, "an RFC 3339 time such as 2026-11-02T09:00:00Z") from e
        if moment.tzinfo is None:
            if len(value) == 10:
                return datetime.fromisoformat(value + "T00:00:00+00:00")
            raise _bad(name, "a time with its offset, such as 2026-11-02T09:00:00Z")
        try:
            moment.astimezone(UTC)  # the database stores UTC: year 1 at +01:00 has no such time
        except OverflowError as e:
            raise _bad(name, "a time within years 1 to 9999 in UTC") from e
        return moment

    def limit(self) -> int:
        return self.integer("limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)

    def cursor(self) -> list[Any] | None:
        value = self._params.get("cursor")
        if value is None:
            return None
        try:
            decoded = orjson.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        except (binascii.Error, ValueError) as e:
            raise Problem(400, "invalid-cursor", "the cursor is not one this ledger issued") from e
        if not isinstance(decoded, list):
            raise Problem(400, "invalid-cursor", "the cursor is not one this ledger issued")
        return decoded


def cursor_for(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def page(items: list[dict[str, Any]], limit: int, key: list[str]) -> dict[str, Any]:
    """A list answer; ``items`` holds up to limit + 1 rows, the extra one only says there is more."""
    more = len(items) > limit
    items = items[:limit]
    cursor = cursor_for([items[-1][k] for k in key]) if more and items else None
    return {"items": items, "cursor": cursor}


@dataclass
class ReadScope:
    conn: Connection
    schema: str
    position: Position
    query: Query

    def json(self, body: object) -> web.Response:
        return web.Response(
            body=orjson.dumps(body, default=_default, option=orjson.OPT_UTC_Z),
            content_type="application/json",
            headers={"X-Ledger-Position": self.position.token()},
        )


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot encode {type(value).__name__}")


@asynccontextmanager
async def reading(request: web.Request, projection: str, *, scope: str = "read") -> AsyncIterator[ReadScope]:
    """Authenticate, wait for ``min_position`` if asked, and lend a connection to the live tables."""
    (await authenticate(request)).require(scope)
    runtime = request.app[RUNTIME]
    query = Query(request)
    wait_ms = query.integer("wait_ms", default=DEFAULT_WAIT_MS, low=0, high=MAX_WAIT_MS)
    token = request.query.get("min_position")
    if token is not None:
        target = Position.from_token(token)
        if not await runtime.wait_for(projection, target, wait_ms / 1000):
            raise Problem(
                503,
                "not-caught-up",
                f"the {projection} read model has not reached min_position within {wait_ms} ms",
            )
    position = runtime.position(projection)
    async with request.app[DB].acquire() as conn:
        yield ReadScope(conn, runtime.read_schema(projection), position, query)
