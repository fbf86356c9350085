"""Reads through PostgreSQL alone, with the projectors in another process, on both logs.

A real ``ledger project`` process owns every read model before the app starts, so the app's
own runtime only stands by: whatever the app reads was projected elsewhere, and the app
knows of it only from the database (live rows, positions announced by NOTIFY, status rows).
Read-your-writes holds, across a SIGKILL of that process too (the app's runtime takes over);
any number of readers waiting for ``min_position`` cost no query; a lost LISTEN connection
is said and reopened; an online rebuild asked through the app is carried out by the owner.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from structlog.testing import capture_logs

import projections
from ledger.demo import generate
from ledger.demo.runner import submit_all
from ledger.http import rebuild
from ledger.http.keys import READ_MODELS, RUNTIME, SETTINGS, WRITER
from ledger.log import Position
from ledger.readmodels import DatabaseReadModels
from tests.support.project_processes import NAMES, ProjectProcess, env_for

from .conftest import Api, AppFactory, settings_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
async def projector(
    backend: str, request: pytest.FixtureRequest, prefix: str, pg_dsn: str, tmp_path: Path
) -> AsyncIterator[ProjectProcess]:
    """``ledger project`` on this test's log, owning every read model before any app starts."""
    settings = settings_for(backend, request, prefix, projector_batch=100)
    process = ProjectProcess(env_for(settings), tmp_path / "project.log").start()
    try:
        await process.owning(pg_dsn, prefix, NAMES)
        yield process
    finally:
        if process.process is not None and process.process.poll() is None:
            process.kill()


async def make_app(make_api: AppFactory) -> Api:
    api = await make_api(projector_batch=100)
    app = api.client.app
    app[rebuild.OPTIONS].grace = 0.5
    assert not any(app[RUNTIME].owns(name) for name in NAMES)  # it stands by: the other process owns them
    return api


