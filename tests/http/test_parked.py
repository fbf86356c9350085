"""The parked-message routes of ``ledger serve`` (scope ``admin``), on both logs.

A company history is projected by a runtime whose inventory projection cannot take one
stream, which parks it; that runtime stops (its cause goes with it) and the app starts on
the same log and database, holding the stream as parked. The routes list the parked
messages, retry them (the tables then equal a clean rebuild and later messages flow) or
release them, and refuse what they must: other scopes, unknown names and junk. A process
standing by for the read model leaves the work to its owner.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from ledger.http.keys import DB, LOG, READ_MODELS, WRITER
from ledger.log import EventLog, Position
from ledger.log.kafka import KafkaLog
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology
from ledger.projector import ProjectorRuntime
from projections.inventory import PROJECTION as INVENTORY
from tests.support.failing import (
    LOCATION,
    SKU,
    STREAM,
    differences_from_a_clean_rebuild,
    load_history,
    park_a_stream,
)

from .conftest import Api, AppFactory

pytestmark = [pytest.mark.postgres]

PARKED = "/v1/projections/inventory/parked"


@pytest.fixture
async def parked_rows(
    backend: str, request: pytest.FixtureRequest, prefix: str, pg_dsn: str
) -> AsyncIterator[list[Any]]:
    """``STREAM`` parked in this test's log's live inventory read model, nothing running."""
    topology = Topology(prefix, 2)
    log: EventLog
    if backend == "kafka":
        log = KafkaLog(request.getfixturevalue("kafka_bootstrap"), topology, timeout=5)
    else:
        log = PostgresLog(pg_dsn, topology, timeout=5)
    await log.start()
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=4)
    try:
        writer = await load_history(log)
        await writer.stop()
        yield await park_a_stream(log, pool, prefix, writer.position)
    finally:
        await pool.close()
        await log.close()


async def get(api: Api, path: str, **params: str) -> tuple[int, Any]:
    response = await api.client.get(path, params=params, headers=api.headers())
    return response.status, await response.json(content_type=None)


async def post(api: Api, action: str, body: object = None, **headers: str) -> tuple[int, Any]:
    response = await api.client.post(f"{PARKED}/{action}", json=body, headers=api.headers(**headers))
    return response.status, await response.json(content_type=None)


async def applied_everything(api: Api) -> Position:
    """The read models show everything the app's writer wrote: answers that position."""
    app = api.client.app
    at = app[WRITER].position
    for name in ("inventory", "sales", "quality", "service", "purchasing", "audit"):
        assert await app[READ_MODELS].wait_for(name, at, 30), name
    return at


async def test_parked_messages_are_listed_retried_and_end_equal_to_a_clean_rebuild(
    parked_rows: list[Any], make_api: AppFactory, prefix: str
) -> None:
    api = await make_api()
    status, body = await get(api, PARKED)
    assert status == 200
    assert (body["projection"], body["count"], body["cursor"]) == ("inventory", len(parked_rows), None)
    assert [(i["offset"], i["stream"]) for i in body["items"]] == [(r.offset, r.stream) for r in parked_rows]
    assert body["items"][0]["reason"] == f"apply failed: Surprise('cannot take {STREAM} yet')"
    assert body["items"][0]["event_type"] == parked_rows[0].event_type

    pages: list[Any] = []
    cursor: str | None = None
    while True:  # page by page, in log order, with the cursor
        status, page = await get(
            api, PARKED, limit="2", stream=STREAM, **({"cursor": cursor} if cursor else {})
        )
        assert status == 200
        pages += page["items"]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert pages == body["items"]

    status, outcome = await post(api, "retry", {"stream": STREAM})  # the real projection: fixed
    assert status == 200, outcome
    assert outcome == {
        "projection": "inventory",
        "action": "retry",
        "by": "admin",
        "applied": len(parked_rows),
        "released": 0,
        "parked": 0,
        "streams": [
            {"stream": STREAM, "applied": len(parked_rows), "released": 0, "parked": 0, "reason": None}
        ],
    }
    assert (await get(api, PARKED))[1]["count"] == 0

    body = {"receipt_id": "GRN-HTTP-1", "sku": SKU, "location_id": LOCATION, "qty": "3"}
    assert (await api.command("receive-stock", body))[0] == 201  # the stream's later messages flow
    at = await applied_everything(api)
    status, projectors = await get(api, "/v1/projections")
    assert status == 200
    inventory = next(i for i in projectors["items"] if i["name"] == "inventory")
    assert (inventory["parked"], inventory["restarts"], inventory["state"]) == (0, 0, "running")
    assert projectors["end_watcher"]["restarts"] == 0
    app = api.client.app
    live = app[READ_MODELS].schema("inventory")
    assert await differences_from_a_clean_rebuild(app[LOG], app[DB], prefix, INVENTORY, live, at) == []


