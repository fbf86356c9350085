"""Per-request context and command metrics: every line logged while a request is handled
carries its request_id (the caller's X-Request-Id when sane, else a new one, echoed either
way), its principal once authenticated and its command on command routes, and nothing of
one request leaks into the next on the same connection. Every command answered, alone or in
a batch, is counted in ledger_commands by name and outcome."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from .conftest import Api, AppFactory


def request_lines(logs: list[dict[str, Any]], path: str) -> list[dict[str, Any]]:
    return [line for line in logs if line["event"] == "request" and line["path"] == path]


async def test_a_sane_request_id_is_kept_and_echoed_any_other_is_replaced(api: Api) -> None:
    kept = await api.client.get("/v1/projections", headers=api.headers(**{"X-Request-Id": "req-7.a:b_c"}))
    assert kept.headers["X-Request-Id"] == "req-7.a:b_c"
    made = set()
    for insane in ["a b", "x" * 129, "ключ", "", "a\tb"]:
        response = await api.client.get("/v1/projections", headers=api.headers(**{"X-Request-Id": insane}))
        assert response.status == 200
        made.add(response.headers["X-Request-Id"])
    response = await api.client.get("/openapi.json")
    made.add(response.headers["X-Request-Id"])
    assert len(made) == 6  # a new one each time
    assert all(len(rid) == 32 and int(rid, 16) >= 0 for rid in made)
    # Problems carry it too, 404s of unknown routes included.
    for path in ["/v1/nowhere", "/v1/inventory"]:
        response = await api.client.get(path, headers={"X-Request-Id": "req-problem"})
        assert response.status in (401, 404)
        assert response.headers["X-Request-Id"] == "req-problem"


async def test_log_lines_carry_request_id_principal_and_command_and_nothing_leaks(api: Api) -> None:
    location = f"WH-{uuid.uuid4().hex[:8]}"
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        status, _ = await api.command(
            "register-location",
            {"location_id": location, "name": "A", "kind": "warehouse"},
            **{"X-Request-Id": "req-cmd-1"},
        )
        assert status == 201
        # The same keep-alive connection, no token: nothing of the command's context is left.
        unauthenticated = await api.client.get("/v1/inventory", headers={"X-Request-Id": "req-anon"})
        assert unauthenticated.status == 401
        await api.client.post("/v1/commands", json=[], headers=api.headers(**{"X-Request-Id": "req-batch"}))
    [command] = request_lines(logs, "/v1/commands/register-location")
    assert command["request_id"] == "req-cmd-1"
    assert command["principal"] == "admin"
    assert command["command"] == "register-location"
    assert command["status"] == 201
    [anonymous] = request_lines(logs, "/v1/inventory")
    assert anonymous["request_id"] == "req-anon"
    assert "principal" not in anonymous
    assert "command" not in anonymous
    [batch] = request_lines(logs, "/v1/commands")
    assert (batch["request_id"], batch["command"], batch["status"]) == ("req-batch", "batch", 207)


def commands_counted(text: str) -> dict[tuple[str, str], float]:
    counted = {}
    for family in text_string_to_metric_families(text):
        if family.name == "ledger_commands":
            for sample in family.samples:
                if sample.name == "ledger_commands_total":
                    counted[(sample.labels["command"], sample.labels["outcome"])] = sample.value
    return counted


async def metrics(api: Api) -> dict[tuple[str, str], float]:
    response = await api.client.get("/metrics")
    return commands_counted(await response.text())


async def test_every_command_answered_is_counted_by_name_and_outcome(api: Api) -> None:
    location = {"location_id": f"WH-{uuid.uuid4().hex[:8]}", "name": "A", "kind": "warehouse"}
    assert (await api.command("register-location", location))[0] == 201
    assert (await api.command("register-location", location))[0] == 409
    assert (await api.command("register-location", {"location_id": "x"}))[0] == 422
    assert (await api.command("no-such-command", {}))[0] == 404
    assert (await api.as_("not-a-token").command("register-location", location))[0] == 401
    status, answer = await api.batch(
        [
            {"name": "register-location", "body": {**location, "location_id": location["location_id"] + "b"}},
            {"name": "register-location", "body": location},
            {"name": "register-supplier", "body": {"supplier_id": "S"}},
            {"name": "made-up", "body": {}},
        ]
    )
    assert status == 207
    assert [result["status"] for result in answer["results"]] == [201, 409, 422, 404]
    assert await metrics(api) == {
        ("register-location", "accepted"): 2,
        ("register-location", "rejected"): 2,
        ("register-location", "invalid"): 2,
        ("register-supplier", "invalid"): 1,
        ("unknown", "invalid"): 2,
    }


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_command_the_database_cannot_authenticate_is_counted_unavailable(
    make_api: AppFactory, pg_dsn: str
) -> None:
    api = await make_api(read_timeout_ms=300)
    issued = await api.client.post(
        "/v1/admin/tokens", json={"principal": f"w{uuid.uuid4().hex[:8]}", "scopes": ["catalog:write"]},
        headers=api.headers(),
    )  # fmt: skip
    writer = api.as_((await issued.json())["token"])  # issuing empties the token cache
    conn = await asyncpg.connect(pg_dsn)
    try:
        async with conn.transaction():
            await conn.execute("LOCK TABLE ledger_auth.tokens IN ACCESS EXCLUSIVE MODE")
            status, problem = await writer.command("register-supplier", {"supplier_id": "S", "name": "S"})
        assert status == 503, problem
    finally:
        await conn.close()
    assert (await metrics(api))[("register-supplier", "unavailable")] == 1
