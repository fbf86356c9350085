"""The database failing under a running server, on the real PostgreSQL: a read past its
statement timeout, the read pool's backends terminated, the read pool exhausted, a read
model's schema dropped under a reader, a role out of connections, and the token lookup
stuck. Each answers 503 problem+json with Retry-After (never a 500), /readyz says so in its
body, and once the cause is gone the same server answers normally again.

Only the PostgreSQL log here: what fails is the read-model database, whatever the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from ledger.http.keys import READ_MODELS, SETTINGS
from ledger.log import Position

from .conftest import Api, AppFactory

PROBLEM = "application/problem+json"


@pytest.fixture
def backend() -> str:
    return "postgres"


async def get(api: Api, path: str = "/v1/inventory", token: str | None = None) -> tuple[int, Any, Any]:
    headers = {"Authorization": f"Bearer {token or api.token}"}
    response = await api.client.get(path, headers=headers)
    return response.status, response, await response.json(content_type=None)


def assert_unavailable(status: int, response: Any, body: Any) -> None:
    assert status == 503, body
    assert response.content_type == PROBLEM, body
    assert int(response.headers["Retry-After"]) >= 1
    assert body["status"] == 503
    assert body["type"].endswith("/unavailable"), body


async def answers_normally(api: Api, path: str = "/v1/inventory", within: float = 10.0) -> None:
    """The server answers 200 again soon (a 503 or two while connections are renewed is fine)."""
    async with asyncio.timeout(within):
        while True:
            status, _, body = await get(api, path)
            assert status in (200, 503), body
            if status == 200:
                return
            await asyncio.sleep(0.1)


async def settled(api: Api) -> Api:
    """An app whose read models exist and hold a row, so reads touch real tables."""
    status, answer = await api.command(
        "register-location", {"location_id": "WH-A", "name": "A", "kind": "warehouse"}
    )
    assert status == 201, answer
    position = Position.from_token(answer["position"])
    assert await api.client.app[READ_MODELS].wait_for("inventory", position, 10)
    assert (await get(api))[0] == 200
    return api


def schema_of(api: Api, projection: str = "inventory") -> str:
    return api.client.app[READ_MODELS].schema(projection)


@contextlib.asynccontextmanager
async def locked(dsn: str, table: str) -> AsyncIterator[asyncpg.Connection]:
    """Hold an exclusive lock on ``table`` (a qualified name) inside the block."""
    conn = await asyncpg.connect(dsn)
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield conn
        await transaction.rollback()
    finally:
        await conn.close()


async def terminate(dsn: str, application_name: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        killed = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = $1 AND pid <> pg_backend_pid()",
            application_name,
        )
        return int(killed)
    finally:
        await conn.close()


def read_pool_name(api: Api) -> str:
    return f"ledger-read/{api.client.app[SETTINGS].topic_prefix}"


async def test_a_read_past_the_statement_timeout_is_503_then_reads_resume(
    make_api: AppFactory, pg_dsn: str
) -> None:
    api = await settled(await make_api(read_timeout_ms=300))
    async with locked(pg_dsn, f'"{schema_of(api)}".levels'):
        status, response, body = await get(api)
        assert_unavailable(status, response, body)
        assert "QueryCanceledError" in body["detail"]
    await answers_normally(api)


async def test_terminated_read_backends_are_503_then_reads_resume(make_api: AppFactory, pg_dsn: str) -> None:
    api = await settled(await make_api())
    async with locked(pg_dsn, f'"{schema_of(api)}".levels'):
        blocked = asyncio.create_task(get(api))
        async with asyncio.timeout(10):  # the read is waiting for the lock on its own backend
            while not await terminate(pg_dsn, read_pool_name(api)):
                await asyncio.sleep(0.05)
        assert_unavailable(*await blocked)
    await answers_normally(api)


async def test_an_exhausted_read_pool_is_503_and_leaves_authentication_and_commands_alone(
    make_api: AppFactory, pg_dsn: str
) -> None:
    api = await settled(await make_api(read_pool_size=1, pool_acquire_timeout_s=0.3))
    async with locked(pg_dsn, f'"{schema_of(api)}".levels'):
        holding = asyncio.create_task(get(api))  # takes the only connection, then waits for the lock
        await asyncio.sleep(0.3)
        status, response, body = await get(api, "/v1/complaints")
        assert_unavailable(status, response, body)
        assert "TimeoutError: no connection or answer in time" in body["detail"]
        ready = await api.client.get("/readyz")
        assert ready.status == 503
        report = await ready.json()
        assert report["status"] == "unavailable"
        assert "TimeoutError" in report["database"]
        # Authentication, the writer and the projectors keep their own pool.
        projections = await api.client.get("/v1/projections", headers=api.headers())
        assert projections.status == 200
        status, answer = await api.command(
            "register-location", {"location_id": "WH-B", "name": "B", "kind": "warehouse"}
        )
        assert status == 201, answer
    assert (await holding)[0] == 200
    await answers_normally(api, "/v1/complaints")
    assert (await api.client.get("/readyz")).status == 200


async def test_a_read_model_schema_dropped_under_readers_is_503(make_api: AppFactory, pg_dsn: str) -> None:
    api = await settled(await make_api())
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute(f'DROP SCHEMA "{schema_of(api)}" CASCADE')
    finally:
        await conn.close()
    for _ in range(2):
        status, response, body = await get(api)
        assert_unavailable(status, response, body)
        assert "UndefinedTableError" in body["detail"] or "InvalidSchemaNameError" in body["detail"]
    # The rest of the server goes on: other read models, and readiness.
    await answers_normally(api, "/v1/complaints")
    assert (await api.client.get("/readyz")).status == 200


async def test_a_stuck_token_lookup_is_503_not_a_hang_or_500(make_api: AppFactory, pg_dsn: str) -> None:
    api = await settled(await make_api(read_timeout_ms=300))
    issued = await api.client.post(
        "/v1/admin/tokens", json={"principal": f"r{uuid.uuid4().hex[:8]}", "scopes": ["read"]},
        headers=api.headers(),
    )  # fmt: skip
    token = (await issued.json())["token"]  # issuing empties the token cache: the next use asks
    async with locked(pg_dsn, "ledger_auth.tokens"):
        status, response, body = await get(api, token=token)
        assert_unavailable(status, response, body)
        assert "authenticating" in body["detail"]
    assert (await get(api, token=token))[0] == 200


@pytest.fixture
async def limited_role(pg_dsn: str) -> AsyncIterator[tuple[str, str]]:
    """A role (not a superuser, so a CONNECTION LIMIT binds it) owning a database of its own:
    its DSN, and the role's name."""
    role = f"lim_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(pg_dsn)
    await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}'")
    await admin.execute(f"CREATE DATABASE {role} OWNER {role}")
    parts = urlsplit(pg_dsn)
    netloc = f"{role}:{role}@{parts.netloc.rpartition('@')[2]}"
    try:
        yield urlunsplit((parts.scheme, netloc, f"/{role}", parts.query, parts.fragment)), role
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {role} WITH (FORCE)")
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()


async def test_too_many_connections_for_the_role_is_503_then_reads_resume(
    limited_role: tuple[str, str], make_api: AppFactory, pg_dsn: str
) -> None:
    from pydantic import SecretStr

    dsn, role = limited_role
    api = await settled(await make_api(database_url=SecretStr(dsn)))
    admin = await asyncpg.connect(pg_dsn)
    try:
        # The role may hold what it holds now but for the read pool's connections, which are
        # then cut: the pool must connect anew, and the server refuses.
        count = "SELECT count(*) FROM pg_stat_activity WHERE "
        held = await admin.fetchval(count + "usename = $1", role)
        reads = await admin.fetchval(count + "application_name = $1", read_pool_name(api))
        assert reads >= 1
        await admin.execute(f"ALTER ROLE {role} CONNECTION LIMIT {held - reads}")
        assert await terminate(pg_dsn, read_pool_name(api))
        details = []
        for _ in range(3):
            status, response, body = await get(api)
            assert_unavailable(status, response, body)
            details.append(body["detail"])
        assert any("TooManyConnectionsError" in detail for detail in details), details
        await admin.execute(f"ALTER ROLE {role} CONNECTION LIMIT -1")
        await answers_normally(api)
    finally:
        await admin.close()
