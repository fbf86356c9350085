"""Read routes of the quality read model (scope ``read``).

- ``GET /v1/quality/trends?sku&supplier_id&stage&bucket&from&to``
- ``GET /v1/quality/control-chart?sku&supplier_id&stage&subgroup``
- ``GET /v1/quality/pareto?sku&from&to``
- ``GET /v1/quality/complaint-rate?sku&bucket``

Lists answer the whole selection in one page (``cursor`` is always null): a Pareto's running
share and a chart's centre line are properties of the whole selection. ``from`` is inclusive,
``to`` exclusive, and ``to`` must come after ``from``; buckets use LEDGER_TIMEZONE.
"""

from __future__ import annotations

from typing import Any, cast

from aiohttp import web

from ledger.http.keys import SETTINGS
from ledger.http.query import Query, invalid
from ledger.http.reads import reading
from projections import quality
from projections.quality.queries import Bucket, ChartSubgroup

_STAGES = ("incoming", "in_process", "final")
_BUCKETS = ("day", "week", "month")
_SUBGROUPS = ("inspection", "day", "week")


def _filters(query: Query, *, by_supplier_and_stage: bool = True) -> quality.Filters:
    start, end = query.time("from"), query.time("to")
    if start is not None and end is not None and end <= start:
        raise invalid("to", "must be after from")
    return quality.Filters(
        sku=query.text("sku"),
        supplier_id=query.text("supplier_id") if by_supplier_and_stage else None,
        stage=query.choice("stage", _STAGES) if by_supplier_and_stage else None,
        start=start,
        end=end,
    )


def _listed(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "cursor": None}


async def trends(request: web.Request) -> web.Response:
    async with reading(request, "quality") as scope:
        filters = _filters(scope.query)
        bucket = cast(Bucket, scope.query.choice("bucket", _BUCKETS, default="day"))
        timezone = request.app[SETTINGS].timezone
        return scope.json(_listed(await quality.trends(scope.conn, scope.schema, filters, bucket, timezone)))


async def control_chart(request: web.Request) -> web.Response:
    async with reading(request, "quality") as scope:
        query = scope.query
        filters = quality.Filters(
            sku=query.text("sku"), supplier_id=query.text("supplier_id"), stage=query.choice("stage", _STAGES)
        )
        subgroup = cast(ChartSubgroup, query.choice("subgroup", _SUBGROUPS, default="inspection"))
        timezone = request.app[SETTINGS].timezone
        chart = await quality.control_chart(scope.conn, scope.schema, filters, subgroup, timezone)
        return scope.json(
            {
                "center_line": chart.center_line,
                "subgroups": [
                    {
                        "key": point.key,
                        "n": point.n,
                        "defective": point.defective,
                        "p": point.p,
                        "ucl": point.ucl,
                        "lcl": point.lcl,
                        "out_of_control": point.out_of_control,
                        "rules": list(point.rules),
                    }
                    for point in chart.points
                ],
            }
        )


async def pareto(request: web.Request) -> web.Response:
    async with reading(request, "quality") as scope:
        filters = _filters(scope.query, by_supplier_and_stage=False)
        return scope.json(_listed(await quality.pareto(scope.conn, scope.schema, filters)))


async def complaint_rate(request: web.Request) -> web.Response:
    async with reading(request, "quality") as scope:
        sku = scope.query.text("sku")
        bucket = cast(Bucket, scope.query.choice("bucket", _BUCKETS, default="month"))
        timezone = request.app[SETTINGS].timezone
        return scope.json(
            _listed(await quality.complaint_rate(scope.conn, scope.schema, sku, bucket, timezone))
        )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/quality/trends", trends)
    app.router.add_get("/v1/quality/control-chart", control_chart)
    app.router.add_get("/v1/quality/pareto", pareto)
    app.router.add_get("/v1/quality/complaint-rate", complaint_rate)
