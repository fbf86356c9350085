"""Read routes of the sales read model.

``GET /v1/sales/attainment?period&dimension&basis&as_of``: per key, target, actual and how
the period is pacing at ``as_of``. ``GET /v1/sales/daily?from&to&channel&team_id``: booked,
shipped, returned and net per business day. Periods and days are calendar spans in
LEDGER_TIMEZONE. Neither list pages: a period has few keys and a day range is bounded.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, get_args

from aiohttp import web

from ledger.http.query import Query, invalid
from ledger.http.reads import reading
from projections import sales
from schemas.sales import SalesChannel
from schemas.types import EARLIEST_TIME, LATEST_TIME

DEFAULT_DAYS: Final = 30
MAX_DAYS: Final = 3660
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CHANNELS: Final = get_args(SalesChannel)


def _period(query: Query) -> sales.Period:
    name = query.text("period", pattern=None)
    if name is None:
        raise invalid("period", "required: a month (2026-11), a quarter (2026-Q4) or a year (2026)")
    try:
        start, end = sales.period_span(name, query.zone)
    except ValueError as e:
        raise invalid("period", str(e)) from e
    if start < EARLIEST_TIME or end > LATEST_TIME:
        raise invalid("period", f"a period from {EARLIEST_TIME.year} up to {LATEST_TIME.year - 1}")
    return sales.Period(name, start, end)


async def attainment(request: web.Request) -> web.Response:
    async with reading(request, "sales") as scope:
        query = scope.query
        period = _period(query)
        dimension = query.choice("dimension", sales.DIMENSIONS, "total") or "total"
        basis = query.choice("basis", sales.BASES, "shipped") or "shipped"
        as_of = query.time("as_of") or datetime.now(UTC)
        items = await sales.attainment_of(
            scope.conn, scope.schema, period=period, dimension=dimension, basis=basis, as_of=as_of
        )
        return scope.json({"items": [dataclasses.asdict(item) for item in items], "cursor": None})


def _day(query: Query, name: str, *, ceiling: bool) -> date | None:
    """A date names a business day; a time names the business day it falls in (with
    ``ceiling``: the next day, unless the time is its own day's midnight)."""
    moment = query.time(name)  # checks either spelling, and the business window
    if moment is None:
        return None
    raw = query.raw(name) or ""
    if _DATE.fullmatch(raw):
        return date.fromisoformat(raw)
    local = moment.astimezone(query.zone)
    return local.date() + timedelta(days=1 if ceiling and local.time() != time(0) else 0)


def _days(query: Query) -> sales.Days:
    """The business days [from, to); by default the 30 days up to and including today."""
    zone = query.zone
    start = _day(query, "from", ceiling=False)
    end = _day(query, "to", ceiling=True)
    window = timedelta(days=DEFAULT_DAYS)
    try:
        if start is None:
            end = datetime.now(zone).date() + timedelta(days=1) if end is None else end
            start = end - window
        elif end is None:
            end = start + window
        if (end - start).days > MAX_DAYS:
            raise ValueError(f"at most {MAX_DAYS} days")
        return sales.business_days(start, end, zone)
    except (ValueError, OverflowError) as e:
        raise invalid("to", f"{e}: [from, to) must span 0 to {MAX_DAYS} days") from e


async def daily(request: web.Request) -> web.Response:
    async with reading(request, "sales") as scope:
        query = scope.query
        days = _days(query)
        channel = query.choice("channel", _CHANNELS)
        team_id = query.text("team_id")
        rows = await sales.daily(scope.conn, scope.schema, days=days, channel=channel, team_id=team_id)
        return scope.json({"items": [_day_item(row) for row in rows], "cursor": None})


def _day_item(row: sales.Day) -> dict[str, object]:
    item = dataclasses.asdict(row)
    item["day"] = row.day.isoformat()
    return item


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/sales/attainment", attainment)
    app.router.add_get("/v1/sales/daily", daily)
