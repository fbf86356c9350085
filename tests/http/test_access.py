"""Who was given which rights, and when: token grants and revocations in the log, on both logs.

Issuing (or rotating) and revoking a token appends ``TokenIssued`` / ``TokenRevoked`` on
``principal:<name>`` with the acting principal as the envelope's actor, never the token or its
hash, and only once the event is durable does the token store change. At start-up the admin
token is recorded by ``ledger`` when it is new or changed, and a restart with the same token
records nothing. The commands behind this are internal: no route and no OpenAPI entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from ledger.app import LOG, create_app
from ledger.envelope import Envelope
from ledger.http import console
from ledger.http.auth import SCOPES
from ledger.http.keys import SETTINGS

from .conftest import Api, settings_for
from .logs import end_of_log, events_after

PROBLEM = "application/problem+json"


async def issue(api: Api, principal: str, scopes: list[str], token: str | None = None) -> tuple[int, Any]:
    body = {"principal": principal, "scopes": scopes}
    headers = {"Authorization": f"Bearer {token or api.token}"}
    async with api.client.post("/v1/admin/tokens", json=body, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def revoke(api: Api, principal: str, token: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {token or api.token}"}
    async with api.client.delete(f"/v1/admin/tokens/{principal}", headers=headers) as response:
        return response.status


async def stream_of(api: Api, stream: str, token: str | None = None) -> tuple[int, Any]:
    """The audit route's answer for ``stream``, once the audit read model holds the whole log."""
    params = {"min_position": (await end_of_log(api)).token()}
    headers = {"Authorization": f"Bearer {token or api.token}"}
    async with api.client.get(f"/v1/streams/{stream}/events", params=params, headers=headers) as response:
        return response.status, await response.json(content_type=None)


def on(stream: str, events: list[Envelope]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(e.type, e.actor, e.data) for e in events if e.stream == stream]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def test_issuing_rotating_and_revoking_are_recorded_with_who_did_it(api: Api) -> None:
    alice = f"alice-{uuid.uuid4().hex[:8]}"
    status, first = await issue(api, alice, ["read", "audit", "read"])
    assert status == 201, first
    status, boss = await issue(api, f"boss-{uuid.uuid4().hex[:8]}", ["admin"])
    assert status == 201, boss
    status, second = await issue(api, alice, ["read"], boss["token"])
    assert status == 201, second
    assert await revoke(api, alice, boss["token"]) == 204
    assert await revoke(api, alice, boss["token"]) == 404  # nothing left to revoke: nothing recorded

    events = await events_after(api)
    assert on(f"principal:{alice}", events) == [
        ("TokenIssued", "admin", {"principal": alice, "scopes": ["audit", "read"]}),
        ("TokenIssued", boss["principal"], {"principal": alice, "scopes": ["read"]}),
        ("TokenRevoked", boss["principal"], {"principal": alice}),
    ]
    logged = b"".join(orjson.dumps(e.to_dict()) for e in events)
    for token in (first["token"], second["token"], boss["token"], api.token):
        assert token.encode() not in logged
        assert digest(token).encode() not in logged

    # Auditors read it like any stream; the scope is audit.
    status, audited = await stream_of(api, f"principal:{alice}")
    assert status == 200, audited
    assert [(e["type"], e["actor"], e["version"]) for e in audited["items"]] == [
        ("TokenIssued", "admin", 1),
        ("TokenIssued", boss["principal"], 2),
        ("TokenRevoked", boss["principal"], 3),
    ]
    _, reader = await issue(api, f"reader-{uuid.uuid4().hex[:8]}", ["read"])
    status, refused = await stream_of(api, f"principal:{alice}", reader["token"])
    assert (status, refused["type"]) == (403, "/problems/missing-scope")


async def test_no_token_changes_without_its_trace_in_the_log(api: Api, pg_dsn: str) -> None:
    dave = f"dave-{uuid.uuid4().hex[:8]}"
    status, issued = await issue(api, dave, ["read"])
    assert status == 201, issued
    # Another writer claims the log: this server's writer is fenced and can record nothing.
    claimed = await api.client.app[LOG].open_writer()
    try:
        carol = f"carol-{uuid.uuid4().hex[:8]}"
        status, answer = await issue(api, carol, ["read"])
        assert status == 503, answer
        assert await revoke(api, dave) == 503
    finally:
        await claimed.close()
    conn = await asyncpg.connect(pg_dsn)
    try:
        held = await conn.fetch(
            "SELECT principal FROM ledger_auth.tokens WHERE principal = any($1::text[])", [carol, dave]
        )
    finally:
        await conn.close()
    assert [row["principal"] for row in held] == [dave]  # carol got nothing, dave kept his
    async with api.client.get("/v1/projections", headers={"Authorization": f"Bearer {issued['token']}"}) as r:
        assert r.status == 200


