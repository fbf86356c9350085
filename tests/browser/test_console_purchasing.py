"""The Purchasing page: the open purchase orders as the API gives them, overdue ones first and
marked; the supplier scorecard and the purchase suggestions; a receipt against a PO line made
from the page changes that line's received and open quantities in the list it reads next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .driver import Console, Served, plotted
from .figures import cells

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ORDERS = "/v1/purchasing/orders"
ZURICH = ZoneInfo("Europe/Zurich")
ORDER_COLUMNS = ("po_id", "supplier_id", "deliver_to", "expected_at", "overdue", "amount", "lines")
SUPPLIER_COLUMNS = (
    "supplier_id",
    "lines",
    "on_time_pct",
    "in_full_pct",
    "otif_pct",
    "lead_time_days",
    "inspected_units",
    "defective_units",
    "defect_rate",
    "rejected_lots",
)
SUGGESTION_COLUMNS = (
    "sku",
    "location_id",
    "available",
    "on_order",
    "projected",
    "reorder_point",
    "reorder_qty",
    "suggested_qty",
    "supplier_id",
)


def by_urgency(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Overdue first, then by expected time: the order the page lists them in."""
    return sorted(
        orders, key=lambda po: (not po["overdue"], datetime.fromisoformat(po["expected_at"]), po["po_id"])
    )


async def assert_purchasing_figures(console: Console, **orders_query: str) -> list[dict[str, Any]]:
    orders = by_urgency(console.answer(ORDERS, status="open", **orders_query)["items"])
    assert await console.table("purchase-orders") == cells(orders, *ORDER_COLUMNS)
    assert await console.marked("purchase-orders", "alert") == [po["po_id"] for po in orders if po["overdue"]]
    scorecard = console.answer("/v1/suppliers/scorecard")["items"]
    drawn = await console.chart("supplier-scorecard")
    assert drawn["labels"] == [s["supplier_id"] for s in scorecard]
    assert [d["data"] for d in drawn["datasets"]] == [
        [plotted(s[key]) for s in scorecard] for key in ("on_time_pct", "in_full_pct", "otif_pct")
    ]
    assert await console.table("suppliers") == cells(scorecard, *SUPPLIER_COLUMNS)
    suggestions = console.answer("/v1/purchasing/suggestions")["items"]
    assert await console.table("purchase-suggestions") == cells(suggestions, *SUGGESTION_COLUMNS)
    return orders


async def test_the_demo_purchasing_page_shows_the_apis_orders_scorecard_and_suggestions(
    console: Console, demo_console: Served
) -> None:
    await console.sign_in(demo_console)
    await console.open(demo_console, "purchasing")
    orders = await assert_purchasing_figures(console)
    assert orders, "the demo leaves purchase orders open"
    await console.screenshot("purchasing-demo")

    before = await console.renders()
    await console.page.select_option("#filter-overdue", "true")
    await console.redrawn(before)
    late = await assert_purchasing_figures(console, overdue="true")
    assert [po["po_id"] for po in late] == [po["po_id"] for po in orders if po["overdue"]]


async def test_an_overdue_order_comes_first_in_francs_and_a_receipt_from_the_page_reduces_its_open_line(
    console: Console, handmade_console: Served
) -> None:
    api = handmade_console.api
    now = datetime.now(UTC)
    five_pm = datetime.now(ZURICH).replace(hour=17, minute=0, second=0, microsecond=0)
    setup: list[tuple[str, dict[str, Any]]] = [
        ("register-supplier", {"supplier_id": "SUP-ALP", "name": "Alpine Wool"}),
        ("register-location", {"location_id": "WH-ZH", "name": "Zurich", "kind": "warehouse"}),
        ("register-product", {"sku": "SKU-P1", "name": "Scarf", "uom": "each", "category": "textiles"}),
        (
            "register-product",
            {
                "sku": "SKU-P2",
                "name": "Mittens",
                "uom": "each",
                "category": "textiles",
                "reorder_point": 50,
                "reorder_qty": 40,
            },
        ),
        (
            "place-purchase-order",
            {
                "po_id": "PO-SOON",
                "supplier_id": "SUP-ALP",
                "deliver_to": "WH-ZH",
                "currency": "CHF",
                "expected_at": (five_pm + timedelta(days=5)).isoformat(),
                "lines": [{"line_no": 1, "sku": "SKU-P2", "qty": 20, "unit_cost": "7.25"}],
                "occurred_at": (now - timedelta(days=1)).isoformat(),
            },
        ),
        (
            "place-purchase-order",
            {
                "po_id": "PO-LATE",
                "supplier_id": "SUP-ALP",
                "deliver_to": "WH-ZH",
                "currency": "CHF",
                "expected_at": (five_pm - timedelta(days=2)).isoformat(),
                "lines": [
                    {"line_no": 1, "sku": "SKU-P1", "qty": 30, "unit_cost": "4.50"},
                    {"line_no": 2, "sku": "SKU-P2", "qty": 10, "unit_cost": "7.25"},
                ],
                "occurred_at": (now - timedelta(days=10)).isoformat(),
            },
        ),
    ]
    for name, body in setup:
        status, answer = await api.command(name, body)
        assert status == 201, (name, answer)

    await console.sign_in(handmade_console, page_id="purchasing")
    orders = await assert_purchasing_figures(console)
    assert [(po["po_id"], po["overdue"], po["amount"]) for po in orders] == [
        ("PO-LATE", True, "207.50"),
        ("PO-SOON", False, "145.00"),
    ]
    late = "tr[data-key='PO-LATE']"
    (amount,) = await console.texts(f"{late} td[data-col='amount']")
    assert "CHF" in amount
    assert "207.50" in amount
    (expected,) = await console.texts(f"{late} td[data-col='expected_at']")
    assert "17:00" in expected, "the expected time in Zurich, not in UTC"
    scorecard = console.answer("/v1/suppliers/scorecard")["items"]
    assert [(s["supplier_id"], s["lines"], s["otif_pct"]) for s in scorecard] == [("SUP-ALP", 2, "0.00")]
    suggestions = console.answer("/v1/purchasing/suggestions")["items"]
    assert [(s["sku"], s["projected"], s["suggested_qty"]) for s in suggestions] == [("SKU-P2", "30", "40")]

    before = await console.renders()
    await console.page.click("#receive-po-line summary")
    await console.page.select_option("#receive-po-line-line", "PO-LATE#1")
    await console.page.fill("#receive-po-line-qty", "12")
    await console.page.click("#receive-po-line button[type=submit]")
    await console.redrawn(before)
    assert "min_position" in [a for a in console.answers if a.path == ORDERS][-1].query
    orders = await assert_purchasing_figures(console)
    line = orders[0]["lines"][0]
    assert (orders[0]["po_id"], line["received"], line["open"]) == ("PO-LATE", "12", "18")
    shown = console.page.locator(f"{late} li[data-line='1']")
    assert (await shown.get_attribute("data-received"), await shown.get_attribute("data-open")) == (
        "12",
        "18",
    )
    assert "18 open" in await shown.inner_text()
    await console.screenshot("purchasing-handmade")
