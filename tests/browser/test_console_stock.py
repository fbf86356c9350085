"""The Stock and Operations pages show exactly what the API answers, on the demo history and
on a history written here; a count recorded from the page is in the figures it draws next; a
read model that lags behind a write is said so, never shown as if it were up to date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ledger.log.position import Position

from .driver import Console, Served, plotted

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_stock_shows_the_apis_levels_suggestions_and_ledger_on_the_demo(
    console: Console, demo_console: Served
) -> None:
    await console.sign_in(demo_console)
    await console.open(demo_console, "stock")
    location = await console.page.input_value("#filter-location")
    levels = console.answer("/v1/inventory", location_id=location)["items"]
    assert levels
    drawn = await console.chart("stock-levels")
    assert drawn["labels"] == [r["sku"] for r in levels]
    by_label = {d["label"]: d["data"] for d in drawn["datasets"]}
    for field, label in [
        ("available", "available"),
        ("reserved", "reserved"),
        ("quarantined", "quarantined"),
        ("on_order", "on order"),
        ("reorder_point", "reorder point"),
    ]:
        assert by_label[label] == [plotted(r[field]) for r in levels], field
    rows = await console.table("levels")
    for row, level in zip(rows, levels, strict=True):
        for field in ("sku", "on_hand", "quarantined", "reserved", "available", "on_order", "value"):
            assert row[field] == level[field], (field, row, level)
    flagged = await console.marked("levels", "alert")
    assert flagged == [f"{r['sku']}@{r['location_id']}" for r in levels if r["below_reorder"]]
    suggestions = console.answer("/v1/purchasing/suggestions", location_id=location)["items"]
    shown = await console.table("suggestions")
    expected = [(s["sku"], s["suggested_qty"]) for s in suggestions]
    assert [(r["sku"], r["suggested_qty"]) for r in shown] == expected
    valuation = console.answer("/v1/inventory/valuation", location_id=location)
    assert await console.page.get_attribute("#kpi-value .value", "data-value") == valuation["total_value"]

    sku = await console.page.input_value("#filter-sku")
    movements = console.answer(f"/v1/inventory/{sku}/movements", location_id=location)["items"]
    assert movements
    ledger = await console.chart("stock-ledger")
    points = ledger["datasets"][0]["data"]
    assert [p["y"] for p in points] == [plotted(m["on_hand_after"]) for m in movements]
    assert [p["x"] for p in points] == [
        datetime.fromisoformat(m["occurred_at"]).timestamp() * 1000 for m in movements
    ]
    await console.screenshot("stock-demo")


async def _handmade_stock(served: Served) -> datetime:
    api = served.api
    received = (datetime.now(UTC) - timedelta(days=3)).replace(hour=9, minute=15, second=0, microsecond=0)
    for name, body in [
        ("register-location", {"location_id": "WH-ZH", "name": "Zurich depot", "kind": "warehouse"}),
        (
            "register-product",
            {
                "sku": "DRILL-1",
                "name": "Drill",
                "uom": "ea",
                "category": "tools",
                "reorder_point": 4,
                "reorder_qty": 6,
            },
        ),
        (
            "receive-stock",
            {
                "receipt_id": "GRN-1",
                "sku": "DRILL-1",
                "location_id": "WH-ZH",
                "qty": 10,
                "unit_cost": "2.50",
                "occurred_at": received.isoformat(),
            },
        ),
    ]:
        status, answer = await api.command(name, body)
        assert status == 201, answer
    return received


async def test_a_count_recorded_from_the_page_is_in_the_figures_it_draws_next(
    console: Console, handmade_console: Served
) -> None:
    received = await _handmade_stock(handmade_console)
    await console.sign_in(handmade_console)
    await console.open(handmade_console, "stock")
    value = await console.texts("#kpi-value .value")
    assert [v.replace("\xa0", " ") for v in value] == ["CHF 25.00"]
    when = await console.page.locator('[data-table="movements"] td[data-col="occurred_at"]').last.inner_text()
    # 09:15 UTC is 10:15 in Zurich in winter, 11:15 in summer: the business's time zone, not UTC.
    zurich = received.astimezone(ZoneInfo("Europe/Zurich"))
    assert zurich.strftime("%H:%M") in when
    assert "09:15" not in when

    before = await console.renders()
    await console.page.click("#count-stock summary")
    await console.page.fill("#count-stock-counted_qty", "7")
    await console.page.fill("#count-stock-reason", "found three broken")
    await console.page.click("#count-stock button[type=submit]")
    await console.redrawn(before)
    read = [a for a in console.answers if a.path == "/v1/inventory" and a.query.get("location_id") == "WH-ZH"]
    assert "min_position" in read[-1].query
    levels = [(r["sku"], r["on_hand"], r["below_reorder"]) for r in read[-1].body["items"]]
    assert levels == [("DRILL-1", "7", False)]
    rows = await console.table("levels")
    assert [(r["sku"], r["on_hand"]) for r in rows] == [("DRILL-1", "7")]
    movements = await console.table("movements")
    assert movements[0]["type"] == "StockAdjusted"
    assert movements[0]["qty_change"] == "-3"
    await console.screenshot("stock-handmade")


async def test_a_read_model_behind_the_last_write_is_said_so_and_then_shown_as_it_stands(
    console: Console, handmade_console: Served
) -> None:
    status, answer = await handmade_console.api.command(
        "register-location", {"location_id": "WH-LAG", "name": "Lagging", "kind": "store"}
    )
    assert status == 201, answer
    reached = Position.from_token(answer["position"])
    ahead = Position({tp: offset + 1000 for tp, offset in reached.offsets.items()})
    assert ahead.offsets
    await console.sign_in(handmade_console)
    await console.page.evaluate("token => sessionStorage.setItem('ledger.position', token)", ahead.token())
    console.expect_status(503)
    await console.page.goto(f"{handmade_console.base_url}/#/operations")
    await console.page.goto(f"{handmade_console.base_url}/#/stock")
    notice = console.page.locator("#notice")
    await notice.filter(has_text="catching up").wait_for(timeout=20_000)
    await console.ready()
    await notice.filter(has_text="do not include your last change").wait_for(timeout=20_000)
    assert await console.page.evaluate("() => sessionStorage.getItem('ledger.position')") is None
    assert await console.table("levels")
    await console.screenshot("stock-behind")


async def test_operations_shows_each_projectors_position_lag_rate_and_parked_live(
    console: Console, demo_console: Served
) -> None:
    await console.sign_in(demo_console)
    await console.open(demo_console, "operations")
    await console.page.wait_for_function(
        "() => +(document.getElementById('operations-updated').dataset.reads || 0) >= 2", timeout=15_000
    )
    # The page reads again every 2 s: what it drew must be one of the answers it received.
    rows = await console.table("projectors")
    lag = await console.chart("projection-lag")
    rate = await console.chart("projection-rate")
    drawn = (
        [
            (r["name"], r["position"], int(r["parked"]), int(r["lag"]), float(r["events_per_second"]))
            for r in rows
        ],
        lag["labels"],
        lag["datasets"][0]["data"],
        rate["datasets"][0]["data"],
    )
    answers: list[list[dict[str, Any]]] = [
        a.body["items"] for a in console.answers if a.path == "/v1/projections" and a.status == 200
    ]
    assert answers
    assert drawn in [
        (
            [(p["name"], p["position"], p["parked"], p["lag"], p["events_per_second"]) for p in items],
            [p["name"] for p in items],
            [p["lag"] for p in items],
            [p["events_per_second"] for p in items],
        )
        for items in answers
    ]
    await console.screenshot("operations-demo")
