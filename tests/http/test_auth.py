"""Bearer tokens and scopes through HTTP, on both logs.

The whole matrix of API.md's scopes against every command: a token may run a command only
with its area's ``<area>:write`` scope, and ``admin`` alone is no write scope. Around it: missing,
malformed, unknown, revoked and rotated tokens are 401; only ``admin`` issues and revokes; bad
token requests are 422; the actor of every event is the authenticated principal, never the
body; and the token table holds hashes only.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from typing import Any, NamedTuple

import asyncpg
import pytest

from ledger.http.auth import SCOPES as SERVER_SCOPES
from schemas import COMMANDS

from .conftest import ADMIN_TOKEN, Api
from .logs import appends_nothing, events_after
from .samples import COMMAND_NAMES, valid_body

PROBLEM = "application/problem+json"
SCOPES = (
    "catalog:write",
    "sales:write",
    "inventory:write",
    "quality:write",
    "service:write",
    "planning:write",
    "purchasing:write",
    "marketing:write",
    "customers:write",
    "read",
    "audit",
    "events",
    "admin",
)
WRITE_SCOPES = tuple(scope for scope in SCOPES if scope.endswith(":write"))


class Answer(NamedTuple):
    status: int
    content_type: str
    body: Any


async def send(api: Api, method: str, path: str, body: object = None, **headers: str) -> Answer:
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **headers}
    async with api.client.request(method, path, data=data, headers=sent) as response:
        raw = await response.read()
        return Answer(response.status, response.content_type, json.loads(raw) if raw else None)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def run(api: Api, token: str, name: str, body: object | None = None) -> Answer:
    return await send(
        api, "POST", f"/v1/commands/{name}", valid_body(name) if body is None else body, **bearer(token)
    )


async def issue(api: Api, principal: str, scopes: list[str], token: str = ADMIN_TOKEN) -> Answer:
    return await send(
        api, "POST", "/v1/admin/tokens", {"principal": principal, "scopes": scopes}, **bearer(token)
    )


async def new_token(api: Api, scopes: list[str], principal: str | None = None) -> tuple[str, str]:
    principal = principal or f"p-{uuid.uuid4().hex[:12]}"
    answer = await issue(api, principal, scopes)
    assert answer.status == 201, answer
    assert answer.content_type == "application/json"
    token = answer.body["token"]
    assert isinstance(token, str)
    assert len(token) >= 32
    return principal, token


async def revoke(api: Api, principal: str, token: str = ADMIN_TOKEN) -> Answer:
    return await send(api, "DELETE", f"/v1/admin/tokens/{principal}", **bearer(token))


def assert_problem(answer: Answer, status: int, code: str | None = None, case: object = None) -> None:
    assert answer.status == status, (case, answer)
    assert answer.content_type == PROBLEM, (case, answer)
    body = answer.body
    assert body["status"] == status, (case, body)
    assert isinstance(body["type"], str), (case, body)
    assert body["title"], (case, body)
    assert isinstance(body["title"], str), (case, body)
    assert body["detail"], (case, body)
    assert isinstance(body["detail"], str), (case, body)
    if code is not None:
        assert body["type"].rsplit("/", 1)[-1] == code, (case, body)
    if status == 422:
        assert body["errors"], (case, body)
        assert all(isinstance(e["loc"], list) and isinstance(e["msg"], str) for e in body["errors"]), body


def assert_allowed(answer: Answer, case: object = None) -> None:
    """Past authentication and scope: the writer decided (a valid body is never a 422)."""
    assert answer.status in (201, 409), (case, answer)


@pytest.fixture(scope="module")
async def scoped_tokens(module_api: Api) -> dict[str, str]:
    """A token with that one scope, for every scope of API.md."""
    tokens = {}
    for scope in SCOPES:
        _, tokens[scope] = await new_token(module_api, [scope])
    return tokens


def test_the_server_knows_exactly_the_scopes_of_the_api() -> None:
    assert set(SERVER_SCOPES) == set(SCOPES)
    assert {f"{cls.area}:write" for cls in COMMANDS.values()} == set(WRITE_SCOPES)


@pytest.mark.parametrize("name", COMMAND_NAMES)
async def test_a_command_needs_exactly_its_areas_write_scope(
    module_api: Api, scoped_tokens: dict[str, str], name: str
) -> None:
    needed = f"{COMMANDS[name].area}:write"
    async with appends_nothing(module_api):
        for scope, token in scoped_tokens.items():
            if scope != needed:
                answer = await run(module_api, token, name)
                assert_problem(answer, 403, "missing-scope", case=scope)
                assert needed in answer.body["detail"]
    assert_allowed(await run(module_api, scoped_tokens[needed], name), needed)
    # The admin principal passes only because it was created with every scope.
    assert_allowed(await run(module_api, ADMIN_TOKEN, name), "admin principal")


async def test_a_token_with_several_scopes_runs_the_commands_of_each(module_api: Api) -> None:
    _, token = await new_token(module_api, ["catalog:write", "service:write", "read"])
    for name in COMMAND_NAMES:
        answer = await run(module_api, token, name)
        if COMMANDS[name].area in ("catalog", "service"):
            assert_allowed(answer, name)
        else:
            assert_problem(answer, 403, "missing-scope", case=name)


async def test_a_batch_refuses_each_item_the_token_may_not_write(
    module_api: Api, scoped_tokens: dict[str, str]
) -> None:
    items = [{"name": name, "body": valid_body(name)} for name in COMMAND_NAMES]
    answer = await send(module_api, "POST", "/v1/commands", items, **bearer(scoped_tokens["inventory:write"]))
    assert answer.status == 207, answer
    for name, result in zip(COMMAND_NAMES, answer.body["results"], strict=True):
        if COMMANDS[name].area == "inventory":
            assert result["status"] in (201, 409), (name, result)
        else:
            assert (result["status"], result["body"]["type"]) == (403, "/problems/missing-scope"), name


async def test_requests_without_a_usable_bearer_token_are_401(module_api: Api) -> None:
    _, token = await new_token(module_api, list(WRITE_SCOPES))
    headers: list[tuple[str, dict[str, str], str]] = [
        ("no Authorization", {}, "unauthenticated"),
        ("empty", {"Authorization": ""}, "unauthenticated"),
        ("scheme only", {"Authorization": "Bearer"}, "unauthenticated"),
        ("blank token", {"Authorization": "Bearer    "}, "unauthenticated"),
        ("Basic", {"Authorization": "Basic YWRtaW46YWRtaW4="}, "unauthenticated"),
        ("Token scheme", {"Authorization": f"Token {token}"}, "unauthenticated"),
        ("no scheme", {"Authorization": token}, "unauthenticated"),
        ("scheme with a colon", {"Authorization": f"Bearer: {token}"}, "unauthenticated"),
        ("unknown token", {"Authorization": "Bearer lt_nope"}, "invalid-token"),
        ("long unknown token", {"Authorization": "Bearer " + "x" * 4000}, "invalid-token"),
        ("token with a suffix", {"Authorization": f"Bearer {token}x"}, "invalid-token"),
        ("token cut short", {"Authorization": f"Bearer {token[:-1]}"}, "invalid-token"),
        ("two tokens", {"Authorization": f"Bearer {token} {token}"}, "invalid-token"),
        ("non-ASCII token", {"Authorization": "Bearer tökén"}, "invalid-token"),
    ]
    async with appends_nothing(module_api):
        for name in COMMAND_NAMES:
            for label, header, code in headers:
                answer = await send(module_api, "POST", f"/v1/commands/{name}", valid_body(name), **header)
                assert_problem(answer, 401, code, case=(name, label))
    for label, header, code in headers:
        answer = await send(
            module_api, "POST", "/v1/admin/tokens", {"principal": "x", "scopes": ["read"]}, **header
        )
        assert_problem(answer, 401, code, case=("issue", label))
        assert_problem(await send(module_api, "DELETE", "/v1/admin/tokens/admin", **header), 401, code, label)
    # Authentication comes first: even an unknown command or a malformed body is a 401 without a token.
    assert_problem(await send(module_api, "POST", "/v1/commands/no-such-command", {}), 401, "unauthenticated")
    # The scheme is case-insensitive (RFC 9110), the token is not.
    lower = {"Authorization": f"bearer {token}"}
    assert_allowed(
        await send(
            module_api, "POST", "/v1/commands/register-supplier", valid_body("register-supplier"), **lower
        )
    )
    upper = {"Authorization": f"Bearer {token.upper()}"}
    assert_problem(
        await send(module_api, "POST", "/v1/commands/register-supplier", {}, **upper), 401, "invalid-token"
    )


async def test_a_token_of_bytes_that_are_not_utf8_is_401_not_500(module_api: Api) -> None:
    server = module_api.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(
            b"POST /v1/commands/register-supplier HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer \xff\xfe\xfd\r\n"
            b"Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        await writer.wait_closed()
    assert head.startswith(b"HTTP/1.1 401 "), head
    assert b"application/problem+json" in head


async def test_a_revoked_token_is_401_from_then_on(module_api: Api) -> None:
    principal, token = await new_token(module_api, ["catalog:write"])
    assert_allowed(await run(module_api, token, "register-supplier"))
    answer = await revoke(module_api, principal)
    assert (answer.status, answer.body) == (204, None)
    for name in ("register-supplier", "register-team"):
        assert_problem(await run(module_api, token, name), 401, "invalid-token", case=name)
    assert_problem(await revoke(module_api, principal), 404, "unknown-principal")
    # Issuing again brings the principal back, with a new token only.
    _, again = await new_token(module_api, ["catalog:write"], principal)
    assert again != token
    assert_allowed(await run(module_api, again, "register-supplier"))
    assert_problem(await run(module_api, token, "register-supplier"), 401, "invalid-token")


async def test_issuing_again_rotates_the_token_and_the_old_one_is_401(module_api: Api) -> None:
    principal, first = await new_token(module_api, ["service:write"])
    assert_allowed(await run(module_api, first, "file-complaint"))
    _, second = await new_token(module_api, ["planning:write"], principal)
    assert second != first
    assert_problem(await run(module_api, first, "file-complaint"), 401, "invalid-token")
    # The new token carries the new scopes only.
    assert_problem(await run(module_api, second, "file-complaint"), 403, "missing-scope")
    assert_allowed(await run(module_api, second, "set-sales-target"))


async def test_only_admin_issues_and_revokes_tokens(module_api: Api, scoped_tokens: dict[str, str]) -> None:
    victim, victim_token = await new_token(module_api, ["catalog:write"])
    _, everything_but_admin = await new_token(module_api, [s for s in SCOPES if s != "admin"])
    for token in [*(t for s, t in scoped_tokens.items() if s != "admin"), everything_but_admin]:
        assert_problem(await issue(module_api, "intruder", list(SCOPES), token), 403, "missing-scope")
        assert_problem(await issue(module_api, victim, ["admin"], token), 403, "missing-scope")
        assert_problem(await revoke(module_api, victim, token), 403, "missing-scope")
        assert_problem(await revoke(module_api, "admin", token), 403, "missing-scope")
    assert_allowed(await run(module_api, victim_token, "register-supplier"))
    assert_problem(await revoke(module_api, "intruder"), 404, "unknown-principal")
    # A token with only the admin scope does issue and revoke.
    principal, _ = await new_token(module_api, ["read"])
    answer = await issue(module_api, f"{principal}-2", ["read"], scoped_tokens["admin"])
    assert answer.status == 201, answer
    assert (await revoke(module_api, principal, scoped_tokens["admin"])).status == 204


async def test_bad_token_requests_are_422_and_issue_nothing(module_api: Api) -> None:
    unique = uuid.uuid4().hex[:12]
    bodies: list[tuple[str, Any, str]] = [
        ("unknown scope", {"principal": f"a-{unique}", "scopes": ["superuser"]}, "scopes"),
        ("a scope in capitals", {"principal": f"b-{unique}", "scopes": ["ADMIN"]}, "scopes"),
        ("a scope with a space", {"principal": f"c-{unique}", "scopes": ["read "]}, "scopes"),
        ("empty scopes", {"principal": f"d-{unique}", "scopes": []}, "scopes"),
        ("scopes as a string", {"principal": f"e-{unique}", "scopes": "admin"}, "scopes"),
        ("a scope that is no string", {"principal": f"f-{unique}", "scopes": [["admin"]]}, "scopes"),
        ("no scopes", {"principal": f"g-{unique}"}, "scopes"),
        ("no principal", {"scopes": ["read"]}, "principal"),
        ("empty principal", {"principal": "", "scopes": ["read"]}, "principal"),
        ("principal with a space", {"principal": "al ice", "scopes": ["read"]}, "principal"),
        ("principal with a colon", {"principal": "alice:admin", "scopes": ["read"]}, "principal"),
        ("principal with a newline", {"principal": "alice\n", "scopes": ["read"]}, "principal"),
        ("fullwidth principal", {"principal": "ａｌｉｃｅ", "scopes": ["read"]}, "principal"),
        ("principal with NUL", {"principal": "ali\x00ce", "scopes": ["read"]}, "principal"),
        ("lone surrogate principal", {"principal": "\ud800", "scopes": ["read"]}, "principal"),
        ("65-character principal", {"principal": "a" * 65, "scopes": ["read"]}, "principal"),
        ("numeric principal", {"principal": 7, "scopes": ["read"]}, "principal"),
        ("extra field", {"principal": f"h-{unique}", "scopes": ["read"], "token": f"chosen-{unique}"}, ""),
        ("not an object", [{"principal": f"i-{unique}", "scopes": ["read"]}], ""),
    ]
    for label, body, field in bodies:
        answer = await send(module_api, "POST", "/v1/admin/tokens", body, **bearer(ADMIN_TOKEN))
        assert_problem(answer, 422, "validation-failed", case=label)
        wanted = ["body", field] if field else ["body"]
        assert any(e["loc"] == wanted for e in answer.body["errors"]), (label, answer.body)
    # Nothing was issued: neither the principals nor the token the caller tried to choose.
    for prefix in "abcdefghi":
        assert_problem(await revoke(module_api, f"{prefix}-{unique}"), 404, "unknown-principal", prefix)
    assert_problem(await run(module_api, f"chosen-{unique}", "register-supplier"), 401, "invalid-token")
    # Bodies that are no JSON at all are 400 and 415, as for commands.
    async with module_api.client.post(
        "/v1/admin/tokens", data=b"{", headers={**bearer(ADMIN_TOKEN), "Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
        assert response.content_type == PROBLEM
    async with module_api.client.post(
        "/v1/admin/tokens", data=b"{}", headers={**bearer(ADMIN_TOKEN), "Content-Type": "text/plain"}
    ) as response:
        assert response.status == 415
        assert response.content_type == PROBLEM


async def test_deleting_an_unknown_or_impossible_principal_is_404(module_api: Api) -> None:
    for principal in [
        f"nobody-{uuid.uuid4().hex[:12]}",
        "%00",
        "a%00b",
        "%ED%A0%80",
        "%F0%9F%99%82",
        "a" * 65,
    ]:
        assert_problem(await revoke(module_api, principal), 404, "unknown-principal", case=principal)


async def test_every_event_carries_the_authenticated_principal_as_actor(module_api: Api) -> None:
    _, alice = await new_token(module_api, ["catalog:write", "service:write"], "alice")
    supplier = f"SUP-{uuid.uuid4().hex[:10]}"
    team = f"TEAM-{uuid.uuid4().hex[:10]}"
    body = {"supplier_id": supplier, "name": "Alice's supplier"}
    # A body cannot name the actor: the field does not exist, so the command is refused.
    answer = await run(module_api, alice, "register-supplier", {**body, "actor": "mallory"})
    assert_problem(answer, 422, "validation-failed")
    assert ["body", "actor"] in [e["loc"] for e in answer.body["errors"]]
    # Nor can a header.
    answer = await send(
        module_api,
        "POST",
        "/v1/commands/register-supplier",
        body,
        **bearer(alice),
        **{"X-Actor": "mallory", "X-Forwarded-User": "mallory", "X-Principal": "mallory"},
    )
    assert answer.status == 201, answer
    assert (await run(module_api, ADMIN_TOKEN, "register-team", {"team_id": team, "name": "t"})).status == 201
    batch = [{"name": "register-team", "body": {"team_id": f"{team}-b", "name": "t"}}]
    answer = await send(module_api, "POST", "/v1/commands", batch, **bearer(alice))
    assert answer.body["results"][0]["status"] == 201, answer

    actors = {envelope.stream: envelope.actor for envelope in await events_after(module_api)}
    assert actors[f"supplier:{supplier}"] == "alice"
    assert actors[f"team:{team}-b"] == "alice"
    assert actors[f"team:{team}"] == "admin"
    assert "mallory" not in actors.values()


async def test_only_hashes_of_tokens_are_stored(module_api: Api, pg_dsn: str) -> None:
    principal, token = await new_token(module_api, ["read", "audit"])
    connection = await asyncpg.connect(pg_dsn)
    try:
        rows = await connection.fetch("SELECT principal, t::text AS whole FROM ledger_auth.tokens AS t")
    finally:
        await connection.close()
    stored = {row["principal"]: row["whole"] for row in rows}
    assert hashlib.sha256(token.encode()).hexdigest() in stored[principal]
    for whole in stored.values():
        assert token not in whole
        assert ADMIN_TOKEN not in whole
        assert token.removeprefix("lt_") not in whole
