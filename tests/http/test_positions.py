"""Position tokens of the largest configuration over HTTP: accepted as ``min_position``.

A whole-log position of 16 topics of 1,024 partitions at offsets up to 2**40 takes over
100,000 characters, far past aiohttp's default 8,190-byte request line; the app is run with
the limits of ``ledger.http.limits``, as ``ledger serve`` runs it (tried here as well).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from ledger.http.keys import SETTINGS
from ledger.http.limits import MAX_LINE_SIZE
from ledger.log import Position, TopicPartition
from ledger.log.position import MAX_TOKEN_LENGTH
from tests.support.faultproxy import free_port

from .conftest import ADMIN_TOKEN, Api


def largest_beside(position: Position, prefix: str) -> str:
    """A token of ``position`` and 16 more topics of 1,024 partitions each, at random offsets."""
    rnd = random.Random(5)
    others = {
        TopicPartition(f"{prefix}-elsewhere.area-{i:02}", p): rnd.randrange(2**40)
        for i in range(16)
        for p in range(1024)
    }
    token = Position(others).merge(position).token()
    assert 100_000 < len(token) <= MAX_TOKEN_LENGTH
    return token


async def test_a_read_waits_for_a_min_position_of_the_largest_configuration(api: Api) -> None:
    for name, body in [
        ("register-location", {"location_id": "WH-A", "name": "A", "kind": "warehouse"}),
        ("register-product", {"sku": "SKU-1", "name": "Widget", "uom": "ea", "category": "w"}),
        ("receive-stock", {"receipt_id": "R-1", "sku": "SKU-1", "location_id": "WH-A", "qty": "7"}),
    ]:
        status, answer = await api.command(name, body)
        assert status == 201, answer
    written = Position.from_token(answer["position"])
    token = largest_beside(written, api.client.app[SETTINGS].topic_prefix)

    response = await api.client.get(
        "/v1/inventory", params={"min_position": token, "sku": "SKU-1"}, headers=api.headers()
    )
    assert response.status == 200, await response.text()
    assert [item["on_hand"] for item in (await response.json())["items"]] == ["7"]
    assert Position.from_token(response.headers["X-Ledger-Position"]).covers(written)

    audit = await api.client.get(
        "/v1/streams/stock:SKU-1@WH-A/events", params={"min_position": token}, headers=api.headers()
    )
    assert audit.status == 200, await audit.text()
    assert Position.from_token(audit.headers["X-Ledger-Position"]).covers(written)


async def test_ledger_serve_takes_a_min_position_of_the_largest_configuration(
    pg_dsn: str, prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": pg_dsn,
        "LEDGER_TOPIC_PREFIX": prefix,
        "LEDGER_PARTITIONS": "2",
        "LEDGER_ADMIN_TOKEN": ADMIN_TOKEN,
        "LEDGER_PORT": str(port),
    }
    env.pop("LEDGER_KAFKA_BOOTSTRAP", None)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with (tmp_path / "serve.log").open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "serve"], env=env, stdout=out, stderr=out
        )
    try:
        async with aiohttp.ClientSession(max_field_size=MAX_LINE_SIZE) as session:
            async with asyncio.timeout(60):
                while True:
                    assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
                    with contextlib.suppress(aiohttp.ClientError):
                        async with session.get(f"{base}/readyz") as ready:
                            if ready.status == 200:
                                break
                    await asyncio.sleep(0.2)
            body = {"location_id": "WH-A", "name": "A", "kind": "warehouse"}
            async with session.post(
                f"{base}/v1/commands/register-location", json=body, headers=headers
            ) as done:
                assert done.status == 201
                written = Position.from_token((await done.json())["position"])
            token = largest_beside(written, prefix)
            async with session.get(
                f"{base}/v1/streams/location:WH-A/events", params={"min_position": token}, headers=headers
            ) as read:
                assert read.status == 200, await read.text()
                assert [e["type"] for e in (await read.json())["items"]] == ["LocationRegistered"]
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
