"""``GET /v1/events`` on both logs: pages with positions as cursors, equal to ``ledger export``.

Paging from the start with ``after=next``, while commands are written between pages, gives
exactly the export's events (the same bytes), each once, in each stream's order. ``types``
keeps only those types and ``next`` still passes the skipped ones. A long poll answers as
soon as an event is appended. Idle long polls and streams cost no read of the log: the process's one
tail wakes them. Bad input is a problem, never a 500; the scope is ``events`` (or admin).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest

from ledger.app import LOG, WRITER
from ledger.http.keys import METRICS
from ledger.log import Position
from tests.support.feed import SseReader, assert_same_events, export_lines, line_of, locations, settled

from .conftest import Api
from .test_auth import new_token


async def get_page(api: Api, status: int = 200, **params: Any) -> Any:
    query = {k: str(v) for k, v in params.items() if v is not None}
    response = await api.client.get("/v1/events", params=query, headers=api.headers())
    body = await response.json(content_type=None)
    assert response.status == status, body
    return body


async def write(api: Api, count: int) -> Position:
    status, body = await api.batch(locations(count))
    assert status == 207, body
    assert {r["status"] for r in body["results"]} == {201}, body
    return Position.from_token(body["results"][-1]["body"]["position"])


def sample(api: Api, name: str, **labels: str) -> float:
    return api.client.app[METRICS].registry.get_sample_value(name, labels) or 0.0


def reads(api: Api, by: str) -> float:
    return sample(api, "ledger_feed_log_reads_total", by=by)


async def test_paging_from_the_start_with_commands_between_pages_equals_the_export(module_api: Api) -> None:
    written = await write(module_api, 30)
    received: list[bytes] = []
    after = None
    for _ in range(6):
        page = await get_page(module_api, after=after, limit=7)
        received += [line_of(item) for item in page["items"]]
        after = page["next"]
        written = written.merge(await write(module_api, 5))
    end = await settled(module_api.client.app[LOG], written.merge(module_api.client.app[WRITER].position))
    while not Position.from_token(after).covers(end):
        page = await get_page(module_api, after=after, limit=50, wait_ms=2000)
        received += [line_of(item) for item in page["items"]]
        after = page["next"]
    assert_same_events(received, await export_lines(module_api.client.app[LOG]))
    assert (await get_page(module_api, after=after))["items"] == []
    assert (await get_page(module_api, after=after))["next"] == after


async def test_types_keep_only_those_types_and_next_passes_the_skipped(module_api: Api) -> None:
    start = (await get_page(module_api, after=None, limit=1000))["next"]
    while (page := await get_page(module_api, after=start, limit=1000))["items"]:
        start = page["next"]
    await write(module_api, 3)
    status, body = await module_api.command(
        "register-product", {"sku": f"SKU-{time.monotonic_ns()}", "name": "W", "uom": "ea", "category": "w"}
    )
    assert status == 201, body
    await write(module_api, 3)

    page = await get_page(module_api, after=start, types="ProductRegistered", wait_ms=2000)
    assert [item["type"] for item in page["items"]] == ["ProductRegistered"]
    assert page["items"][0]["data"]["sku"] == body["events"][0]["stream"].removeprefix("product:")
    # Past the skipped locations after it too, once the log has them all.
    everything = await get_page(module_api, after=start, limit=1000, wait_ms=2000)
    while len(everything["items"]) < 7:
        more = await get_page(module_api, after=everything["next"], wait_ms=2000)
        everything = {"items": everything["items"] + more["items"], "next": more["next"]}
    page = await get_page(module_api, after=start, types="ProductRegistered,OrderPlaced", limit=1000)
    assert Position.from_token(page["next"]).covers(Position.from_token(everything["next"]))
    assert (await get_page(module_api, after=page["next"], types="ProductRegistered"))["items"] == []


async def test_a_long_poll_answers_as_soon_as_an_event_is_appended(module_api: Api) -> None:
    end = (await get_page(module_api, limit=1000))["next"]
    while (page := await get_page(module_api, after=end, limit=1000))["items"]:
        end = page["next"]
    started = time.monotonic()
    waiting = asyncio.create_task(get_page(module_api, after=end, wait_ms=20_000))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    await write(module_api, 1)
    page = await asyncio.wait_for(waiting, 10)
    assert [item["type"] for item in page["items"]] == ["LocationRegistered"]
    assert time.monotonic() - started < 5
    # Nothing there: the answer waits its wait_ms, then says so with the position given.
    started = time.monotonic()
    empty = await get_page(module_api, after=page["next"], wait_ms=300)
    assert empty == {"items": [], "next": page["next"]}
    assert 0.25 <= time.monotonic() - started < 5


async def test_idle_followers_cost_no_read_of_the_log_and_the_tail_wakes_them_all(module_api: Api) -> None:
    end = (await get_page(module_api, limit=1000))["next"]
    while (page := await get_page(module_api, after=end, limit=1000))["items"]:
        end = page["next"]
    await get_page(module_api, after=end, wait_ms=100)
    by_followers, by_tail = reads(module_api, "follower"), reads(module_api, "tail")
    waiting = [asyncio.create_task(get_page(module_api, after=end, wait_ms=15_000)) for _ in range(25)]
    stream_headers = module_api.headers(Accept="text/event-stream", **{"Last-Event-ID": end})
    streams = [SseReader(await module_api.client.get("/v1/events", headers=stream_headers)) for _ in range(5)]
    await asyncio.sleep(1.5)
    assert not any(w.done() for w in waiting)
    assert reads(module_api, "follower") == by_followers  # 30 followers waited 1.5 s: no read at all
    assert reads(module_api, "tail") - by_tail <= 3  # the one tail: a read per few seconds idle
    assert sample(module_api, "ledger_feed_followers", mode="poll") == 25
    sent = sample(module_api, "ledger_feed_events_sent_total", mode="poll")
    await write(module_api, 1)
    pages = await asyncio.wait_for(asyncio.gather(*waiting), 10)
    assert {len(p["items"]) for p in pages} == {1}
    assert len({orjson.dumps(p) for p in pages}) == 1
    for stream in streams:
        message = await asyncio.wait_for(stream.next(), 10)
        assert message is not None
        assert message.data is not None
        assert orjson.loads(message.data) == pages[0]["items"][0]
        stream.response.close()
    assert reads(module_api, "follower") == by_followers  # all served from the tail's window
    assert sample(module_api, "ledger_feed_followers", mode="poll") == 0
    assert sample(module_api, "ledger_feed_events_sent_total", mode="poll") == sent + 25


@pytest.mark.parametrize(
    ("params", "status", "where"),
    [
        ({"after": "p2.not-a-token"}, 400, None),
        ({"after": "bogus"}, 400, None),
        ({"types": "OrderPlaced,OrdrPlaced"}, 422, "types"),
        ({"types": ""}, 422, "types"),
        ({"types": "OrderPlaced,,StockReceived"}, 422, "types"),
        ({"limit": "0"}, 422, "limit"),
        ({"limit": "1001"}, 422, "limit"),
        ({"limit": "ten"}, 422, "limit"),
        ({"wait_ms": "60001"}, 422, "wait_ms"),
        ({"wait_ms": "-1"}, 422, "wait_ms"),
    ],
)
async def test_bad_input_is_a_problem_naming_what_is_wrong(
    module_api: Api, params: dict[str, str], status: int, where: str | None
) -> None:
    response = await module_api.client.get("/v1/events", params=params, headers=module_api.headers())
    assert response.status == status
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    if where is not None:
        assert body["errors"][0]["loc"] == ["query", where], body
    if params.get("types") == "OrderPlaced,OrdrPlaced":
        assert "'OrdrPlaced'" in body["detail"], body


async def test_a_bad_last_event_id_is_a_400_before_any_stream(module_api: Api) -> None:
    response = await module_api.client.get(
        "/v1/events", headers=module_api.headers(Accept="text/event-stream", **{"Last-Event-ID": "nope"})
    )
    assert response.status == 400
    assert (await response.json(content_type=None))["type"] == "/problems/invalid-position"


async def test_the_feed_needs_the_events_scope(module_api: Api) -> None:
    response = await module_api.client.get("/v1/events")
    assert response.status == 401
    _, reader = await new_token(module_api, ["read", "audit"])
    response = await module_api.client.get("/v1/events", headers={"Authorization": f"Bearer {reader}"})
    assert response.status == 403
    assert (await response.json(content_type=None))["scope"] == "events"
    _, follower = await new_token(module_api, ["events"])
    response = await module_api.client.get(
        "/v1/events", params={"limit": "1"}, headers={"Authorization": f"Bearer {follower}"}
    )
    assert response.status == 200
    assert len((await response.json())["items"]) == 1
