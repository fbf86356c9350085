"""An API process and a writer process: the command path split across the internal endpoint.

The writer role (``run_writer``) and an API process's app (``create_api_app``) run here for
real, on the PostgreSQL log, talking over the writer's Unix socket found through
``ledger_writer.active``. The API process authenticates (401), reads the body within its
limits (413, and 400 for a body that is not what its Content-Encoding says), forwards the
rest with the principal it authenticated, and answers the writer's answer unchanged. With
no writer to answer, a command is a 503 with ``Retry-After`` at once, never a hang. The
writer's endpoint refuses whoever lacks the secret.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from pydantic import SecretStr

from ledger import bootstrap
from ledger.config import Settings
from ledger.envelope import Envelope
from ledger.http.role import create_api_app
from ledger.writer import discovery
from ledger.writer.endpoint import PRINCIPAL_HEADER, SCOPES_HEADER, SECRET_HEADER
from ledger.writer.role import run_writer

from .conftest import ADMIN_TOKEN, Api, serve, settings_for

SECRET = "internal-secret-for-tests-0123"
PROBLEM = "application/problem+json"


@dataclass
class Roles:
    api: Api
    settings: Settings
    dsn: str

    async def writer_address(self) -> str:
        pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=1)
        try:
            found = await discovery.lookup(pool, self.settings.topic_prefix, timeout=5)
        finally:
            await pool.close()
        assert found is not None
        return found.address

    async def events(self) -> list[Envelope]:
        plan = bootstrap.plan("command", self.settings)
        async with bootstrap.event_log(self.settings, self.dsn, plan) as log:
            end = await log.end_position()
            reader = await log.open_reader()
            found: list[Envelope] = []
            try:
                while not reader.position.covers(end):
                    found += [r.envelope() for r in await reader.read(max_records=1000, timeout=0.2)]
            finally:
                await reader.close()
        return found


def role_settings(request: pytest.FixtureRequest, prefix: str, data_dir: Path, **overrides: Any) -> Settings:
    return settings_for(
        "postgres", request, prefix, internal_secret=SecretStr(SECRET), data_dir=data_dir, **overrides
    )


async def registered(dsn: str, prefix: str, timeout: float = 30) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    try:
        await discovery.setup(pool)
        async with asyncio.timeout(timeout):
            while await discovery.lookup(pool, prefix, timeout=5) is None:
                await asyncio.sleep(0.05)
    finally:
        await pool.close()


@pytest.fixture
async def roles(
    request: pytest.FixtureRequest, prefix: str, tmp_path: Path, pg_dsn: str
) -> AsyncIterator[Roles]:
    settings = role_settings(request, prefix, tmp_path, max_body_bytes=4096)
    stop = asyncio.Event()
    writer = asyncio.create_task(run_writer(settings, stop.wait()))
    await registered(pg_dsn, prefix)
    client = await serve(create_api_app(settings))
    yield Roles(Api(client, ADMIN_TOKEN), settings, pg_dsn)
    await client.close()
    stop.set()
    assert await writer == 0


def location(location_id: str) -> dict[str, str]:
    return {"location_id": location_id, "name": location_id, "kind": "warehouse"}


async def test_a_command_is_decided_by_the_writer_as_the_principal_the_api_authenticated(
    roles: Roles,
) -> None:
    api = roles.api
    async with api.client.post(
        "/v1/commands/register-location",
        json=location("WH-1"),
        headers=api.headers(**{"X-Request-Id": "req-forwarded-1", "X-Correlation-Id": "corr-1"}),
    ) as response:
        assert response.status == 201, await response.text()
        assert response.content_type == "application/json"
        assert response.headers["X-Request-Id"] == "req-forwarded-1"
        body = await response.json()
    assert [e["type"] for e in body["events"]] == ["LocationRegistered"]

    status, problem = await api.command("register-location", location("WH-1"))
    assert (status, problem["type"]) == (409, "/problems/already-exists")  # the writer's answer, unchanged

    [event] = [e for e in await roles.events() if e.stream == "location:WH-1"]
    assert (event.id, event.actor, event.correlation_id) == (body["events"][0]["id"], "admin", "corr-1")


async def test_the_scopes_the_api_authenticated_travel_with_the_command(roles: Roles) -> None:
    api = roles.api
    async with api.client.post(
        "/v1/admin/tokens", json={"principal": "reader", "scopes": ["read"]}, headers=api.headers()
    ) as response:
        assert response.status == 201, await response.text()
        token = (await response.json())["token"]

    status, problem = await api.as_(token).command("register-location", location("WH-2"))
    assert (status, problem["type"], problem["scope"]) == (403, "/problems/missing-scope", "catalog:write")
    issued = [e for e in await roles.events() if e.stream == "principal:reader"]
    assert [(e.type, e.actor) for e in issued] == [("TokenIssued", "admin")]


async def test_a_repeated_idempotency_key_is_answered_by_the_writer_as_the_first(roles: Roles) -> None:
    api = roles.api
    first = await api.command("register-location", location("WH-3"), **{"Idempotency-Key": "k-3"})
    again = await api.command("register-location", location("WH-3"), **{"Idempotency-Key": "k-3"})
    assert first == again
    assert first[0] == 201


async def test_what_the_api_answers_itself_never_reaches_the_writer(roles: Roles) -> None:
    api = roles.api
    bad = await api.as_("lt_not-a-token").command("register-location", location("WH-4"))
    assert (bad[0], bad[1]["type"]) == (401, "/problems/invalid-token")
    big = {**location("WH-5"), "name": "x" * 5000}
    too_large = await api.command("register-location", big)
    assert (too_large[0], too_large[1]["type"]) == (413, "/problems/body-too-large")
    lie = api.headers(**{"Content-Type": "application/json", "Content-Encoding": "gzip"})
    async with api.client.post("/v1/commands/register-location", data=b"{}", headers=lie) as response:
        assert (response.status, response.content_type) == (400, PROBLEM)
    fine = api.headers(**{"Content-Type": "application/json", "Content-Encoding": "gzip"})
    packed = gzip.compress(b'{"location_id": "WH-6", "name": "six", "kind": "store"}')
    async with api.client.post("/v1/commands/register-location", data=packed, headers=fine) as response:
        assert response.status == 201  # decoded by the API process, handed on as read

    streams = {e.stream for e in await roles.events()}
    assert "location:WH-4" not in streams
    assert "location:WH-5" not in streams
    assert "location:WH-6" in streams


async def test_the_writers_endpoint_refuses_a_wrong_or_missing_secret(roles: Roles) -> None:
    address = await roles.writer_address()
    assert address.startswith("unix:")
    body = location("WH-7")
    async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=address[5:])) as session:
        for secret in ("wrong-secret-0123456789", None):
            headers = {PRINCIPAL_HEADER: "admin", SCOPES_HEADER: "admin catalog:write"}
            if secret is not None:
                headers[SECRET_HEADER] = secret
            async with session.post(
                "http://w/v1/commands/register-location", json=body, headers=headers
            ) as r:
                problem = await r.json(content_type=None)
                assert (r.status, problem["type"]) == (401, "/problems/internal-secret-refused")
        right = {SECRET_HEADER: SECRET, PRINCIPAL_HEADER: "admin", SCOPES_HEADER: "catalog:write"}
        async with session.post("http://w/v1/commands/register-location", json=body, headers=right) as r:
            assert r.status == 201
    assert [e.actor for e in await roles.events() if e.stream == "location:WH-7"] == ["admin"]


async def test_with_no_writer_a_command_is_a_503_at_once_and_readyz_says_why(
    request: pytest.FixtureRequest, prefix: str, tmp_path: Path
) -> None:
    settings = role_settings(request, prefix, tmp_path)
    client = await serve(create_api_app(settings))
    try:
        api = Api(client, ADMIN_TOKEN)
        began = time.monotonic()
        async with client.post(
            "/v1/commands/register-location", json=location("WH-8"), headers=api.headers()
        ) as r:
            problem = await r.json(content_type=None)
            assert (r.status, r.content_type, r.headers["Retry-After"]) == (503, PROBLEM, "1"), problem
        assert time.monotonic() - began < 2
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["writer"] == "unreachable"
    finally:
        await client.close()


async def test_when_the_writer_stops_the_standby_takes_over_and_the_api_finds_it(
    request: pytest.FixtureRequest, prefix: str, tmp_path: Path, pg_dsn: str
) -> None:
    stops = [asyncio.Event(), asyncio.Event()]
    first = asyncio.create_task(run_writer(role_settings(request, prefix, tmp_path / "a"), stops[0].wait()))
    await registered(pg_dsn, prefix)
    client = await serve(create_api_app(role_settings(request, prefix, tmp_path)))
    api = Api(client, ADMIN_TOKEN)
    second = asyncio.create_task(run_writer(role_settings(request, prefix, tmp_path / "b"), stops[1].wait()))
    try:
        assert (await api.command("register-location", location("WH-11")))[0] == 201
        stops[0].set()
        assert await first == 0
        answers = []
        async with asyncio.timeout(30):
            while not answers or answers[-1] != 201:
                status, _ = await api.command(
                    "register-location", location("WH-12"), **{"Idempotency-Key": "k-12"}
                )
                answers.append(status)
        assert set(answers) <= {503, 201}
        status, problem = await api.command("register-location", location("WH-11"))
        assert (status, problem["type"]) == (409, "/problems/already-exists")  # it knows what the first wrote
    finally:
        await client.close()
        for stop in stops:
            stop.set()
        assert await second == 0
