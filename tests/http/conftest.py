"""The whole app in process (aiohttp's test server) on a real log and a real PostgreSQL.

``api`` runs on both logs: the embedded PostgreSQL one and Kafka. Each test gets a topic
prefix of its own, so the logs never mix. ``module_api`` is one app per module and log, for
tests that each work on streams of their own and so can share it (an app start on Kafka
costs about a second).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from ledger.app import create_app
from ledger.config import Settings
from ledger.http.limits import HANDLER_ARGS, MAX_LINE_SIZE

ADMIN_TOKEN = "test-admin-token-0123456789"


@dataclass
class Api:
    """A client that speaks as one principal."""

    client: TestClient[Any, Any]
    token: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    async def command(self, name: str, body: object, **headers: str) -> tuple[int, Any]:
        response = await self.client.post(f"/v1/commands/{name}", json=body, headers=self.headers(**headers))
        return response.status, await response.json(content_type=None)

    async def batch(self, items: list[dict[str, Any]]) -> tuple[int, Any]:
        response = await self.client.post("/v1/commands", json=items, headers=self.headers())
        return response.status, await response.json(content_type=None)

    def as_(self, token: str) -> Api:
        return Api(self.client, token)


AppFactory = Callable[..., Awaitable[Api]]


async def serve(app: web.Application) -> TestClient[Any, Any]:
    """The app served as ``ledger serve`` serves it (its request limits), and a client for it
    that reads headers as long as the server accepts."""
    server = TestServer(app)
    await server.start_server(**HANDLER_ARGS)
    client: TestClient[Any, Any] = TestClient(
        server, max_line_size=MAX_LINE_SIZE, max_field_size=MAX_LINE_SIZE
    )
    await client.start_server()
    return client


def settings_for(backend: str, request: pytest.FixtureRequest, prefix: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": SecretStr(request.getfixturevalue("pg_dsn")),
        "topic_prefix": prefix,
        "partitions": 2,
        "admin_token": SecretStr(ADMIN_TOKEN),
        "log_timeout_s": 5.0,
    }
    if backend == "kafka":
        values["kafka_bootstrap"] = request.getfixturevalue("kafka_bootstrap")
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(params=["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_api(backend: str, request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[AppFactory]:
    clients: list[TestClient[Any, Any]] = []

    async def make(**overrides: Any) -> Api:
        client = await serve(create_app(settings_for(backend, request, prefix, **overrides)))
        clients.append(client)
        return Api(client, ADMIN_TOKEN)

    yield make
    for client in reversed(clients):
        await client.close()


@pytest.fixture
async def api(make_api: AppFactory) -> Api:
    return await make_api()


@pytest.fixture(scope="module", params=["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
async def module_api(request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    prefix = f"t{uuid.uuid4().hex[:12]}"
    client = await serve(create_app(settings_for(str(request.param), request, prefix)))
    yield Api(client, ADMIN_TOKEN)
    await client.close()