async def stock(api: Api, sku: str, location: str, **params: str) -> tuple[list[str], Position]:
    response = await api.client.get(
        "/v1/inventory", params={"sku": sku, "location_id": location, **params}, headers=api.headers()
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    return [item["on_hand"] for item in body["items"]], Position.from_token(
        response.headers["X-Ledger-Position"]
    )


async def receipts(api: Api, sku: str, location: str, count: int) -> None:
    """Receipts one by one, each read back at once with the position its command answered."""
    for i in range(count):
        receipt = {"receipt_id": f"R-{uuid.uuid4().hex[:8]}", "sku": sku, "location_id": location, "qty": "1"}
        status, answer = await api.command("receive-stock", receipt)
        assert status == 201, answer
        written = Position.from_token(answer["position"])
        on_hand, seen = await stock(api, sku, location, min_position=answer["position"])
        assert on_hand == [f"{i + 1}"]  # read your writes
        assert seen.covers(Position({tp: o for tp, o in written.items() if tp.topic.endswith(".inventory")}))


async def register(api: Api, sku: str, location: str) -> None:
    for name, body in [
        ("register-location", {"location_id": location, "name": "A", "kind": "warehouse"}),
        ("register-product", {"sku": sku, "name": "Widget", "uom": "ea", "category": "w"}),
    ]:
        status, answer = await api.command(name, body)
        assert status == 201, answer


async def test_reads_read_their_writes_projected_in_another_process_and_after_it_is_killed(
    projector: ProjectProcess, make_api: AppFactory
) -> None:
    api = await make_app(make_api)
    await register(api, "SKU-1", "WH-A")
    await receipts(api, "SKU-1", "WH-A", 15)

    response = await api.client.get("/v1/projections", headers=api.headers())
    body = await response.json()
    assert {(i["name"], i["owner"], i["stale"]) for i in body["items"]} == {
        (name, projector.owner, False) for name in NAMES
    }
    assert [p["owner"] for p in body["processes"]][:1] == [projector.owner]
    assert (await api.client.get("/readyz")).status == 200

    projector.kill()  # the app's runtime, standing by, takes every read model over
    runtime = api.client.app[RUNTIME]
    async with asyncio.timeout(30):
        while not all(runtime.owns(name) for name in NAMES):
            await asyncio.sleep(0.1)
    on_hand, _ = await stock(api, "SKU-1", "WH-A")
    assert on_hand == ["15"]
    await receipts_after(api, 15)


async def receipts_after(api: Api, before: int) -> None:
    receipt = {"receipt_id": f"R-{uuid.uuid4().hex[:8]}", "sku": "SKU-1", "location_id": "WH-A", "qty": "5"}
    status, answer = await api.command("receive-stock", receipt)
    assert status == 201, answer
    on_hand, _ = await stock(api, "SKU-1", "WH-A", min_position=answer["position"])
    assert on_hand == [f"{before + 5}"]


class Counted:
    """A pool whose every query is counted (asyncpg's query logger on each connection)."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    async def pool(self, dsn: str) -> asyncpg.Pool:
        async def init(conn: asyncpg.Connection) -> None:
            conn.add_query_logger(lambda logged: self.queries.append(logged.query))

        return await asyncpg.create_pool(dsn, min_size=1, max_size=4, init=init)


async def test_many_readers_waiting_for_min_position_cost_no_query_per_tick(
    projector: ProjectProcess, make_api: AppFactory, pg_dsn: str
) -> None:
    api = await make_app(make_api)
    await register(api, "SKU-1", "WH-A")
    app = api.client.app
    counted = Counted()
    pool = await counted.pool(pg_dsn)
    models = DatabaseReadModels(pg_dsn, pool, app[SETTINGS].topic_prefix, projections.ALL)
    await models.start()
    try:
        ahead = app[WRITER].position.merge(
            Position(
                {tp: o + 10**9 for tp, o in app[WRITER].position.items() if tp.topic.endswith(".inventory")}
            )
        )
        ticks: list[Position] = []
        waiting = [asyncio.create_task(models.wait_for("inventory", ahead, 4.0)) for _ in range(500)]
        before = len(counted.queries)
        for _ in range(30):  # thirty commands, as many batches of the other process, as many ticks
            receipt = {
                "receipt_id": f"R-{uuid.uuid4().hex[:8]}",
                "sku": "SKU-1",
                "location_id": "WH-A",
                "qty": "1",
            }
            status, answer = await api.command("receive-stock", receipt)
            assert status == 201, answer
            assert await models.wait_for("inventory", Position.from_token(answer["position"]), 10)
            ticks.append(models.position("inventory"))
        during = counted.queries[before:]
        assert await asyncio.gather(*waiting) == [False] * 500  # none reached: they waited throughout
    finally:
        await models.close()
        await pool.close()
    assert len({t.token() for t in ticks}) == 30  # the position moved thirty times...
    assert during == []  # ...and neither the waiting readers nor the moves asked the database anything


async def test_a_lost_listen_connection_is_said_reopened_and_positions_read_again(
    projector: ProjectProcess, make_api: AppFactory, pg_dsn: str
) -> None:
    api = await make_app(make_api)
    await register(api, "SKU-1", "WH-A")
    models = api.client.app[READ_MODELS]
    assert isinstance(models, DatabaseReadModels)
    name = f"ledger-listen/{api.client.app[SETTINGS].topic_prefix}"
    with capture_logs() as logs:
        conn = await asyncpg.connect(pg_dsn)
        try:
            killed = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                name,
            )
        finally:
            await conn.close()
        assert killed == 1
        # Written while this process may not hear of it: read back all the same.
        receipt = {"receipt_id": "R-LOST", "sku": "SKU-1", "location_id": "WH-A", "qty": "3"}
        status, answer = await api.command("receive-stock", receipt)
        assert status == 201, answer
        on_hand, _ = await stock(api, "SKU-1", "WH-A", min_position=answer["position"], wait_ms="15000")
        assert on_hand == ["3"]
    events = [e["event"] for e in logs]
    assert "read_models_listen_lost" in events
    assert "read_models_listening_again" in events
    assert models.listener.listening
    assert models.listener.reopened == 1
    await receipts_after_listening(api)


async def receipts_after_listening(api: Api) -> None:
    receipt = {"receipt_id": "R-AGAIN", "sku": "SKU-1", "location_id": "WH-A", "qty": "2"}
    status, answer = await api.command("receive-stock", receipt)
    assert status == 201, answer
    on_hand, _ = await stock(api, "SKU-1", "WH-A", min_position=answer["position"], wait_ms="2000")
    assert on_hand == ["5"]


async def levels(api: Api, **query: str) -> list[Any]:
    response = await api.client.get("/v1/inventory", params={"limit": "1000", **query}, headers=api.headers())
    assert response.status == 200, await response.text()
    items: list[Any] = (await response.json())["items"]
    return items


async def test_an_online_rebuild_asked_here_is_carried_out_by_the_owner_in_a_child_process(
    projector: ProjectProcess, make_api: AppFactory, pg_dsn: str
) -> None:
    api = await make_app(make_api)
    summary = await submit_all(api.client.app[WRITER], generate(NOW, 7, 2))
    assert summary.events > 500
    before = await levels(api, min_position=api.client.app[WRITER].position.token())
    models = api.client.app[READ_MODELS]
    old = models.schema("inventory")

    response = await api.client.post("/v1/projections/inventory/rebuild", headers=api.headers())
    assert response.status == 202, await response.text()
    started = await response.json()
    async with asyncio.timeout(90):
        while (status := await (await api.client.get(started["watch"], headers=api.headers())).json())[
            "state"
        ] != "swapped":
            assert status["state"] in ("requested", "building", "swapping"), status
            assert await levels(api) == before  # readers keep the old tables meanwhile
            await asyncio.sleep(0.05)
    assert (status["owner"], status["replaced"], status["parked"]) == (projector.owner, old, 0)
    assert status["events"] > 500
    async with asyncio.timeout(5):  # this process hears of the swap from the database
        while models.schema("inventory") != started["schema"]:
            await asyncio.sleep(0.05)
    assert await levels(api) == before
    workers = [line for line in projector.output(100_000).splitlines() if "rebuild_worker_started" in line]
    assert len(workers) == 1
    assert f'"pid": {projector.pid}' not in workers[0]  # built in a child of the owner, not in it

    await receipts_after_rebuild(api, before)
    conn = await asyncpg.connect(pg_dsn)
    try:
        async with asyncio.timeout(10):  # the replaced tables go once the grace period is over
            while await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", old):
                await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def receipts_after_rebuild(api: Api, before: list[Any]) -> None:
    """The owner goes on in the rebuilt tables: a new receipt is read back."""
    sku, location = before[0]["sku"], before[0]["location_id"]
    receipt = {"receipt_id": f"R-{uuid.uuid4().hex[:8]}", "sku": sku, "location_id": location, "qty": "5"}
    status, answer = await api.command("receive-stock", receipt)
    assert status == 201, answer
    after = await levels(api, min_position=answer["position"], sku=sku, location_id=location)
    assert after[0]["on_hand"] != before[0]["on_hand"]
