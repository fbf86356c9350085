"""The Customers page in a real browser: satisfaction, retention and a customer's card show
exactly what the API answered the page; an unknown customer shows the API's 404 detail; a
follow-up recorded from the page is in the next read (with the write's ``min_position``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .driver import Console, Served, plotted
from .figures import row

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SATISFACTION = "/v1/customers/satisfaction"
RETENTION = "/v1/customers/retention"
COLUMNS = ["bucket", "responses", "csat_avg", "csat_pct", "nps", "after_complaint_csat_avg"]
TILES = ["active", "new", "returning", "lapsed", "repeat_rate_pct"]


async def assert_satisfaction_is_the_apis(console: Console, bucket: str) -> list[dict[str, Any]]:
    buckets = console.answer(SATISFACTION, bucket=bucket)["items"]
    chart = await console.chart("customer-satisfaction")
    assert chart["labels"] == [b["bucket"] for b in buckets]
    assert [d["label"] for d in chart["datasets"]] == ["CSAT average", "NPS"]
    assert chart["datasets"][0]["data"] == [plotted(b["csat_avg"]) for b in buckets]
    assert chart["datasets"][1]["data"] == [plotted(b["nps"]) for b in buckets]
    assert await console.table("satisfaction") == [row(b, *COLUMNS) for b in buckets]
    return buckets


async def assert_retention_is_the_apis(console: Console) -> dict[str, Any]:
    retention: dict[str, Any] = console.answer(RETENTION)
    tiles = [await console.page.get_attribute(f"#kpi-{key} .value", "data-value") for key in TILES]
    assert tiles == list(row(retention, *TILES).values())
    return retention


async def look_up(console: Console, customer_id: str) -> dict[str, str]:
    """Look a customer up with the page's form; its card's values (the API's) by field."""
    await console.page.fill("#customer-id", customer_id)
    await console.page.click("form.lookup button[type=submit]")
    await console.page.wait_for_selector(f'#customer-card[data-shown="{customer_id}"]')
    facts: dict[str, str] = await console.page.eval_on_selector_all(
        "#customer-card dd", "nodes => Object.fromEntries(nodes.map(n => [n.dataset.key, n.dataset.value]))"
    )
    return facts


async def test_the_demo_customers_page_shows_the_apis_figures(console: Console, demo_console: Served) -> None:
    await console.sign_in(demo_console)
    await console.open(demo_console, "customers")
    assert await assert_satisfaction_is_the_apis(console, "month")
    await assert_retention_is_the_apis(console)
    customer_id = "CUST-1001"
    facts = await look_up(console, customer_id)
    answer = console.answer(f"/v1/customers/{customer_id}")
    assert facts == {k: "" if v is None else str(v) for k, v in answer.items() if k != "customer_id"}
    await console.screenshot("customers-demo")


async def test_handmade_follow_ups_in_zurich_an_unknown_customer_and_one_recorded_from_the_page(
    console: Console, handmade_console: Served
) -> None:
    served = handmade_console
    now = datetime.now(ZoneInfo("Europe/Zurich"))
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    # Half past midnight on the 1st in Zurich: the month before in UTC.
    first_night = month_start + timedelta(minutes=30)
    for customer_id, name in [("C-1", "Bergbau AG"), ("C-2", "Uhren GmbH")]:
        registered = {"customer_id": customer_id, "name": name, "segment": "retail"}
        await served.record("register-customer", registered)
    for follow_up, customer, answers, at in [
        ("F-1", "C-1", {"csat": 5, "nps": 10}, first_night),
        ("F-2", "C-2", {"csat": 2, "nps": 3}, now - timedelta(minutes=1)),
        ("F-3", "C-2", {"csat": 4}, now - timedelta(minutes=1)),
    ]:
        body = {"follow_up_id": follow_up, "customer_id": customer, "kind": "call", **answers}
        await served.record("record-follow-up", {**body, "occurred_at": at.isoformat()})

    # Straight to the page: the empty ledger has no stock for the Stock page to show.
    await console.sign_in(served, page_id="customers")
    buckets = await assert_satisfaction_is_the_apis(console, "month")
    figures = ["responses", "csat_avg", "csat_pct", "nps", "after_complaint_csat_avg"]
    assert [[b[k] for k in figures] for b in buckets] == [[3, "3.67", "66.67", "0.00", None]]
    # The bucket starts on the 1st in Zurich (the last day of the month before in UTC).
    bucket_text = await console.texts('[data-table="satisfaction"] td[data-col="bucket"]')
    assert bucket_text[0].startswith("1 "), bucket_text
    assert str(now.year) in bucket_text[0], bucket_text
    retention = await assert_retention_is_the_apis(console)
    assert [retention[k] for k in ("period", "active", "repeat_rate_pct")] == [now.strftime("%Y-%m"), 0, None]

    console.expect_status(404)
    await look_up(console, "NOBODY")
    assert await console.texts("#customer-card .result.bad") == ["no customer 'NOBODY'"]
    facts = await look_up(console, "C-1")
    assert (facts["segment"], facts["csat_avg"], facts["net_revenue"]) == ("retail", "5.00", "0.00")
    last = await console.texts('#customer-card dd[data-key="last_follow_up_at"]')
    assert "00:30" in last[0], last  # Zurich time; 23:30 in UTC
    assert (await console.texts('#customer-card dd[data-key="net_revenue"]'))[0].startswith("CHF")

    before = await console.renders()
    await console.page.click("#record-follow-up summary")
    assert await console.page.input_value("#record-follow-up-customer_id") == "C-1"
    await console.page.select_option("#record-follow-up-kind", "survey")
    await console.page.fill("#record-follow-up-csat", "3")
    await console.page.fill("#record-follow-up-nps", "9")
    await console.page.click("#record-follow-up button[type=submit]")
    await console.redrawn(before)
    again = [a for a in console.answers if a.path == SATISFACTION][-1]
    assert "min_position" in again.query
    buckets = await assert_satisfaction_is_the_apis(console, "month")
    assert (buckets[-1]["responses"], buckets[-1]["csat_avg"]) == (4, "3.50")
    # The card is read again too: C-1's average now takes the new answer.
    card = '#customer-card[data-shown="C-1"] dd[data-key="csat_avg"]'
    await console.page.wait_for_selector(f'{card}[data-value="4.00"]')
    await console.screenshot("customers-handmade")
