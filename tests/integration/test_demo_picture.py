"""The picture the demo draws, as the API shows it: the 90-day demo read from the read models.

The demo is loaded once for the module, through the writer that ``ledger serve`` runs, into
the embedded PostgreSQL log, and projected by the app's own runtime; each test reads the
real routes through the app. The read models' figures are tested against hand-worked
figures elsewhere; here the question is whether the demo gives them something worth
showing: conversion that differs by channel, satisfaction lower after complaints,
customers who come, come back and lapse, campaigns that pay and some that do not, and a
plan whose scorecard has objectives on track and off, met and missed.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, get_args

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from ledger.app import create_app
from ledger.config import Settings
from ledger.demo import generate
from ledger.demo.runner import submit_all
from ledger.http.keys import WRITER
from schemas.planning import Kpi

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

NOW = datetime(2026, 11, 20, 15, 30, 12, tzinfo=UTC)
TOKEN = "test-admin-token-0123456789"
CHANNELS = {"online", "distributor", "direct"}
YEAR = {"from": "2026-01-01", "to": "2027-01-01"}


class Demo:
    """The app over the loaded demo, and the position every read waits for."""

    def __init__(self, client: TestClient[Any, Any], position: str) -> None:
        self.client, self.position = client, position

    async def get(self, path: str, **params: str) -> Any:
        query = {"min_position": self.position, "wait_ms": "60000", **params}
        response = await self.client.get(path, params=query, headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status == 200, await response.text()
        return await response.json()


@pytest.fixture(scope="module")
async def demo(pg_dsn: str) -> AsyncIterator[Demo]:
    settings = Settings(
        database_url=SecretStr(pg_dsn),
        topic_prefix=f"t{uuid.uuid4().hex[:12]}",
        partitions=2,
        admin_token=SecretStr(TOKEN),
        log_timeout_s=5.0,
    )
    server = TestServer(create_app(settings))
    await server.start_server()
    client: TestClient[Any, Any] = TestClient(server)
    await client.start_server()
    try:
        writer = client.app[WRITER]
        summary = await submit_all(writer, generate(NOW, 7, 90))
        assert not summary.refused, summary.report()
        yield Demo(client, writer.position.token())
    finally:
        await client.close()


async def test_conversion_differs_by_channel_and_leads_end_won_lost_or_open(demo: Demo) -> None:
    by_channel = {i["key"]: i for i in (await demo.get("/v1/sales/funnel", **YEAR))["items"]}
    assert set(by_channel) == CHANNELS
    for state in ("won", "lost", "open"):
        assert any(i[state] for i in by_channel.values()), state
    conversion = {key: Decimal(i["conversion_pct"]) for key, i in by_channel.items()}
    assert all(Decimal(5) <= pct <= Decimal(60) for pct in conversion.values()), conversion
    assert max(conversion.values()) - min(conversion.values()) >= 10, conversion

    by_campaign = (await demo.get("/v1/sales/funnel", dimension="campaign", **YEAR))["items"]
    keys = {i["key"] for i in by_campaign}
    assert "none" in keys
    assert len(keys) >= 4
    assert len({i["conversion_pct"] for i in by_campaign if i["leads"] >= 10}) >= 3


async def test_satisfaction_is_believable_and_lower_after_complaints(demo: Demo) -> None:
    window = {"from": "2026-09-01", "to": "2026-12-01"}
    months = (await demo.get("/v1/customers/satisfaction", bucket="month", **window))["items"]
    assert [m["bucket"][:7] for m in months] == ["2026-09", "2026-10", "2026-11"]
    assert all(m["responses"] >= 30 for m in months), months
    quarters = (await demo.get("/v1/customers/satisfaction", bucket="quarter", **window))["items"]
    assert len(quarters) == 2
    for q in quarters:
        csat, after_complaint, nps = (Decimal(q[k]) for k in ("csat_avg", "after_complaint_csat_avg", "nps"))
        assert Decimal("3.7") <= csat <= Decimal("4.4"), q
        assert after_complaint <= csat - Decimal("0.25"), q
        assert Decimal(0) <= nps <= Decimal(45), q
        assert Decimal(50) <= Decimal(q["csat_pct"]) < Decimal(100), q


async def test_retention_this_quarter_has_new_returning_and_lapsed_customers(demo: Demo) -> None:
    quarter = await demo.get("/v1/customers/retention", period="2026-Q4")
    assert quarter["new"] > 0, quarter
    assert quarter["returning"] > 0, quarter
    assert quarter["lapsed"] > 0, quarter
    assert Decimal(60) <= Decimal(quarter["repeat_rate_pct"]) < Decimal(100), quarter


async def test_campaigns_pay_back_some_well_one_poorly_and_one_has_not_spent_yet(demo: Demo) -> None:
    campaigns = {
        i["campaign_id"]: i for i in (await demo.get("/v1/marketing/campaigns", limit="1000"))["items"]
    }
    roas = {cid: Decimal(i["roas"]) for cid, i in campaigns.items() if i["roas"] is not None}
    assert sum(Decimal(2) <= r <= Decimal(15) for r in roas.values()) >= 4, roas
    assert any(r < 1 for r in roas.values()), "a campaign that did not pay"
    assert all(campaigns[cid]["roas"] is None for cid, i in campaigns.items() if Decimal(i["spend"]) == 0)
    assert any(Decimal(i["spend"]) == 0 for i in campaigns.values())
    assert any(i["budget_used_pct"] is None and Decimal(i["spend"]) > 0 for i in campaigns.values())
    assert any(
        i["budget_used_pct"] is not None and Decimal(i["budget_used_pct"]) > 100 for i in campaigns.values()
    )
    assert sum(i["orders"] > 0 for i in campaigns.values()) >= 5


async def test_the_scorecard_has_objectives_on_track_and_off_each_kpi_measured(demo: Demo) -> None:
    items = (await demo.get("/v1/plans/scorecard", as_of=NOW.isoformat(), limit="1000"))["items"]
    statuses = Counter(i["status"] for i in items)
    assert statuses["on_track"] + statuses["met"] >= 3, statuses
    assert statuses["off_track"] + statuses["missed"] >= 3, statuses
    assert {i["kpi"] for i in items} == set(get_args(Kpi)), "every KPI of the plan, and none unknown"
    assert [i["objective_id"] for i in items if i["actual"] is None] == [], (
        "each KPI has something to measure"
    )
