"""``GET /v1/plans/scorecard?horizon&period&as_of``: the plan's objectives in force at ``as_of``
(default now), each with its KPI measured and its status, paged by objective id.

The scorecard reads the sales read model (which holds the objectives) and every read model a
KPI is measured from, in one answer (``reading_all``): ``min_position`` waits for all of
them. ``period`` filters by exact match (``2026`` does not take ``2026-Q1``); ``as_of`` takes
an RFC 3339 time or a date (its start in LEDGER_TIMEZONE).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Final, Literal, get_args

from aiohttp import web
from pydantic import PlainSerializer, WithJsonSchema

from ledger.http.described import Answer, QtyText, ReadRoute, param
from ledger.http.keys import SETTINGS
from ledger.http.query import identifier, invalid
from ledger.http.reads import page, reading_all
from projections import plans
from schemas.planning import OBJECTIVE_PERIOD_PATTERN, Horizon, Kpi

_PERIOD: Final = re.compile(OBJECTIVE_PERIOD_PATTERN)
_HORIZONS: Final = get_args(Horizon)

Figure = Annotated[
    Decimal,
    PlainSerializer(lambda value: format(value, "f"), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?[0-9]+\.[0-9]+$",
            "description": "the KPI's figure as its report shows it: money and percentages 2 places, rates 6",
        },
        mode="serialization",
    ),
]


class ScoredObjective(Answer):
    objective_id: str
    title: str
    horizon: Horizon
    period: str
    kpi: Kpi
    target: QtyText
    actual: Figure | None
    status: Literal["on_track", "off_track", "met", "missed"]


class Scorecard(Answer):
    items: list[ScoredObjective]
    cursor: str | None


ROUTE: Final = ReadRoute(
    path="/v1/plans/scorecard",
    summary="The plan's objectives with their KPI measured by the ledger, and how each stands",
    answer_model=Scorecard,
    params=(
        param("horizon", {"type": "string", "enum": list(_HORIZONS)}),
        param("period", {"type": "string", "pattern": OBJECTIVE_PERIOD_PATTERN}, "exactly this period"),
        param("as_of", {"type": "string", "format": "date-time"}, "judge at this time (default now)"),
        param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
        param("cursor", {"type": "string"}, "where the previous page ended"),
    ),
)


async def scorecard(request: web.Request) -> web.Response:
    async with reading_all(request, plans.reads()) as scope:
        query = scope.query
        period = query.text("period", pattern=_PERIOD)
        if period is not None:
            try:
                plans.span(period, query.zone)
            except ValueError as e:
                raise invalid("period", str(e)) from e
        cursor = query.cursor(identifier)
        selection = plans.Selection(
            horizon=query.choice("horizon", _HORIZONS),
            period=period,
            after=None if cursor is None else str(cursor[0]),
        )
        as_of, limit = query.time("as_of") or datetime.now(UTC), query.limit()
        settings = request.app[SETTINGS]
        reading = plans.Reading(scope.conn, scope.schemas, settings.sla_hours, query.zone)
        scores = await plans.scorecard(reading, as_of=as_of, selection=selection, limit=limit + 1)
        items = [
            {
                "objective_id": s.objective.objective_id,
                "title": s.objective.title,
                "horizon": s.objective.horizon,
                "period": s.objective.period,
                "kpi": s.objective.kpi,
                "target": s.objective.target,
                "actual": s.actual,
                "status": s.status,
            }
            for s in scores
        ]
        return ROUTE.answer(scope, page(items, limit, ["objective_id"]))


def add_routes(app: web.Application) -> None:
    app.router.add_get(ROUTE.path, scorecard)
