"""Two servers on one log: the second stands by behind the writer's lease and takes over.

Only one process writes to a log. A server started beside a running one serves reads at
once, answers commands with 503 while it waits for the lease (saying so once in its log),
and becomes the writer, knowing everything the first wrote, when the first stops.
"""

from __future__ import annotations

import asyncio

import pytest

from ledger.http.keys import WRITER
from ledger.writer import service
from ledger.writer.service import Status
from tests.support.logs import captured, named

from .conftest import Api, AppFactory


def warehouse(location_id: str) -> dict[str, str]:
    return {"location_id": location_id, "name": location_id, "kind": "warehouse"}


async def writer_active(api: Api, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while api.client.app[WRITER].status is not Status.ACTIVE:
            await asyncio.sleep(0.05)


async def test_a_second_server_stands_by_and_takes_over_when_the_first_stops(
    make_api: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await make_api()
    assert (await first.command("register-location", warehouse("WH-1")))[0] == 201

    with captured(monkeypatch, service) as events:
        second = await make_api()
        assert second.client.app[WRITER].status is Status.STANDBY
        status, problem = await second.command("register-location", warehouse("WH-2"))
        assert status == 503, problem
        assert "lease" in problem["detail"]
        ready = await second.client.get("/readyz")
        assert (ready.status, (await ready.json())["writer"]) == (503, "standby")
        assert (await first.command("register-location", warehouse("WH-3")))[0] == 201  # undisturbed
        await asyncio.sleep(1.0)
        assert len(named(events, "writer_waiting_for_lease")) == 1

        await first.client.close()  # the first stops, and lets go of the lease
        await writer_active(second)
    assert named(events, "writer_lease_taken")

    status, problem = await second.command("register-location", warehouse("WH-1"))
    assert (status, problem["type"].rsplit("/", 1)[-1]) == (409, "already-exists"), problem
    assert (await second.command("register-location", warehouse("WH-2")))[0] == 201
    assert set(second.client.app[WRITER].model.locations) == {"WH-1", "WH-2", "WH-3"}
