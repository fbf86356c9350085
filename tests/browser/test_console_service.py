"""The Service page: SLA compliance per severity as the API gives it, and the complaints not
yet resolved with their clocks, breached ones first; acknowledging one from the page moves
it to acknowledged in the list the page reads next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .driver import Console, Served, plotted
from .figures import cells

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

COMPLAINTS = "/v1/complaints"
ZURICH = ZoneInfo("Europe/Zurich")
SLA_COLUMNS = (
    "severity",
    "filed",
    "open",
    "resolved",
    "median_first_response_hours",
    "p90_first_response_hours",
    "median_resolution_hours",
    "breaches",
    "sla_compliance_pct",
)
COMPLAINT_COLUMNS = (
    "complaint_id",
    "severity",
    "status",
    "response_due_at",
    "breached_response",
    "resolution_due_at",
    "breached_resolution",
    "first_response_hours",
    "filed_at",
    "customer_id",
    "category",
)


def breached(complaint: dict[str, Any]) -> bool:
    return bool(complaint["breached_response"] or complaint["breached_resolution"])


def waiting(console: Console) -> list[dict[str, Any]]:
    """The complaints the page read, in the order it must list them: breached first, then by
    resolution due time."""
    items = [
        *console.answer(COMPLAINTS, status="open")["items"],
        *console.answer(COMPLAINTS, status="acknowledged")["items"],
    ]
    return sorted(items, key=lambda c: (not breached(c), datetime.fromisoformat(c["resolution_due_at"])))


async def assert_service_figures(console: Console) -> list[dict[str, Any]]:
    summary = console.answer("/v1/complaints/summary")["items"]
    drawn = await console.chart("service-sla")
    assert drawn["labels"] == [r["severity"] for r in summary] == ["critical", "high", "medium", "low"]
    assert drawn["datasets"][0]["data"] == [plotted(r["sla_compliance_pct"]) for r in summary]
    assert await console.table("sla") == cells(summary, *SLA_COLUMNS)
    listed = waiting(console)
    rows = await console.table("open-complaints")
    assert [{k: row[k] for k in COMPLAINT_COLUMNS} for row in rows] == cells(listed, *COMPLAINT_COLUMNS)
    late = [c["complaint_id"] for c in listed if breached(c)]
    assert await console.marked("open-complaints", "alert") == late
    return listed


async def test_the_demo_service_page_shows_the_apis_sla_and_waiting_complaints(
    console: Console, demo_console: Served
) -> None:
    await console.sign_in(demo_console)
    await console.open(demo_console, "service")
    listed = await assert_service_figures(console)
    assert listed, "the demo leaves complaints open"
    await console.screenshot("service-demo")


async def test_a_breached_complaint_comes_first_and_is_acknowledged_from_the_page(
    console: Console, handmade_console: Served
) -> None:
    api = handmade_console.api
    now = datetime.now(UTC)
    status, body = await api.command("register-customer", {"customer_id": "CUST-Z", "name": "Café Zähringer"})
    assert status == 201, body
    # A low complaint filed 30 h ago is past its 24 h response clock, yet due for resolution
    # later than a critical one filed 10 minutes ago: breached comes first all the same.
    for complaint_id, severity, filed in [
        ("C-LATE", "low", now - timedelta(hours=30)),
        ("C-NEW", "critical", now - timedelta(minutes=10)),
    ]:
        status, body = await api.command(
            "file-complaint",
            {
                "complaint_id": complaint_id,
                "customer_id": "CUST-Z",
                "channel": "phone",
                "category": "damaged goods",
                "severity": severity,
                "description": "The box arrived crushed.",
                "occurred_at": filed.isoformat(),
            },
        )
        assert status == 201, body

    await console.sign_in(handmade_console, page_id="service")
    listed = await assert_service_figures(console)
    assert [(c["complaint_id"], c["status"], breached(c)) for c in listed] == [
        ("C-LATE", "open", True),
        ("C-NEW", "open", False),
    ]
    assert datetime.fromisoformat(listed[0]["resolution_due_at"]) > datetime.fromisoformat(
        listed[1]["resolution_due_at"]
    )
    due = datetime.fromisoformat(listed[0]["response_due_at"])
    shown = await console.texts("tr[data-key='C-LATE'] td[data-col='response_due_at']")
    assert f"{due.astimezone(ZURICH):%H:%M}" in shown[0]
    assert f"{due.astimezone(UTC):%H:%M}" not in shown[0]

    before = await console.renders()
    await console.page.click("tr[data-key='C-LATE'] button[data-action='acknowledge']")
    await console.redrawn(before)
    assert "min_position" in [a for a in console.answers if a.path == COMPLAINTS][-1].query
    listed = await assert_service_figures(console)
    assert [(c["complaint_id"], c["status"]) for c in listed] == [
        ("C-LATE", "acknowledged"),
        ("C-NEW", "open"),
    ]
    assert not await console.page.locator("tr[data-key='C-LATE'] button[data-action='acknowledge']").count()

    # Resolving asks for the resolution in the row itself.
    before = await console.renders()
    await console.page.click("tr[data-key='C-NEW'] button[data-action='resolve']")
    await console.page.fill("#resolution-C-NEW", "Replaced the box.")
    await console.page.press("#resolution-C-NEW", "Enter")
    await console.redrawn(before)
    listed = await assert_service_figures(console)
    assert [c["complaint_id"] for c in listed] == ["C-LATE"]
    await console.screenshot("service-handmade")
