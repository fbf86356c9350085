"""Read routes of the service read model: complaints and their SLA clocks, as of a time.

``GET /v1/complaints`` lists complaints with their status, clocks and breaches as they stood
at ``as_of`` (default now); ``GET /v1/complaints/summary`` sums them per severity. Both judge
against the SLA hours of the settings (``LEDGER_SLA_HOURS``), read at query time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from ledger.http.keys import SETTINGS
from ledger.http.query import Query, identifier, instant, invalid
from ledger.http.reads import page, reading
from projections import service


def _as_of(query: Query) -> datetime:
    return query.time("as_of") or datetime.now(UTC)


def _after(query: Query) -> tuple[datetime, str] | None:
    """The (filed_at, complaint_id) the previous page ended on."""
    cursor = query.cursor(instant, identifier)
    return None if cursor is None else (cursor[0], cursor[1])


async def list_complaints(request: web.Request) -> web.Response:
    async with reading(request, "service") as scope:
        query = scope.query
        filters = service.Filters(
            status=query.choice("status", service.STATUSES),
            severity=query.choice("severity", service.SEVERITIES),
            breached=query.flag("breached"),
            after=_after(query),
        )
        as_of, limit = _as_of(query), query.limit()
        items = await service.complaints(
            scope.conn,
            scope.schema,
            as_of=as_of,
            sla=request.app[SETTINGS].sla_hours,
            filters=filters,
            limit=limit + 1,
        )
        return scope.json(page(items, limit, ["filed_at", "complaint_id"]))


async def complaint_summary(request: web.Request) -> web.Response:
    async with reading(request, "service") as scope:
        query = scope.query
        filed_from, filed_to, as_of = query.time("from"), query.time("to"), _as_of(query)
        if filed_from is not None and filed_to is not None and filed_to < filed_from:
            raise invalid("to", "must not be before 'from'")
        items = await service.summary(
            scope.conn,
            scope.schema,
            as_of=as_of,
            sla=request.app[SETTINGS].sla_hours,
            filed_from=filed_from,
            filed_to=filed_to,
        )
        return scope.json({"items": items, "cursor": None})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/complaints", list_complaints)
    app.router.add_get("/v1/complaints/summary", complaint_summary)
