"""Inventory reads: ``GET /v1/inventory`` (levels, now or ``as_of`` a business time) and
``GET /v1/inventory/{sku}/movements`` (the stock ledger of one product, in business-time order).

Both page by opaque cursors: levels by (sku, location_id), the ledger by each row's place in
business-time order. A cursor that does not decode to such a place is a 400.
"""

from __future__ import annotations

import re

from aiohttp import web

from ledger.http.problems import Problem
from ledger.http.query import ID, cursor_for, identifier, instant, matching, whole
from ledger.http.reads import page, reading
from projections import inventory
from projections.inventory import LedgerPlace
from projections.inventory.movements import DESTINATION_LEG, SOURCE_LEG

_STREAM = re.compile(r"stock:[A-Za-z0-9._-]{1,64}@[A-Za-z0-9._-]{1,64}")
_LEVEL_CURSOR = (identifier, identifier)  # (sku, location_id)
_LEDGER_CURSOR = (instant, matching(_STREAM), whole(1, 2**31 - 1), whole(SOURCE_LEG, DESTINATION_LEG))


async def stock_levels(request: web.Request) -> web.Response:
    async with reading(request, "inventory") as scope:
        query = scope.query
        sku = query.text("sku")
        location_id = query.text("location_id")
        below_reorder = query.flag("below_reorder")
        as_of = query.time("as_of")
        limit = query.limit()
        cursor = query.cursor(*_LEVEL_CURSOR)
        after = None if cursor is None else (cursor[0], cursor[1])
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
    if not ID.fullmatch(sku):
        raise Problem(404, "unknown-product", f"no product {sku!r}")
    async with reading(request, "inventory") as scope:
        query = scope.query
        location_id = query.text("location_id")
        start = query.time("from")
        end = query.time("to")
        limit = query.limit()
        cursor = query.cursor(*_LEDGER_CURSOR)
        after = None if cursor is None else LedgerPlace(*cursor)
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
        following = None
        if more and rows:
            last = rows[-1].place
            following = cursor_for([last.occurred_at.isoformat(), last.stream, last.version, last.leg])
        return scope.json({"items": [dict(row.entry) for row in rows], "cursor": following})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/inventory", stock_levels)
    app.router.add_get("/v1/inventory/{sku}/movements", stock_movements)
