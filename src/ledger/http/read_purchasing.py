"""Read routes of the purchasing read model (scope ``read``), described by their answer models.

- ``GET /v1/purchasing/orders?status&supplier_id&overdue&as_of``: purchase orders as they
  stood at ``as_of`` (default now), paged by po id.
- ``GET /v1/suppliers/scorecard?from&to&as_of``: per supplier, delivery of the PO lines due
  in ``[from, to)`` and the incoming inspections of its lots recorded there, judged at
  ``as_of`` (default now), paged by supplier id.

``from``/``to``/``as_of`` take RFC 3339 times or dates (a date is its start in
LEDGER_TIMEZONE); ``to`` must come after ``from``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, Literal

from aiohttp import web

from ledger.http.described import Answer, Days2, Money2, Pct2, QtyText, Rate6, ReadRoute, param
from ledger.http.query import Query, identifier, invalid
from ledger.http.reads import page, reading
from projections import purchasing

_ID: Final = {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}
# As the v1 routes say it; a date (its start in LEDGER_TIMEZONE) is taken too.
_TIME: Final = {"type": "string", "format": "date-time"}
_PAGING: Final = (
    param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
    param("cursor", {"type": "string"}, "where the previous page ended"),
)


class PurchaseOrderLine(Answer):
    line_no: int
    sku: str
    ordered: QtyText
    received: QtyText
    cancelled: QtyText
    open: QtyText


class PurchaseOrder(Answer):
    po_id: str
    supplier_id: str
    deliver_to: str
    expected_at: datetime
    status: Literal["open", "received", "cancelled"]
    amount: Money2
    lines: list[PurchaseOrderLine]
    overdue: bool


class PurchaseOrders(Answer):
    items: list[PurchaseOrder]
    cursor: str | None


class SupplierScore(Answer):
    supplier_id: str
    lines: int
    on_time_pct: Pct2 | None
    in_full_pct: Pct2 | None
    otif_pct: Pct2 | None
    lead_time_days: Days2 | None
    inspected_units: int
    defective_units: int
    defect_rate: Rate6 | None
    rejected_lots: int


class SupplierScorecard(Answer):
    items: list[SupplierScore]
    cursor: str | None


ORDERS = ReadRoute(
    path="/v1/purchasing/orders",
    summary="Purchase orders with their lines, status and whether they are overdue, as of a time",
    answer_model=PurchaseOrders,
    params=(
        param("status", {"type": "string", "enum": list(purchasing.STATUSES)}),
        param("supplier_id", _ID),
        param("overdue", {"type": "boolean"}, "open quantity left after expected_at"),
        param("as_of", _TIME, "judge at this business time (default now)"),
        *_PAGING,
    ),
)
SCORECARD = ReadRoute(
    path="/v1/suppliers/scorecard",
    summary="Per supplier: delivery of PO lines due in [from, to) and the incoming quality of its lots",
    answer_model=SupplierScorecard,
    params=(
        param("from", _TIME, "lines expected and inspections recorded from this time on"),
        param("to", _TIME, "and before this time"),
        param("as_of", _TIME, "judge at this business time (default now)"),
        *_PAGING,
    ),
)
ROUTES: Final = (ORDERS, SCORECARD)


def _as_of(query: Query) -> datetime:
    return query.time("as_of") or datetime.now(UTC)


def _after(query: Query) -> str | None:
    cursor = query.cursor(identifier)
    return None if cursor is None else str(cursor[0])


async def purchase_orders(request: web.Request) -> web.Response:
    async with reading(request, "purchasing") as scope:
        query = scope.query
        filters = purchasing.OrderFilters(
            status=query.choice("status", purchasing.STATUSES),
            supplier_id=query.text("supplier_id"),
            overdue=query.flag("overdue"),
            after=_after(query),
        )
        as_of, limit = _as_of(query), query.limit()
        items = await purchasing.purchase_orders(
            scope.conn, scope.schema, as_of=as_of, filters=filters, limit=limit + 1
        )
        return ORDERS.answer(scope, page(items, limit, ["po_id"]))


async def supplier_scorecard(request: web.Request) -> web.Response:
    async with reading(request, "purchasing") as scope:
        query = scope.query
        start, end = query.time("from"), query.time("to")
        if start is not None and end is not None and end <= start:
            raise invalid("to", "must be after from")
        window = purchasing.Window(start=start, end=end, as_of=_as_of(query))
        after, limit = _after(query), query.limit()
        items = await purchasing.scorecard(scope.conn, scope.schema, window, after=after, limit=limit + 1)
        return SCORECARD.answer(scope, page(items, limit, ["supplier_id"]))


def add_routes(app: web.Application) -> None:
    app.router.add_get(ORDERS.path, purchase_orders)
    app.router.add_get(SCORECARD.path, supplier_scorecard)
