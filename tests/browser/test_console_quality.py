"""The Quality page: the p-chart plots the API's points and limits and marks exactly the
subgroups the API flags, with the rules that fired; the Pareto, the trends and the complaint
rate show the API's figures; an inspection recorded from the page is in the chart it draws next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .driver import Console, Served, plotted
from .figures import cells

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CONTROL = "/v1/quality/control-chart"
RED = "#dc2626"
ZURICH = ZoneInfo("Europe/Zurich")
SKU = "SKU-Q1"
# Six weekly inspections of 100 units, oldest first: only the fifth (18 defective) is beyond
# its upper limit (centre line 40/600, UCL about 0.1415), and no other rule fires.
WEEKLY_DEFECTIVE = [3, 5, 4, 6, 18, 4]


async def assert_p_chart(console: Console, control: dict[str, Any]) -> list[dict[str, Any]]:
    """The chart and both tables show the answer's subgroups; the flagged ones are red and listed."""
    points = control["subgroups"]
    drawn = await console.chart("quality-p-chart")
    assert drawn["labels"] == [s["key"] for s in points]
    p, ucl, lcl, centre = drawn["datasets"]
    assert p["data"] == [plotted(s["p"]) for s in points]
    assert ucl["data"] == [plotted(s["ucl"]) for s in points]
    assert lcl["data"] == [plotted(s["lcl"]) for s in points]
    assert centre["data"] == [plotted(control["center_line"])] * len(points)
    flagged = [s for s in points if s["out_of_control"]]
    red = [s["key"] for s, colour in zip(points, p["pointBackgroundColor"], strict=True) if colour == RED]
    assert red == [s["key"] for s in flagged]
    columns = ("key", "n", "defective", "p", "ucl", "lcl", "rules")
    assert await console.table("out-of-control") == cells(flagged, *columns)
    assert await console.table("p-chart") == cells(points, *columns)
    assert await console.marked("p-chart", "alert") == [s["key"] for s in flagged]
    return list(flagged)


async def test_the_demo_quality_page_shows_the_apis_p_chart_pareto_and_trends(
    console: Console, demo_console: Served
) -> None:
    await console.sign_in(demo_console)
    await console.open(demo_console, "quality")
    control = console.answer(CONTROL, subgroup="week")
    await assert_p_chart(console, control)

    pareto = console.answer("/v1/quality/pareto")["items"]
    assert pareto, "the demo records defects"
    drawn = await console.chart("quality-pareto")
    assert drawn["labels"] == [i["category"] for i in pareto]
    assert [d["data"] for d in drawn["datasets"]] == [
        [plotted(i["count"]) for i in pareto],
        [plotted(i["cumulative_share"]) for i in pareto],
    ]
    columns = ("category", "count", "share", "cumulative_share")
    assert await console.table("pareto") == cells(pareto, *columns)

    trends = console.answer("/v1/quality/trends", bucket="week")["items"]
    drawn = await console.chart("quality-trends")
    assert drawn["labels"] == [b["bucket"] for b in trends]
    assert [d["data"] for d in drawn["datasets"]] == [
        [plotted(b["defect_rate"]) for b in trends],
        [plotted(b["rejected_lots"]) for b in trends],
    ]
    columns = ("bucket", "inspections", "inspected_units", "defective_units", "defect_rate", "rejected_lots")
    assert await console.table("trends") == cells(trends, *columns)

    rate = console.answer("/v1/quality/complaint-rate", bucket="month")["items"]
    columns = ("bucket", "complaints", "units_shipped", "per_thousand")
    assert await console.table("complaint-rate") == cells(rate, *columns)
    await console.screenshot("quality-demo")


async def test_a_week_beyond_its_limit_is_marked_with_its_rule_and_a_new_inspection_joins_the_chart(
    console: Console, handmade_console: Served
) -> None:
    api = handmade_console.api
    status, body = await api.command(
        "register-product", {"sku": SKU, "name": "Wool scarf", "uom": "each", "category": "textiles"}
    )
    assert status == 201, body
    noon = datetime.now(ZURICH).replace(hour=12, minute=0, second=0, microsecond=0)
    for weeks_ago, defective in zip(range(len(WEEKLY_DEFECTIVE), 0, -1), WEEKLY_DEFECTIVE, strict=True):
        status, body = await api.command(
            "record-inspection",
            {
                "inspection_id": f"QI-{weeks_ago}",
                "lot_id": f"LOT-{weeks_ago}",
                "sku": SKU,
                "stage": "final",
                "sample_size": 100,
                "defective_units": defective,
                "defects": [{"category": "stitching", "count": defective}],
                "disposition": "accept",
                "occurred_at": (noon - timedelta(weeks=weeks_ago)).isoformat(),
            },
        )
        assert status == 201, body

    await console.sign_in(handmade_console, page_id="quality")
    control = console.answer(CONTROL, subgroup="week")
    assert len(control["subgroups"]) == len(WEEKLY_DEFECTIVE)
    flagged = await assert_p_chart(console, control)
    assert [s["defective"] for s in flagged] == [18]
    assert flagged[0]["rules"] == ["beyond_3_sigma"]
    # The week starts on a Monday in Zurich, 23:00 or 22:00 UTC the Sunday before: the page
    # shows the Monday.
    start = datetime.fromisoformat(flagged[0]["key"])
    week = start.astimezone(ZURICH)
    assert (week.hour, week.weekday(), start.astimezone(UTC).weekday()) == (0, 0, 6)
    shown = await console.texts("[data-table='out-of-control'] tbody td[data-col='key']")
    assert [text.split()[0] for text in shown] == [str(week.day)]
    rules = await console.texts("[data-table='out-of-control'] tbody td[data-col='rules']")
    assert rules == ["a point beyond 3σ"]

    before = await console.renders()
    await console.page.click("#record-inspection summary")
    form = "#record-inspection"
    await console.page.fill(f"{form}-lot_id", "LOT-NOW")
    await console.page.fill(f"{form}-sku", SKU)
    await console.page.select_option(f"{form}-stage", "final")
    await console.page.fill(f"{form}-sample_size", "100")
    await console.page.fill(f"{form}-defective_units", "5")
    await console.page.fill(f"{form}-defect_category", "stitching")
    await console.page.fill(f"{form}-defect_count", "5")
    await console.page.click(f"{form} button[type=submit]")
    await console.redrawn(before)
    again = console.answer(CONTROL, subgroup="week")
    assert "min_position" in [a for a in console.answers if a.path == CONTROL][-1].query
    assert len(again["subgroups"]) == len(WEEKLY_DEFECTIVE) + 1
    assert (again["subgroups"][-1]["n"], again["subgroups"][-1]["defective"]) == (100, 5)
    await assert_p_chart(console, again)
    await console.screenshot("quality-handmade")
