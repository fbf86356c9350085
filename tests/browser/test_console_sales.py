"""The Sales page in a real browser: attainment (shipped and booked, target and pace), the daily
series and fulfilment show exactly what the API answered the page, and a target set from the
page is in the chart read next (with the write's ``min_position``)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .driver import Console, Served, plotted
from .figures import cell

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ATTAINMENT = "/v1/sales/attainment"
ZURICH = ZoneInfo("Europe/Zurich")


def by_key(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["key"]: item for item in items}


def cells(item: dict[str, Any] | None, *fields: str) -> list[str]:
    """What data-value holds for these fields: the API's string, or empty for null or none."""
    return ["" if item is None else cell(item.get(f)) for f in fields]


async def assert_attainment_is_the_apis(console: Console) -> tuple[dict[str, Any], dict[str, Any]]:
    shipped = by_key(console.answer(ATTAINMENT, basis="shipped")["items"])
    booked = by_key(console.answer(ATTAINMENT, basis="booked")["items"])
    keys = sorted(shipped.keys() | booked.keys())
    shown = await console.chart("sales-attainment")
    assert shown["labels"] == keys
    labels = ["shipped", "booked", "target", "expected by now (pace)"]
    assert [d["label"] for d in shown["datasets"]] == labels
    fields = [(shipped, "actual"), (booked, "actual"), (shipped, "target"), (shipped, "expected_to_date")]
    for dataset, (answer, field) in zip(shown["datasets"], fields, strict=True):
        assert dataset["data"] == [plotted(answer.get(k, {}).get(field)) for k in keys], dataset["label"]
    columns = ["target", "actual", "attainment_pct", "expected_to_date", "pace_pct", "forecast"]
    rows = await console.table("attainment")
    assert [list(r.values()) for r in rows] == [
        [k, *cells(shipped.get(k), *columns), *cells(booked.get(k), "actual", "attainment_pct")] for k in keys
    ]
    paces = {k: shipped.get(k, {}).get("pace_pct") for k in keys}
    behind = [k for k, pace in paces.items() if pace is not None and float(pace) < 100]
    assert await console.marked("attainment", "warn") == behind
    return shipped, booked


async def test_the_demo_sales_page_shows_the_apis_figures(console: Console, demo_console: Served) -> None:
    await console.sign_in(demo_console)
    await console.open(demo_console, "sales")
    shipped, _ = await assert_attainment_is_the_apis(console)
    assert shipped, "the demo sets team targets for the month"

    daily = console.answer("/v1/sales/daily")["items"]
    shown = await console.chart("sales-daily")
    assert shown["labels"] == [d["day"] for d in daily]
    for dataset, key in zip(shown["datasets"], ["booked", "shipped", "returned", "net"], strict=True):
        assert dataset["data"] == [plotted(d[key]) for d in daily]
    rows = await console.table("daily")
    columns = ("day", "booked", "shipped", "returned", "net")
    assert rows == [{k: d[k] for k in columns} for d in reversed(daily)]

    fulfilment = console.answer("/v1/sales/fulfilment", dimension="channel")["items"]
    assert fulfilment
    shown = await console.chart("sales-fulfilment")
    assert shown["labels"] == [r["key"] for r in fulfilment]
    for dataset, key in zip(shown["datasets"], ["on_time_pct", "in_full_pct", "otif_pct"], strict=True):
        assert dataset["data"] == [plotted(r[key]) for r in fulfilment]
    keys = ["key", "orders", "on_time_pct", "in_full_pct", "otif_pct", "mean_days_to_ship"]
    assert await console.table("fulfilment") == [{k: cells(r, k)[0] for k in keys} for r in fulfilment]
    await console.screenshot("sales-demo")