async def test_the_token_commands_are_not_public(api: Api) -> None:
    body = {"principal": "mallory", "scopes": ["admin"]}
    for name in ("issue-token", "revoke-token"):
        async with api.client.post(f"/v1/commands/{name}", json=body, headers=api.headers()) as response:
            assert response.status == 404
            assert (await response.json(content_type=None))["type"] == "/problems/unknown-command"
    batch = [{"name": "issue-token", "body": body}]
    status, answer = await api.batch(batch)
    assert (status, answer["results"][0]["status"]) == (207, 404)
    async with api.client.get("/openapi.json") as response:
        document = await response.text()
    for hidden in ("issue-token", "revoke-token", "IssueToken", "RevokeToken"):
        assert hidden not in document
    # The ledger's own name is not a principal anyone can be given.
    status, answer = await issue(api, "ledger", ["read"])
    assert status == 422, answer
    assert answer["errors"][0]["loc"] == ["body", "principal"]


# -- start-up ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(
    settings_args: tuple[str, pytest.FixtureRequest, str], **overrides: Any
) -> AsyncIterator[Api]:
    """One app on the test's log, closed when the block ends (so the next one takes over)."""
    backend, request, prefix = settings_args
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(settings_for(backend, request, prefix, **overrides)))
    )
    await client.start_server()
    try:
        yield Api(client, "")
    finally:
        await client.close()


async def admin_grants(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    return on("principal:admin", await events_after(api))


async def authenticated(api: Api, token: str) -> int:
    async with api.client.get("/v1/projections", headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status


async def test_a_configured_admin_token_is_trimmed_and_recorded_only_when_it_changes(
    backend: str, request: pytest.FixtureRequest, prefix: str
) -> None:
    where = (backend, request, prefix)
    first, second = f"first-{uuid.uuid4().hex}", f"second-{uuid.uuid4().hex}"
    granted = ("TokenIssued", "ledger", {"principal": "admin", "scopes": sorted(SCOPES)})
    async with serving(where, admin_token=SecretStr(f"{first}\n")) as api:  # as a Kubernetes secret
        assert await authenticated(api, first) == 200
        assert await admin_grants(api) == [granted]
    async with serving(where, admin_token=SecretStr(f"  {first} \r\n")) as api:
        assert await authenticated(api, first) == 200
        assert await admin_grants(api) == [granted]  # the same token: nothing recorded
    async with serving(where, admin_token=SecretStr(second)) as api:
        assert await admin_grants(api) == [granted, granted]
        assert await authenticated(api, first) == 401
        assert await authenticated(api, second) == 200


async def test_a_generated_admin_token_is_shown_once_and_recorded_once(
    backend: str, request: pytest.FixtureRequest, prefix: str, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:  # no admin yet: the token store is one per database, shared by every log in it
        await conn.execute("DELETE FROM ledger_auth.tokens WHERE principal = 'admin'")
    finally:
        await conn.close()
    where = (backend, request, prefix)
    async with serving(where, admin_token=None) as api:
        printed = capsys.readouterr().out.splitlines()
        shown = [line for line in printed if "admin token" in line]
        assert len(shown) == 1, shown
        assert [line for line in printed if "console at" in line] == [
            f"ledger: sign in with it to the console at {console.url(api.client.app[SETTINGS])}"
        ]
        token = shown[0].rsplit(" ", 1)[1]
        assert await authenticated(api, token) == 200
        assert await admin_grants(api) == [
            ("TokenIssued", "ledger", {"principal": "admin", "scopes": sorted(SCOPES)})
        ]
    async with serving(where, admin_token=None) as api:
        assert "admin token" not in capsys.readouterr().out
        assert await authenticated(api, token) == 200
        assert len(await admin_grants(api)) == 1
