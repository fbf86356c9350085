"""The event feed of ``ledger api``, which holds no log of its own until someone follows it.

With a writer process beside it (as tests/http/test_api_role.py runs them), an API process
serves the feed from the first request, and opens no database connection for it: on
PostgreSQL the log borrows the reads' pool, and its appends are heard on the read models'
LISTEN connection, which wakes a long poll as soon as a command is written.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from ledger.http.role import create_api_app
from ledger.writer.role import run_writer

from .conftest import ADMIN_TOKEN, Api, serve
from .test_api_role import registered, role_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
async def api_process(
    request: pytest.FixtureRequest, prefix: str, tmp_path: Path, pg_dsn: str
) -> AsyncIterator[Api]:
    settings = role_settings(request, prefix, tmp_path)
    stop = asyncio.Event()
    writer = asyncio.create_task(run_writer(settings, stop.wait()))
    await registered(pg_dsn, prefix)
    client = await serve(create_api_app(settings))
    yield Api(client, ADMIN_TOKEN)
    await client.close()
    stop.set()
    assert await writer == 0


async def unnamed_connections(dsn: str) -> int:
    """Connections without an application name: the log's own pool and LISTEN would be such."""
    conn = await asyncpg.connect(dsn, server_settings={"application_name": "feed-test"})
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = '' AND backend_type = 'client backend'"
            )
        )
    finally:
        await conn.close()


async def test_ledger_api_serves_the_feed_on_the_connections_it_already_holds(
    api_process: Api, pg_dsn: str
) -> None:
    api = api_process
    before = await unnamed_connections(pg_dsn)
    status, _ = await api.command("register-location", {"location_id": "WH-F", "name": "F", "kind": "store"})
    assert status == 201
    response = await api.client.get("/v1/events", params={"limit": "1000"}, headers=api.headers())
    assert response.status == 200, await response.text()
    page = await response.json()
    assert "location:WH-F" in [item["subject"] for item in page["items"]]

    params = {"after": page["next"], "wait_ms": "20000"}
    waiting = asyncio.create_task(api.client.get("/v1/events", params=params, headers=api.headers()))
    await asyncio.sleep(0.3)
    written = time.monotonic()
    status, _ = await api.command("register-location", {"location_id": "WH-G", "name": "G", "kind": "store"})
    assert status == 201
    answer = await (await asyncio.wait_for(waiting, 10)).json()
    assert [item["subject"] for item in answer["items"]] == ["location:WH-G"]
    assert time.monotonic() - written < 2.5  # woken by the NOTIFY, not by the tail's 5 s read
    assert await unnamed_connections(pg_dsn) == before