async def test_a_handmade_month_in_zurich_and_a_target_set_from_the_page(
    console: Console, handmade_console: Served
) -> None:
    served = handmade_console
    now = datetime.now(ZURICH)
    month = now.strftime("%Y-%m")
    # Half-way through the month so far, at half past midnight in Zurich: the day before in UTC.
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    middle = month_start + (now - month_start) / 2
    placed = datetime.combine(middle.date(), time(0, 30), ZURICH)
    assert placed.astimezone(UTC).date() != placed.date()
    for name, body in [
        ("register-location", {"location_id": "WH-1", "name": "Main", "kind": "warehouse"}),
        ("register-product", {"sku": "P-1", "name": "Drill", "uom": "ea", "category": "tools"}),
        ("register-customer", {"customer_id": "C-1", "name": "Bergbau AG"}),
        ("register-team", {"team_id": "T-NORTH", "name": "North"}),
        ("register-team", {"team_id": "T-SOUTH", "name": "South"}),
        ("receive-stock", {"receipt_id": "R-1", "sku": "P-1", "location_id": "WH-1", "qty": "100"}),
        ("set-sales-target", {"period": month, "dimension": "team", "key": "T-NORTH", "amount": "1000"}),
        ("set-sales-target", {"period": month, "dimension": "team", "key": "T-SOUTH", "amount": "200"}),
    ]:
        await served.record(name, body)
    for order_id, team, qty in [("SO-1", "T-NORTH", "12"), ("SO-2", "T-SOUTH", "3")]:
        line = {"line_no": 1, "sku": "P-1", "qty": qty, "unit_price": "100.00"}
        order = {"order_id": order_id, "customer_id": "C-1", "channel": "direct", "team_id": team}
        where = {"currency": "CHF", "fulfil_from": "WH-1", "occurred_at": placed.isoformat()}
        await served.record("place-order", {**order, **where, "lines": [line]})
    shipped_at = (placed + timedelta(minutes=10)).isoformat()
    ship = {"order_id": "SO-1", "shipment_id": "SH-1", "lines": [{"line_no": 1, "qty": "12"}]}
    await served.record("ship-order", {**ship, "occurred_at": shipped_at})

    await console.sign_in(served)
    await console.open(served, "sales")
    shipped, booked = await assert_attainment_is_the_apis(console)
    assert cells(shipped["T-NORTH"], "target", "actual", "attainment_pct") == ["1000.00", "1200.00", "120.00"]
    assert cells(booked["T-SOUTH"], "actual") == ["300.00"]
    # South shipped nothing against its target: behind pace, the only row marked.
    assert await console.marked("attainment", "warn") == ["T-SOUTH"]
    # The days are Zurich's: the page asks up to tomorrow there, and the orders are on its day.
    tomorrow = (now + timedelta(days=1)).date().isoformat()
    assert console.answer("/v1/sales/daily", to=tomorrow)
    days = {row["day"]: row for row in await console.table("daily")}
    that_day = days[placed.date().isoformat()]
    assert (that_day["booked"], that_day["shipped"]) == ("1500.00", "1200.00")
    assert days.get(placed.astimezone(UTC).date().isoformat(), {"booked": "0.00"})["booked"] == "0.00"
    texts = await console.texts('[data-table="attainment"] td[data-col="target"]')
    assert all("CHF" in text for text in texts), texts

    before = await console.renders()
    await console.page.click("#set-sales-target summary")
    await console.page.select_option("#set-sales-target-dimension", "team")
    await console.page.fill("#set-sales-target-key", "T-SOUTH")
    await console.page.fill("#set-sales-target-amount", "250")
    await console.page.click("#set-sales-target button[type=submit]")
    await console.redrawn(before)
    again = [a for a in console.answers if a.path == ATTAINMENT and a.query.get("basis") == "shipped"][-1]
    assert "min_position" in again.query
    assert by_key(again.body["items"])["T-SOUTH"]["target"] == "250.00"
    shown = await console.chart("sales-attainment")
    assert shown["datasets"][2]["data"][shown["labels"].index("T-SOUTH")] == 250.0
    await console.screenshot("sales-handmade")
