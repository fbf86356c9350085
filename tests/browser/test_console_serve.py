"""The console as a newcomer finds it: on a real ``ledger serve``, whose API workers are
processes of their own behind one port, with the writer and the projectors in theirs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.processes import Process, free_port, ready, serve_env, until

from .driver import Console, Served

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TOKEN = "console-serve-admin-token-0123"


async def test_a_real_ledger_serve_serves_the_console_and_what_is_recorded_there_shows(
    pg_dsn: str, prefix: str, tmp_path: Path, browser: Any, screenshot_dir: Path
) -> None:
    port = free_port()
    env = serve_env(
        pg_dsn, prefix, tmp_path, port, TOKEN, LEDGER_TIMEZONE="America/New_York", LEDGER_CURRENCY="USD"
    )
    base = f"http://127.0.0.1:{port}"
    serve = Process(["serve"], env, tmp_path / "serve.log").start()
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    tab = Console(await context.new_page(), screenshot_dir)
    try:
        await until(lambda: ready(port), "ledger serve is ready", timeout=90)
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:
            for name, body in [
                ("register-location", {"location_id": "NYC-1", "name": "Brooklyn", "kind": "warehouse"}),
                ("register-product", {"sku": "SAW-9", "name": "Saw", "uom": "ea", "category": "tools"}),
                (
                    "receive-stock",
                    {
                        "receipt_id": "R-1",
                        "sku": "SAW-9",
                        "location_id": "NYC-1",
                        "qty": 4,
                        "unit_cost": "12.5",
                    },
                ),
            ]:
                async with session.post(f"{base}/v1/commands/{name}", json=body) as response:
                    assert response.status == 201, await response.text()
        served = Served(api=None, base_url=base, read_only_token="", settings=None, admin_token=TOKEN)
        await tab.sign_in(served)
        assert await tab.page.get_attribute("main", "data-page") == "stock"
        rows = await tab.table("levels")
        assert [(r["sku"], r["on_hand"], r["value"]) for r in rows] == [("SAW-9", "4", "50.00")]
        assert [v.replace("\xa0", " ") for v in await tab.texts("#kpi-value .value")] == ["$50.00"]

        before = await tab.renders()
        await tab.page.click("#receive-stock summary")
        await tab.page.fill("#receive-stock-qty", "6")
        await tab.page.fill("#receive-stock-unit_cost", "12.5")
        await tab.page.click("#receive-stock button[type=submit]")
        await tab.redrawn(before)
        rows = await tab.table("levels")
        assert [(r["sku"], r["on_hand"], r["value"]) for r in rows] == [("SAW-9", "10", "125.00")]

        await tab.open(served, "operations")
        names = [r["name"] for r in await tab.table("projectors")]
        assert "inventory" in names
        await tab.screenshot("serve-operations")
    finally:
        await context.close()
        assert serve.terminate(60) == 0, serve.tail()
    assert not tab.errors, tab.errors
