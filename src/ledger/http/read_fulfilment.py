"""``GET /v1/sales/fulfilment?from&to&dimension``: per key, the orders promised in [from, to)
and how many of them were delivered on time, shipped in full, or both, and the mean days from
placing to the last shipment of those shipped in full.

``from`` and ``to`` are RFC 3339 times or dates (a date is its start in LEDGER_TIMEZONE);
either may be left out for a window open at that end. The list never pages: it has a key per
channel or team at most.
"""

from __future__ import annotations

import dataclasses
from typing import Final, Literal

from aiohttp import web

from ledger.http.described import Answer, Days2, Pct2, ReadRoute, param
from ledger.http.query import invalid
from ledger.http.reads import reading
from projections import fulfilment

_TIME: Final = {"type": "string", "format": "date-time"}


class FulfilmentItem(Answer):
    """One key's fulfilment over the orders promised in the window."""

    key: str
    orders: int
    on_time_pct: Pct2 | None
    in_full_pct: Pct2 | None
    otif_pct: Pct2 | None
    mean_days_to_ship: Days2 | None


class FulfilmentAnswer(Answer):
    items: list[FulfilmentItem]
    cursor: Literal[None] = None


ROUTE: Final = ReadRoute(
    path="/v1/sales/fulfilment",
    summary="Orders delivered on time and in full against their promise, per key",
    answer_model=FulfilmentAnswer,
    params=(
        param("from", _TIME, "orders promised at or after this time or date"),
        param("to", _TIME, "orders promised before this time or date"),
        param("dimension", {"type": "string", "enum": list(fulfilment.DIMENSIONS)}, "default total (key *)"),
    ),
)


async def read(request: web.Request) -> web.Response:
    async with reading(request, fulfilment.PROJECTION.name) as scope:
        query = scope.query
        start, end = query.time("from"), query.time("to")
        if start is not None and end is not None and end < start:
            raise invalid("to", "the end comes before the start")
        dimension = query.choice("dimension", fulfilment.DIMENSIONS, "total") or "total"
        figures = await fulfilment.fulfilment(
            scope.conn, scope.schema, start=start, end=end, dimension=dimension
        )
        items = [dataclasses.asdict(item) for item in figures]
        return ROUTE.answer(scope, {"items": items, "cursor": None})


def add_routes(app: web.Application) -> None:
    app.router.add_get(ROUTE.path, read)
