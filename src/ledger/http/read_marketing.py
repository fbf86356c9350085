"""Read routes of the marketing read model (scope ``read``), described by their answer models.

- ``GET /v1/marketing/campaigns?as_of``: every campaign launched by ``as_of`` (default: all,
  with everything known now), with its spend, leads, orders, revenue, cost per lead, ROAS and
  the share of its budget used, paged by campaign id.
- ``GET /v1/sales/funnel?from&to&dimension``: per channel (the default) or campaign (``none``
  for leads without one), the leads captured in ``[from, to)`` and how far they got, paged by
  key.

``from``/``to``/``as_of`` take RFC 3339 times or dates (a date is its start in
LEDGER_TIMEZONE); either end of the window may be left out for a window open at that end.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Final

from aiohttp import web

from ledger.http.described import Answer, Money2, Pct2, Ratio2, ReadRoute, param
from ledger.http.query import Query, identifier, invalid
from ledger.http.reads import page, reading
from projections import marketing
from schemas.marketing import Medium

_TIME: Final = {"type": "string", "format": "date-time"}
_PAGING: Final = (
    param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
    param("cursor", {"type": "string"}, "where the previous page ended"),
)


class CampaignItem(Answer):
    """A campaign as it stood at ``as_of``: money and percentages 2 places, null where undefined."""

    campaign_id: str
    name: str
    medium: Medium
    starts_on: date
    ends_on: date
    budget: Money2
    spend: Money2
    leads: int
    qualified: int
    won: int
    orders: int
    revenue: Money2
    cost_per_lead: Money2 | None
    roas: Ratio2 | None
    budget_used_pct: Pct2 | None


class Campaigns(Answer):
    items: list[CampaignItem]
    cursor: str | None


class FunnelItem(Answer):
    """One key's leads captured in the window and how far they got, as known now."""

    key: str
    leads: int
    qualified: int
    won: int
    lost: int
    open: int
    conversion_pct: Pct2 | None


class Funnel(Answer):
    items: list[FunnelItem]
    cursor: str | None


CAMPAIGNS: Final = ReadRoute(
    path="/v1/marketing/campaigns",
    summary="Campaigns with their spend, leads, orders, revenue, cost per lead, ROAS and budget used",
    answer_model=Campaigns,
    params=(
        param("as_of", _TIME, "leave out campaigns launched after it and count what happened by it"),
        *_PAGING,
    ),
)
FUNNEL: Final = ReadRoute(
    path="/v1/sales/funnel",
    summary="Per channel or campaign: leads captured in [from, to) and how many were qualified, won or lost",
    answer_model=Funnel,
    params=(
        param("from", _TIME, "leads captured at or after this time or date"),
        param("to", _TIME, "leads captured before this time or date"),
        param(
            "dimension",
            {"type": "string", "enum": list(marketing.DIMENSIONS)},
            f"default channel; under campaign, leads without one have the key {marketing.NO_CAMPAIGN}",
        ),
        *_PAGING,
    ),
)
ROUTES: Final = (CAMPAIGNS, FUNNEL)


def _after(query: Query) -> str | None:
    cursor = query.cursor(identifier)
    return None if cursor is None else str(cursor[0])


async def campaigns(request: web.Request) -> web.Response:
    async with reading(request, marketing.PROJECTION.name) as scope:
        query = scope.query
        as_of, after, limit = query.time("as_of"), _after(query), query.limit()
        found = await marketing.campaigns(scope.conn, scope.schema, as_of=as_of, after=after, limit=limit + 1)
        items = [dataclasses.asdict(item) for item in found]
        return CAMPAIGNS.answer(scope, page(items, limit, ["campaign_id"]))


async def funnel(request: web.Request) -> web.Response:
    async with reading(request, marketing.PROJECTION.name) as scope:
        query = scope.query
        start, end = query.time("from"), query.time("to")
        if start is not None and end is not None and end < start:
            raise invalid("to", "the end comes before the start")
        dimension = query.choice("dimension", marketing.DIMENSIONS, "channel") or "channel"
        after, limit = _after(query), query.limit()
        stages = await marketing.funnel(
            scope.conn, scope.schema, start=start, end=end, dimension=dimension, after=after, limit=limit + 1
        )
        items = [dataclasses.asdict(stage) for stage in stages]
        return FUNNEL.answer(scope, page(items, limit, ["key"]))


def add_routes(app: web.Application) -> None:
    app.router.add_get(CAMPAIGNS.path, campaigns)
    app.router.add_get(FUNNEL.path, funnel)
