"""``POST /v1/projections/{name}/rebuild``: an online rebuild, swapped in while reads go on.

A company history goes in through the app's own writer; the inventory read model is then
rebuilt beside the live one (in a child process of the projection's owner) and swapped in,
while a reader keeps asking for the levels and always gets the same answer. The projector
carries on in the rebuilt tables, a second app reads them too, and ``ledger replay`` refuses
to swap tables under the running server. A rebuild asked through the second app, which owns
no projection, is carried out by the first.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
import structlog
from aiohttp.test_utils import TestClient

import projections
from ledger.app import create_app
from ledger.cli import main
from ledger.demo import generate
from ledger.demo.runner import submit_all
from ledger.http import rebuild
from ledger.http.keys import READ_MODELS, WRITER
from ledger.writer.service import Status

from .conftest import ADMIN_TOKEN, Api, serve, settings_for

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgres"])]

ROUTE = "/v1/projections/{name}/rebuild"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

Start = Callable[[], Awaitable[Api]]


@pytest.fixture
async def start_app(backend: str, request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[Start]:
    """Apps on this test's log, with small projector batches so that a rebuild takes a while."""
    clients: list[TestClient[Any, Any]] = []

    async def start() -> Api:
        app = create_app(settings_for(backend, request, prefix, projector_batch=50))
        app[rebuild.OPTIONS].grace = 0.5
        client = await serve(app)
        clients.append(client)
        return Api(client, ADMIN_TOKEN)

    yield start
    for client in reversed(clients):
        await client.close()


async def load_history(api: Api) -> str:
    """A few days of company history through the app's writer; answers the position reached."""
    writer = api.client.app[WRITER]
    summary = await submit_all(writer, generate(NOW, 7, 3))
    assert summary.events > 500
    return writer.position.token()


async def levels(api: Api, **query: str) -> dict[str, Any]:
    response = await api.client.get("/v1/inventory", params={"limit": "1000", **query}, headers=api.headers())
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def schema_exists(pg_dsn: str, schema: str) -> bool:
    conn = await asyncpg.connect(pg_dsn)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema))
    finally:
        await conn.close()


async def test_only_admin_may_rebuild_and_only_known_projections(start_app: Start) -> None:
    api = await start_app()
    response = await api.client.post(
        "/v1/admin/tokens", json={"principal": "viewer", "scopes": ["read"]}, headers=api.headers()
    )
    viewer = api.as_((await response.json())["token"])

    response = await viewer.client.post("/v1/projections/inventory/rebuild", headers=viewer.headers())
    assert response.status == 403
    response = await api.client.post("/v1/projections/inventory/rebuild")
    assert response.status == 401
    response = await api.client.post("/v1/projections/nope/rebuild", headers=api.headers())
    assert response.status == 404
    assert "one of " + ", ".join(p.name for p in projections.ALL) in (await response.json())["detail"]
    response = await viewer.client.get("/v1/projections/inventory/rebuild", headers=viewer.headers())
    assert response.status == 404  # no rebuild yet


async def test_rebuild_swaps_in_while_reads_keep_answering_and_the_server_keeps_it(
    start_app: Start,
    pg_dsn: str,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = await start_app()
    position = await load_history(api)
    before = await levels(api, min_position=position)
    assert len(before["items"]) > 10
    models = api.client.app[READ_MODELS]
    old = models.schema("inventory")

    response = await api.client.post("/v1/projections/inventory/rebuild", headers=api.headers())
    assert response.status == 202
    started = await response.json()
    assert started["state"] == "requested"  # the owner picks it up within a second
    assert response.headers["Location"] == started["watch"] == "/v1/projections/inventory/rebuild"
    again = await api.client.post("/v1/projections/inventory/rebuild", headers=api.headers())
    assert again.status == 409

    reads = 0
    while True:
        status = await (await api.client.get(started["watch"], headers=api.headers())).json()
        assert status["state"] in ("requested", "building", "swapping", "swapped"), status
        assert (await levels(api))["items"] == before["items"]
        reads += 1
        if status["state"] == "swapped":
            break
        await asyncio.sleep(0.02)
    assert reads >= 2  # at least one read while the rebuild was building
    assert status["replaced"] == old
    assert status["owner"].endswith(f":{os.getpid()}")  # the app's own runtime owns inventory
    assert models.schema("inventory") == started["schema"] != old
    assert (await levels(api))["items"] == before["items"]

    # The projector goes on in the rebuilt tables: a new receipt is read back.
    sku = before["items"][0]["sku"]
    location = before["items"][0]["location_id"]
    receipt = {"receipt_id": f"R-{uuid.uuid4().hex[:8]}", "sku": sku, "location_id": location, "qty": "5"}
    status_code, body = await api.command("receive-stock", receipt)
    assert status_code == 201, body
    after = await levels(api, min_position=body["position"], sku=sku, location_id=location)
    assert after["items"][0]["on_hand"] != before["items"][0]["on_hand"]

    for _ in range(50):  # the replaced tables go once the grace period is over
        if not await schema_exists(pg_dsn, old):
            break
        await asyncio.sleep(0.1)
    assert not await schema_exists(pg_dsn, old)

    # While this server runs, `ledger replay` will not swap tables under it; it may compare.
    monkeypatch.setenv("LEDGER_DATABASE_URL", pg_dsn)
    monkeypatch.setenv("LEDGER_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("LEDGER_PARTITIONS", "2")
    monkeypatch.delenv("LEDGER_KAFKA_BOOTSTRAP", raising=False)
    try:
        assert await asyncio.to_thread(main, ["replay", "--projection", "inventory"]) == 1
        assert "a running `ledger serve` or `ledger project` follows the inventory" in capsys.readouterr().err
        assert await asyncio.to_thread(main, ["replay", "--compare", "--projection", "inventory"]) == 0
        assert capsys.readouterr().out.endswith("replay --compare: all equal\n")
    finally:
        structlog.reset_defaults()

    second = await start_app()  # a second server on the same log reads the swapped-in tables
    assert second.client.app[WRITER].status is Status.STANDBY  # while the first one writes
    assert second.client.app[READ_MODELS].schema("inventory") == started["schema"]
    response = await second.client.post("/v1/projections/inventory/rebuild", headers=api.headers())
    assert response.status == 202  # recorded here, carried out by the first app, which owns inventory
    again = await response.json()
    assert (await api.client.post("/v1/projections/inventory/rebuild", headers=api.headers())).status == 409
    async with asyncio.timeout(60):
        while (status := await (await second.client.get(again["watch"], headers=api.headers())).json())[
            "state"
        ] != "swapped":
            assert status["state"] in ("requested", "building", "swapping"), status
            await asyncio.sleep(0.1)
    assert status["replaced"] == started["schema"]
    for app in (api, second):  # both hear of the swap from the database
        async with asyncio.timeout(5):
            while app.client.app[READ_MODELS].schema("inventory") != again["schema"]:
                await asyncio.sleep(0.05)
    assert (await levels(second, min_position=body["position"]))["items"] == (await levels(api))["items"]
