"""The Campaigns page in a real browser: budget and spend, every campaign's figures and the sales
funnel show exactly what the API answered the page; spend recorded from the page is in the
next read (with the write's ``min_position``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .driver import Console, Served, plotted
from .figures import row

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CAMPAIGNS = "/v1/marketing/campaigns"
FUNNEL = "/v1/sales/funnel"
CAMPAIGN_FIELDS = [
    "campaign_id",
    "name",
    "medium",
    "starts_on",
    "ends_on",
    "budget",
    "spend",
    "budget_used_pct",
    "leads",
    "qualified",
    "won",
    "orders",
    "revenue",
    "cost_per_lead",
    "roas",
]
FUNNEL_FIELDS = ["key", "leads", "qualified", "won", "lost", "open", "conversion_pct"]


async def assert_campaigns_are_the_apis(console: Console) -> list[dict[str, Any]]:
    campaigns = console.answer(CAMPAIGNS)["items"]
    chart = await console.chart("campaign-spend")
    assert chart["labels"] == [c["campaign_id"] for c in campaigns]
    assert [d["label"] for d in chart["datasets"]] == ["budget", "spend"]
    assert chart["datasets"][0]["data"] == [plotted(c["budget"]) for c in campaigns]
    assert chart["datasets"][1]["data"] == [plotted(c["spend"]) for c in campaigns]
    assert await console.table("campaigns") == [row(c, *CAMPAIGN_FIELDS) for c in campaigns]
    over = [c["campaign_id"] for c in campaigns if c["budget_used_pct"] and float(c["budget_used_pct"]) > 100]
    assert await console.marked("campaigns", "alert") == over
    return campaigns


async def assert_funnel_is_the_apis(console: Console, dimension: str) -> list[dict[str, Any]]:
    funnel = console.answer(FUNNEL, dimension=dimension)["items"]
    chart = await console.chart("sales-funnel")
    assert chart["labels"] == [f["key"] for f in funnel]
    for dataset, stage in zip(chart["datasets"], ["won", "lost", "open"], strict=True):
        assert (dataset["label"], dataset["data"]) == (stage, [f[stage] for f in funnel])
    assert await console.table("funnel") == [row(f, *FUNNEL_FIELDS) for f in funnel]
    return funnel


async def test_the_demo_campaigns_page_shows_the_apis_figures(console: Console, demo_console: Served) -> None:
    await console.sign_in(demo_console)
    await console.open(demo_console, "campaigns")
    campaigns = await assert_campaigns_are_the_apis(console)
    assert await console.marked("campaigns", "alert"), "the demo overspends a campaign"
    funnel = await assert_funnel_is_the_apis(console, "campaign")
    assert {f["key"] for f in funnel} - {"none"} <= {c["campaign_id"] for c in campaigns}
    await console.screenshot("campaigns-demo")


async def test_handmade_campaigns_in_swiss_francs_and_spend_recorded_from_the_page(
    console: Console, handmade_console: Served
) -> None:
    served = handmade_console
    year = datetime.now(ZoneInfo("Europe/Zurich")).year
    span = {"starts_on": f"{year}-03-31", "ends_on": f"{year}-12-31", "currency": "CHF"}
    for name, body in [
        ("launch-campaign", {"campaign_id": "CMP-A", "name": "Search", "medium": "search", "budget": "1000"}),
        ("launch-campaign", {"campaign_id": "CMP-B", "name": "Letter", "medium": "email", "budget": "100"}),
        ("record-campaign-spend", {"campaign_id": "CMP-A", "spend_id": "S-1", "amount": "400"}),
        ("record-campaign-spend", {"campaign_id": "CMP-B", "spend_id": "S-1", "amount": "150"}),
        ("capture-lead", {"lead_id": "L-1", "campaign_id": "CMP-A", "channel": "online"}),
        ("capture-lead", {"lead_id": "L-2", "campaign_id": "CMP-A", "channel": "online"}),
        ("qualify-lead", {"lead_id": "L-2"}),
        ("capture-lead", {"lead_id": "L-3", "campaign_id": "CMP-B", "channel": "direct"}),
        ("lose-lead", {"lead_id": "L-3", "reason": "no budget"}),
    ]:
        await served.record(name, {**body, **span} if name == "launch-campaign" else body)

    # Straight to the page: the empty ledger has no stock for the Stock page to show.
    await console.sign_in(served, page_id="campaigns")
    campaigns = {c["campaign_id"]: c for c in await assert_campaigns_are_the_apis(console)}
    assert [campaigns[c]["budget_used_pct"] for c in ("CMP-A", "CMP-B")] == ["40.00", "150.00"]
    assert await console.marked("campaigns", "alert") == ["CMP-B"]
    assert all("CHF" in t for t in await console.texts('[data-table="campaigns"] td[data-col="budget"]'))
    assert await console.texts('[data-table="campaigns"] td[data-col="starts_on"]') == [f"31 Mar {year}"] * 2
    funnel = {f["key"]: f for f in await assert_funnel_is_the_apis(console, "campaign")}
    assert [funnel["CMP-A"][k] for k in ("leads", "qualified", "open")] == [2, 1, 2]
    assert [funnel["CMP-B"][k] for k in ("lost", "conversion_pct")] == [1, "0.00"]

    before = await console.renders()
    await console.page.select_option("#filter-dimension", "channel")
    await console.redrawn(before)
    assert [f["key"] for f in await assert_funnel_is_the_apis(console, "channel")] == ["direct", "online"]

    before = await console.renders()
    await console.page.click("#record-campaign-spend summary")
    await console.page.select_option("#record-campaign-spend-campaign_id", "CMP-A")
    await console.page.fill("#record-campaign-spend-amount", "700")
    await console.page.fill("#record-campaign-spend-note", "autumn push")
    await console.page.click("#record-campaign-spend button[type=submit]")
    await console.redrawn(before)
    again = [a for a in console.answers if a.path == CAMPAIGNS][-1]
    assert "min_position" in again.query
    campaigns = {c["campaign_id"]: c for c in await assert_campaigns_are_the_apis(console)}
    assert (campaigns["CMP-A"]["spend"], campaigns["CMP-A"]["budget_used_pct"]) == ("1100.00", "110.00")
    assert await console.marked("campaigns", "alert") == ["CMP-A", "CMP-B"]
    await console.screenshot("campaigns-handmade")