@pytest.mark.parametrize("backend", ["postgres"])
async def test_released_messages_are_dropped_and_the_release_is_logged_with_who(
    parked_rows: list[Any], make_api: AppFactory
) -> None:
    api = await make_api()
    with capture_logs(processors=[merge_contextvars]) as logs:
        status, outcome = await post(api, "release")  # no body: every parked stream
    assert status == 200, outcome
    assert (outcome["released"], outcome["parked"], outcome["by"]) == (len(parked_rows), 0, "admin")
    [released] = [e for e in logs if e["event"] == "parked_released"]
    assert (released["by"], released["stream"], released["messages"]) == ("admin", STREAM, len(parked_rows))
    assert (await get(api, PARKED))[1]["count"] == 0
    status, outcome = await post(api, "retry")
    assert (status, outcome["applied"], outcome["streams"]) == (200, 0, [])


@pytest.mark.parametrize("backend", ["postgres"])
async def test_the_routes_refuse_other_scopes_unknown_names_and_junk_and_a_standby_leaves_it_to_the_owner(
    parked_rows: list[Any], make_api: AppFactory, prefix: str
) -> None:
    api = await make_api()
    issued = await api.client.post(
        "/v1/admin/tokens", json={"principal": "reader", "scopes": ["read"]}, headers=api.headers()
    )
    reader = api.as_((await issued.json())["token"])
    assert (await get(reader, PARKED))[0] == 403
    assert (await post(reader, "retry"))[0] == 403
    assert (await get(api, "/v1/projections/nope/parked"))[0] == 404
    assert (await get(api, PARKED, stream="x\x01"))[0] == 422
    assert (await get(api, PARKED, limit="0"))[0] == 422
    for cursor in ("junk!", "WzMwMDAwMDAwMDBd", "WyJ0IiwgLTEsIDBd"):  # not base64; [3000000000]; ["t", -1, 0]
        assert (await get(api, PARKED, cursor=cursor))[0] == 400
    for body in ([1], {"stream": 5}, {"stream": ""}, {"stream": STREAM, "and": 1}):
        status, problem = await post(api, "retry", body)
        assert status == 422, problem
    response = await api.client.post(f"{PARKED}/retry", data="stream", headers=api.headers())
    assert response.status == 415
    assert (await post(api, "nope"))[0] in (404, 405)

    app = api.client.app
    other = ProjectorRuntime(app[LOG], app[DB], [INVENTORY], prefix)  # another process, as it were
    await other.start()
    try:
        assert not other.owns("inventory")  # the app's runtime owns it: this one stands by
        status, outcome = await post(api, "release", {"stream": STREAM})
        assert status == 200, outcome
        assert outcome["released"] == len(parked_rows)
        [standby] = other.stats()
        assert (standby.state, standby.parked) == ("standby", 0)  # it did nothing, and knows nothing
    finally:
        await other.stop()
    assert (await get(api, PARKED))[1]["count"] == 0
