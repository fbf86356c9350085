"""The Plan scorecard in a real browser: every objective the API scores, by horizon, each row
and badge coloured by the API's status, and an objective set from the page scored in the next
read (with the write's ``min_position``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .driver import Console, Served

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SCORECARD = "/v1/plans/scorecard"
COLUMNS = ["objective_id", "title", "horizon", "period", "kpi", "target", "actual", "status"]
HORIZONS = ["short", "medium", "long"]
ROW = {"on_track": "good", "met": "good", "off_track": "warn", "missed": "alert"}
BADGE = {"on_track": "ok", "met": "ok", "off_track": "warn", "missed": "bad"}


def in_page_order(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The API's objectives as the page lists them: by horizon, period and id; null shown empty."""
    ordered = sorted(items, key=lambda o: (HORIZONS.index(o["horizon"]), o["period"], o["objective_id"]))
    return [{k: "" if o[k] is None else str(o[k]) for k in COLUMNS} for o in ordered]


async def assert_scorecard_is_the_apis(console: Console) -> list[dict[str, str]]:
    rows = in_page_order(console.answer(SCORECARD)["items"])
    assert await console.table("scorecard") == rows
    for status, row_class in ROW.items():
        wanted = [r["objective_id"] for r in rows if ROW[r["status"]] == row_class]
        assert await console.marked("scorecard", row_class) == wanted, row_class
        classed = [r["objective_id"] for r in rows if r["status"] == status]
        assert await console.marked("scorecard", f"status-{status}") == classed, status
    badges = await console.page.eval_on_selector_all(
        '[data-table="scorecard"] td[data-col="status"] .badge', "nodes => nodes.map(n => n.className)"
    )
    assert badges == [f"badge {BADGE[r['status']]}" for r in rows]
    return rows


async def test_the_demo_plan_scorecard_shows_every_objective_as_the_api_scores_it(
    console: Console, demo_console: Served
) -> None:
    await console.sign_in(demo_console)
    await console.open(demo_console, "plan")
    rows = await assert_scorecard_is_the_apis(console)
    assert {r["horizon"] for r in rows} == set(HORIZONS), "the demo plans every horizon"
    assert await console.page.locator("main canvas").count() == 0
    await console.screenshot("plan-demo")


async def test_a_handmade_plan_in_zurich_and_an_objective_set_from_the_page(
    console: Console, handmade_console: Served
) -> None:
    served = handmade_console
    now = datetime.now(ZoneInfo("Europe/Zurich"))
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    this_month, this_year = now.strftime("%Y-%m"), now.year
    last_month = (month_start - timedelta(days=1)).strftime("%Y-%m")
    in_this_month = (month_start + (now - month_start) / 2).isoformat()
    in_last_month = (month_start - timedelta(days=1)).isoformat()
    await served.record("register-customer", {"customer_id": "C-1", "name": "Bergbau AG"})
    for follow_up, answers, at in [
        ("F-1", {"csat": 5}, in_this_month),
        ("F-2", {"csat": 3}, in_this_month),
        ("F-3", {"nps": 10}, in_last_month),
    ]:
        body = {"follow_up_id": follow_up, "customer_id": "C-1", "kind": "call", **answers, "occurred_at": at}
        await served.record("record-follow-up", body)
    for objective_id, horizon, period, kpi, target in [
        ("OBJ-CSAT", "short", this_month, "csat_avg", "4.00"),  # 4.00 to date: met exactly, on track
        ("OBJ-NPS", "short", last_month, "nps", "50"),  # 100 over last month: met
        ("OBJ-SALES", "short", last_month, "net_sales", "1000"),  # nothing sold: missed
        ("OBJ-DEFECTS", "medium", str(this_year), "defect_rate", "0.01"),  # nothing inspected: null
        ("OBJ-LONG", "long", f"{this_year}..{this_year + 2}", "csat_avg", "4.50"),
    ]:
        body = {"objective_id": objective_id, "title": f"{kpi} {period}", "horizon": horizon}
        await served.record("set-objective", {**body, "period": period, "kpi": kpi, "target": target})

    # Straight to the page: the empty ledger has no stock for the Stock page to show.
    await console.sign_in(served, page_id="plan")
    rows = {r["objective_id"]: r for r in await assert_scorecard_is_the_apis(console)}
    assert list(rows) == ["OBJ-NPS", "OBJ-SALES", "OBJ-CSAT", "OBJ-DEFECTS", "OBJ-LONG"]
    assert [rows[o]["actual"] for o in rows] == ["100.00", rows["OBJ-SALES"]["actual"], "4.00", "", "4.00"]
    assert [rows[o]["status"] for o in rows] == ["met", "missed", "on_track", "off_track", "off_track"]
    assert await console.marked("scorecard", "alert") == ["OBJ-SALES"]
    sales = console.page.locator('[data-table="scorecard"] tr[data-key="OBJ-SALES"] td[data-col="target"]')
    assert (await sales.inner_text()).startswith("CHF")
    # The form proposes the month it is in Zurich.
    assert await console.page.input_value("#set-objective-period") == this_month

    before = await console.renders()
    await console.page.click("#set-objective summary")
    await console.page.fill("#set-objective-objective_id", "OBJ-NEW")
    await console.page.fill("#set-objective-title", "Satisfaction above 4.5 this month")
    await console.page.select_option("#set-objective-kpi", "csat_avg")
    await console.page.fill("#set-objective-target", "4.5")
    await console.page.click("#set-objective button[type=submit]")
    await console.redrawn(before)
    again = [a for a in console.answers if a.path == SCORECARD][-1]
    assert "min_position" in again.query
    rows = {r["objective_id"]: r for r in await assert_scorecard_is_the_apis(console)}
    assert (rows["OBJ-NEW"]["actual"], rows["OBJ-NEW"]["status"]) == ("4.00", "off_track")
    await console.screenshot("plan-handmade")
