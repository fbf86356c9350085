"""Inventory reads: ``GET /v1/inventory`` (levels, now or ``as_of`` a business time) and
``GET /v1/inventory/{sku}/movements`` (the stock ledger of one product, in business-time order).

Both page by opaque cursors: levels by (sku, location_id), the ledger by each row's place in
business-time order. A cursor that does not decode to such a place is a 400.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ledger.http.problems import Problem
from ledger.http.reads import cursor_for, page, reading
from projections import inventory
from projections.inventory import LedgerPlace
from projections.inventory.movements import DESTINATION_LEG, SOURCE_LEG

_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_STREAM = re.compile(r"stock:[A-Za-z0-9._-]{1,64}@[A-Za-z0-9._-]{1,64}")


def _foreign_cursor() -> Problem:
    return Problem(400, "invalid-cursor", "the cursor is not one this ledger issued")


def _level_after(cursor: list[Any] | None) -> tuple[str, str] | None:
    if cursor is None:
        return None
    match cursor:
        case [str(sku), str(location_id)] if _ID.fullmatch(sku) and _ID.fullmatch(location_id):
            return sku, location_id
    raise _foreign_cursor()


def _ledger_after(cursor: list[Any] | None) -> LedgerPlace | None:
    if cursor is None:
        return None
    match cursor:
        case [str(moment), str(stream), int(version), int(leg)] if (
            _STREAM.fullmatch(stream)
            and type(version) is int
            and type(leg) is int
            and 0 < version < 2**31
            and leg in (SOURCE_LEG, DESTINATION_LEG)
        ):
            try:
                occurred_at = datetime.fromisoformat(moment)
                occurred_at.astimezone(UTC)
            except (ValueError, OverflowError):
                raise _foreign_cursor() from None
            if occurred_at.tzinfo is not None:
                return LedgerPlace(occurred_at, stream, version, leg)
    raise _foreign_cursor()


async def stock_levels(request: web.Request) -> web.Response:
    async with reading(request, "inventory") as scope:
        query = scope.query
        sku = query.text("sku")
        location_id = query.text("location_id")
        below_reorder = query.flag("below_reorder")
        as_of = query.time("as_of")
        limit = query.limit()
        after = _level_after(query.cursor())
        items = await inventory.levels(
            scope.conn,
            scope.schema,
            sku=sku,
            location_id=location_id,
            below_reorder=below_reorder,
            as_of=as_of,
            after=after,
            limit=limit + 1,
        )
        return scope.json(page([dict(item) for item in items], limit, ["sku", "location_id"]))


async def stock_movements(request: web.Request) -> web.Response:
    sku = request.match_info["sku"]
    if not _ID.fullmatch(sku):
        raise Problem(404, "unknown-product", f"no product {sku!r}")
    async with reading(request, "inventory") as scope:
        query = scope.query
        location_id = query.text("location_id")
        start = query.time("from")
        end = query.time("to")
        limit = query.limit()
        after = _ledger_after(query.cursor())
        rows = await inventory.ledger(
            scope.conn,
            scope.schema,
            sku,
            location_id=location_id,
            start=start,
            end=end,
            after=after,
            limit=limit + 1,
        )
        if not rows and not await inventory.is_known_sku(scope.conn, scope.schema, sku):
            raise Problem(404, "unknown-product", f"no product {sku!r} and no movements of it")
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = None
        if more and rows:
            last = rows[-1].place
            cursor = cursor_for([last.occurred_at.isoformat(), last.stream, last.version, last.leg])
        return scope.json({"items": [dict(row.entry) for row in rows], "cursor": cursor})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/inventory", stock_levels)
    app.router.add_get("/v1/inventory/{sku}/movements", stock_movements)
