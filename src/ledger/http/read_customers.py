"""Read routes of the customers read model (scope ``read``), described by their answer models.

- ``GET /v1/customers/satisfaction?from&to&bucket&segment``: per month or quarter of business
  time (LEDGER_TIMEZONE) with a response in [from, to), CSAT and NPS; ``bucket`` is the
  bucket's start. The list never pages: it has a bucket per month at most.
- ``GET /v1/customers/retention?period``: one object, the customers active, new, returning and
  lapsed in a month, quarter or year, parsed as the sales attainment's periods are.
- ``GET /v1/customers/{customer_id}``: one customer's standing; 404 when no fact names it.

The two fixed paths are registered before the one with an id, so they are never taken for a
customer id.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Final, Literal, cast

from aiohttp import web

from ledger.http.described import Answer, Money2, Pct2, ReadRoute, Score2, param
from ledger.http.problems import Problem
from ledger.http.query import ID, Query, invalid
from ledger.http.reads import reading
from projections import customers, sales
from schemas.planning import PERIOD_PATTERN
from schemas.types import EARLIEST_TIME, LATEST_TIME

_ID: Final = {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}
# As the v1 routes say it; a date (its start in LEDGER_TIMEZONE) is taken too.
_TIME: Final = {"type": "string", "format": "date-time"}
_PERIOD: Final = {"type": "string", "pattern": PERIOD_PATTERN}
_PERIOD_HINT: Final = "a month (2026-11), a quarter (2026-Q4) or a year (2026)"


class SatisfactionItem(Answer):
    """One bucket's responses and what they said; a figure with nothing to measure is null."""

    bucket: datetime
    responses: int
    csat_avg: Score2 | None
    csat_pct: Pct2 | None
    nps: Pct2 | None
    after_complaint_csat_avg: Score2 | None


class SatisfactionAnswer(Answer):
    items: list[SatisfactionItem]
    cursor: Literal[None] = None


class RetentionAnswer(Answer):
    period: str
    active: int
    new: int
    returning: int
    lapsed: int
    repeat_rate_pct: Pct2 | None


class CustomerAnswer(Answer):
    customer_id: str
    segment: str | None
    first_order_at: datetime | None
    last_order_at: datetime | None
    orders: int
    net_revenue: Money2
    complaints: int
    open_complaints: int
    last_follow_up_at: datetime | None
    csat_avg: Score2 | None


SATISFACTION: Final = ReadRoute(
    path="/v1/customers/satisfaction",
    summary="CSAT and NPS of customer follow-ups per month or quarter",
    answer_model=SatisfactionAnswer,
    params=(
        param("from", _TIME, "follow-ups recorded at or after this time or date"),
        param("to", _TIME, "follow-ups recorded before this time or date"),
        param("bucket", {"type": "string", "enum": list(customers.BUCKETS)}, "default month"),
        param("segment", _ID, "only customers of this segment"),
    ),
)
RETENTION: Final = ReadRoute(
    path="/v1/customers/retention",
    summary="Customers active, new, returning and lapsed in a period, and the repeat rate",
    answer_model=RetentionAnswer,
    params=(param("period", _PERIOD, f"required: {_PERIOD_HINT}"),),
)
CUSTOMER: Final = ReadRoute(
    path="/v1/customers/{customer_id}",
    summary="One customer: its orders, net revenue, complaints and satisfaction",
    answer_model=CustomerAnswer,
    params=(param("customer_id", _ID, where="path"),),
)
ROUTES: Final = (SATISFACTION, RETENTION, CUSTOMER)


async def satisfaction(request: web.Request) -> web.Response:
    async with reading(request, customers.PROJECTION.name) as scope:
        query = scope.query
        start, end = query.time("from"), query.time("to")
        if start is not None and end is not None and end <= start:
            raise invalid("to", "must be after from")
        bucket = cast(customers.Bucket, query.choice("bucket", customers.BUCKETS, "month"))
        figures = await customers.satisfaction(
            scope.conn,
            scope.schema,
            start=start,
            end=end,
            bucket=bucket,
            segment=query.text("segment"),
            zone=query.zone,
        )
        items = [dataclasses.asdict(item) for item in figures]
        return SATISFACTION.answer(scope, {"items": items, "cursor": None})


def _span(query: Query, period: str) -> tuple[datetime, datetime]:
    """[start, end) of a period, as the sales attainment's periods are read."""
    try:
        start, end = sales.period_span(period, query.zone)
    except ValueError as e:
        raise invalid("period", str(e)) from e
    if start < EARLIEST_TIME or end > LATEST_TIME:
        raise invalid("period", f"a period from {EARLIEST_TIME.year} up to {LATEST_TIME.year - 1}")
    return start, end


async def retention(request: web.Request) -> web.Response:
    async with reading(request, customers.PROJECTION.name) as scope:
        query = scope.query
        period = query.text("period", pattern=None)
        if period is None:
            raise invalid("period", f"required: {_PERIOD_HINT}")
        start, end = _span(query, period)
        previous_start, _ = sales.period_span(customers.previous_period(period), query.zone)
        figures = await customers.retention(
            scope.conn, scope.schema, start=start, end=end, previous_start=previous_start
        )
        return RETENTION.answer(scope, {"period": period, **dataclasses.asdict(figures)})


async def customer(request: web.Request) -> web.Response:
    customer_id = request.match_info["customer_id"]
    async with reading(request, customers.PROJECTION.name) as scope:
        found = None
        if ID.fullmatch(customer_id):
            found = await customers.profile(scope.conn, scope.schema, customer_id)
        if found is None:
            raise Problem(404, "unknown-customer", f"no customer {customer_id!r}")
        return CUSTOMER.answer(scope, dataclasses.asdict(found))


def add_routes(app: web.Application) -> None:
    app.router.add_get(SATISFACTION.path, satisfaction)
    app.router.add_get(RETENTION.path, retention)
    app.router.add_get(CUSTOMER.path, customer)
