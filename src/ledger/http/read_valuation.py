"""Stock valuation and reorder suggestions, read from the inventory read model:
``GET /v1/inventory/valuation`` and ``GET /v1/purchasing/suggestions``.

Both are lists paged by (sku, location_id). A suggestion's ``suggested_qty`` is the smallest
multiple of the reorder quantity that lifts projected stock above the reorder point, worked
out here in exact decimals; with no reorder quantity to count in (a product registered with a
reorder point alone) it is null. ``supplier_id`` names the supplier of the sku's most recently
placed PO at any location, cancelled ones included.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Final

from aiohttp import web

from ledger.http.described import Answer, Money2, QtyText, ReadRoute, UnitCost4, param
from ledger.http.query import identifier, invalid
from ledger.http.reads import page, reading
from projections import inventory

_LEVEL_CURSOR = (identifier, identifier)  # (sku, location_id)
# A product's category as any version of register-product took it: up to 500 characters (ids
# before v1.1, free text since), trimmed, no control characters but tabs and line breaks.
_CATEGORY: Final = re.compile(r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]{1,500}")
_ID: Final = {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}
_PAGING: Final = (
    param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
    param("cursor", {"type": "string"}, "where the previous page ended"),
)


class ValuedStock(Answer):
    sku: str
    location_id: str
    on_hand: QtyText
    unit_cost: UnitCost4
    value: Money2


class ValuationAnswer(Answer):
    items: list[ValuedStock]
    cursor: str | None
    total_value: Money2


class Suggestion(Answer):
    sku: str
    location_id: str
    available: QtyText
    on_order: QtyText
    projected: QtyText
    reorder_point: QtyText
    reorder_qty: QtyText | None
    suggested_qty: QtyText | None
    supplier_id: str | None


class SuggestionsAnswer(Answer):
    items: list[Suggestion]
    cursor: str | None


VALUATION = ReadRoute(
    "/v1/inventory/valuation",
    "Stock on hand at its moving-average cost, and the total value",
    ValuationAnswer,
    (
        param("location_id", _ID),
        param("category", {"type": "string", "minLength": 1, "maxLength": 500}, "the product's category"),
        param("as_of", {"type": "string", "format": "date-time"}, "the valuation at this business time"),
        *_PAGING,
    ),
)

SUGGESTIONS = ReadRoute(
    "/v1/purchasing/suggestions",
    "What to reorder: levels with a reorder point whose projected stock is at or below it",
    SuggestionsAnswer,
    (param("location_id", _ID), *_PAGING),
)


def _encodable(text: str) -> bool:
    """Whether the database can take ``text`` (a lone surrogate it cannot)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def suggested_qty(projected: Decimal, reorder_point: Decimal, reorder_qty: Decimal | None) -> Decimal | None:
    """The smallest multiple of ``reorder_qty`` that brings ``projected`` above ``reorder_point``."""
    if reorder_qty is None:
        return None
    multiples = (reorder_point - projected) // reorder_qty + 1
    return multiples * reorder_qty


async def stock_valuation(request: web.Request) -> web.Response:
    async with reading(request, "inventory") as scope:
        query = scope.query
        location_id = query.text("location_id")
        category = query.raw("category")
        if category is not None:
            category = category.strip()
            if not _CATEGORY.fullmatch(category) or not _encodable(category):
                raise invalid("category", "1 to 500 characters of text, no control characters")
        as_of = query.time("as_of")
        limit = query.limit()
        cursor = query.cursor(*_LEVEL_CURSOR)
        found = await inventory.valuation(
            scope.conn,
            scope.schema,
            location_id=location_id,
            category=category,
            as_of=as_of,
            after=None if cursor is None else (cursor[0], cursor[1]),
            limit=limit + 1,
        )
        listed = page([dict(item) for item in found.items], limit, ["sku", "location_id"])
        return VALUATION.answer(scope, {**listed, "total_value": found.total_value})


async def purchase_suggestions(request: web.Request) -> web.Response:
    async with reading(request, "inventory") as scope:
        query = scope.query
        location_id = query.text("location_id")
        limit = query.limit()
        cursor = query.cursor(*_LEVEL_CURSOR)
        rows = await inventory.reordering(
            scope.conn,
            scope.schema,
            location_id=location_id,
            after=None if cursor is None else (cursor[0], cursor[1]),
            limit=limit + 1,
        )
        suppliers = await inventory.last_suppliers(scope.conn, scope.schema, sorted({r["sku"] for r in rows}))
        items: list[dict[str, Any]] = [
            {
                **row,
                "suggested_qty": suggested_qty(row["projected"], row["reorder_point"], row["reorder_qty"]),
                "supplier_id": suppliers.get(row["sku"]),
            }
            for row in rows
        ]
        return SUGGESTIONS.answer(scope, page(items, limit, ["sku", "location_id"]))


def add_routes(app: web.Application) -> None:
    app.router.add_get(VALUATION.path, stock_valuation)
    app.router.add_get(SUGGESTIONS.path, purchase_suggestions)
