"""What every read route shares: waiting for ``min_position``, a connection of the read pool,
the ``X-Ledger-Position`` header and list pages. Query parameters and cursors are read by
``ledger.http.query``.

Which tables are live and how far they are comes from ``READ_MODELS`` (PostgreSQL, whichever
process projects them); the position is taken before the read, so the header is never
ahead of the rows the read sees.

A read that the database cannot answer now (lost, refusing, too slow for the statement
timeout, no pooled connection free in time, its tables dropped by an online rebuild) is a
``DatabaseUnavailable``: 503 with Retry-After, never a 500. A read that found its tables
gone has the live rows read again, so the next one reads the tables that replaced them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
from aiohttp import web

from ledger.http.auth import authenticate
from ledger.http.keys import READ_DB, READ_MODELS, SETTINGS
from ledger.http.problems import Problem
from ledger.http.query import Query, cursor_for
from ledger.log import Position
from ledger.readmodels import ReadModels
from ledger.store import Connection, DatabaseUnavailable, unavailable_as

_GONE = (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError)

DEFAULT_WAIT_MS = 5000
MAX_WAIT_MS = 60_000


def page(items: list[dict[str, Any]], limit: int, key: list[str]) -> dict[str, Any]:
    """A list answer; ``items`` holds up to limit + 1 rows, the extra one only says there is more."""
    more = len(items) > limit
    items = items[:limit]
    cursor = cursor_for([items[-1][k] for k in key]) if more and items else None
    return {"items": items, "cursor": cursor}


@dataclass
class ReadScope:
    """A read's connection, the live schema of the read model it reads (``schema``; of each
    of them by name in ``schemas`` when it reads several), and the position it reflects."""

    conn: Connection
    schema: str
    position: Position
    query: Query
    schemas: Mapping[str, str] = field(default_factory=dict)

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
    async with reading_all(request, (projection,), scope=scope) as found:
        yield found


@asynccontextmanager
async def reading_all(
    request: web.Request, projections: Sequence[str], *, scope: str = "read"
) -> AsyncIterator[ReadScope]:
    """``reading`` of several read models in one answer: ``min_position`` waits for every one
    of them (in the one ``wait_ms``), and the position it reflects is the least of theirs, so
    the header is never ahead of the rows of any of them."""
    (await authenticate(request)).require(scope)
    models = request.app[READ_MODELS]
    query = Query(request)
    wait_ms = query.integer("wait_ms", default=DEFAULT_WAIT_MS, low=0, high=MAX_WAIT_MS)
    token = request.query.get("min_position")
    if token is not None:
        target = Position.from_token(token)
        reached = await asyncio.gather(*(models.wait_for(p, target, wait_ms / 1000) for p in projections))
        if behind := [p for p, done in zip(projections, reached, strict=True) if not done]:
            raise Problem(
                503,
                "not-caught-up",
                f"the {', '.join(behind)} read model{'s have' if len(behind) > 1 else ' has'} "
                f"not reached min_position within {wait_ms} ms",
            )
    # Schemas and position of one moment, taken before the read: it sees at least that much.
    position = models.position_of(projections)
    schemas = {p: models.schema(p) for p in projections}
    what = ", ".join(projections)
    timeout = request.app[SETTINGS].pool_acquire_timeout_s
    try:
        with unavailable_as(f"reading {what}"):
            async with request.app[READ_DB].acquire(timeout=timeout) as conn:
                yield ReadScope(conn, schemas[projections[0]], position, query, schemas)
    except DatabaseUnavailable as e:
        if isinstance(e.__cause__, _GONE):
            await _refreshed(models)
        raise


async def _refreshed(models: ReadModels) -> None:
    """The live rows read again, if the database answers (the read is a 503 either way)."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(models.refresh(), 2.0)
