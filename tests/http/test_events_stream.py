"""``GET /v1/events`` as Server-Sent Events, read by a plain aiohttp client.

On Kafka, a client cut at random points (mid-message too) and resumed with Last-Event-ID
while commands are written ends with exactly the events of ``ledger export``. (The same on
the embedded PostgreSQL through a real ``ledger serve`` is tests/integration/test_feed_serve.py.)
An idle stream carries keep-alive comments; a filtered one moves the client's Last-Event-ID
past what it skipped; a client that stops reading holds a bounded buffer and stops the
stream's reading of the log; shutting the server down ends open streams at once.
"""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from ledger.app import LOG, WRITER, create_app
from ledger.http.events import STREAMS, Stream
from ledger.log import Position
from tests.support.feed import (
    SseReader,
    assert_same_events,
    export_lines,
    follow_with_cuts,
    locations,
    settled,
)

from .conftest import ADMIN_TOKEN, Api, serve, settings_for

STREAM = {"Accept": "text/event-stream"}


async def open_stream(api: Api, last_event_id: str | None = None, **params: str) -> aiohttp.ClientResponse:
    headers = api.headers(**STREAM)
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    response = await api.client.get("/v1/events", params=params, headers=headers)
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/event-stream")
    return response


async def write(api: Api, count: int) -> Position:
    status, body = await api.batch(locations(count))
    assert status == 207, body
    assert {r["status"] for r in body["results"]} == {201}, body
    return Position.from_token(body["results"][-1]["body"]["position"])


@pytest.fixture
async def kafka_api(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[Api]:
    client = await serve(create_app(settings_for("kafka", request, prefix)))
    yield Api(client, ADMIN_TOKEN)
    await client.close()


@pytest.fixture
async def pg_api(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[Api]:
    client = await serve(create_app(settings_for("postgres", request, prefix, sse_keepalive_s=0.2)))
    yield Api(client, ADMIN_TOKEN)
    await client.close()


@pytest.mark.kafka
async def test_sse_cut_and_resumed_with_last_event_id_ends_with_exactly_the_export(kafka_api: Api) -> None:
    rnd = random.Random(14)
    written = await write(kafka_api, 20)
    received: list[bytes] = []

    async def writing() -> None:
        nonlocal written
        for _ in range(12):
            written = written.merge(await write(kafka_api, rnd.randint(3, 12)))

    async def reconnect(last: str | None) -> aiohttp.ClientResponse:
        return await open_stream(kafka_api, last)

    writer = asyncio.create_task(writing())
    last = await follow_with_cuts(reconnect, rnd, received, 60)
    await writer
    await settled(kafka_api.client.app[LOG], written.merge(kafka_api.client.app[WRITER].position))
    exported = await export_lines(kafka_api.client.app[LOG])
    await follow_with_cuts(reconnect, rnd, received, len(exported), last)
    assert_same_events(received, exported)


@pytest.mark.postgres
async def test_an_idle_stream_carries_keep_alive_comments_and_new_events(pg_api: Api) -> None:
    await write(pg_api, 2)
    response = await open_stream(pg_api)
    reader = SseReader(response)
    events, comments = 0, []
    async with asyncio.timeout(5):  # keep-alives every 0.2 s here (LEDGER_SSE_KEEPALIVE_S)
        while len(comments) < 3:
            message = await reader.next(comments=True)
            assert message is not None
            if message.comment is not None:
                comments.append(message.comment)
            else:
                assert not comments, "an event after the stream fell idle"
                events += 1
    assert events == len(await export_lines(pg_api.client.app[LOG]))  # all there is, then comments
    assert set(comments) == {"keep-alive"}
    await write(pg_api, 1)
    async with asyncio.timeout(5):
        message = await reader.next()
    assert message is not None
    assert message.data is not None
    assert '"type":"LocationRegistered"' in message.data
    response.close()


@pytest.mark.postgres
async def test_a_filtered_stream_moves_last_event_id_past_what_it_skipped(pg_api: Api) -> None:
    response = await open_stream(pg_api, types="ProductRegistered")
    reader = SseReader(response)
    written = await write(pg_api, 4)
    async with asyncio.timeout(5):
        message = await reader.next()
    assert message is not None
    assert message.data is None  # an id-only message: no event for onmessage
    assert message.id is not None
    assert Position.from_token(message.id).covers(written)
    status, body = await pg_api.command(
        "register-product", {"sku": "SKU-F", "name": "W", "uom": "ea", "category": "w"}
    )
    assert status == 201, body
    async with asyncio.timeout(5):
        while (message := await reader.next()) is not None and message.data is None:
            pass
    assert message is not None
    assert message.data is not None
    assert '"type":"ProductRegistered"' in message.data
    response.close()


def small_receive_buffer(addr_info: Any) -> socket.socket:
    family, kind, proto, _, _ = addr_info
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


@pytest.mark.postgres
async def test_a_client_that_stops_reading_holds_a_bounded_buffer_and_stops_the_stream(
    request: pytest.FixtureRequest, prefix: str
) -> None:
    settings = settings_for("postgres", request, prefix, sse_send_buffer_bytes=4096)
    client = await serve(create_app(settings))
    api = Api(client, ADMIN_TOKEN)
    try:
        await write(api, 600)
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(socket_factory=small_receive_buffer)
        ) as session:
            response = await session.get(
                client.make_url("/v1/events"), headers=api.headers(**STREAM), params={"limit": "50"}
            )
            assert response.status == 200
            assert response.connection is not None
            assert response.connection.transport is not None
            response.connection.transport.pause_reading()
            (stream,) = await stalled(api)
            assert 0 < stream.sent < 600  # the client's socket is full: the stream waits
            assert stream.buffered() <= 256 * 1024
            held = stream.written
            await write(api, 300)
            assert await stalled(api) == [stream]
            assert stream.written == held  # more in the log reads nothing more for it
            assert stream.buffered() <= 256 * 1024
            response.connection.transport.resume_reading()
            reader = SseReader(response)
            events = 0
            async with asyncio.timeout(30):
                while events < 900:
                    message = await reader.next()
                    assert message is not None
                    events += message.data is not None
            response.close()
    finally:
        await client.close()


async def stalled(api: Api) -> list[Stream]:
    """The streams, once what they wrote has not moved for half a second."""
    async with asyncio.timeout(20):
        while True:
            streams = list(api.client.app[STREAMS])
            before = [s.written for s in streams]
            await asyncio.sleep(0.5)
            if streams and [s.written for s in streams] == before:
                return streams


@pytest.mark.postgres
async def test_shutting_down_ends_open_streams_at_once(request: pytest.FixtureRequest, prefix: str) -> None:
    client = await serve(create_app(settings_for("postgres", request, prefix)))
    api = Api(client, ADMIN_TOKEN)
    await write(api, 1)
    async with aiohttp.ClientSession() as session:
        response = await session.get(client.make_url("/v1/events"), headers=api.headers(**STREAM))
        reader = SseReader(response)
        assert (await reader.next()) is not None
        started = time.monotonic()
        await client.close()
        assert time.monotonic() - started < 5
        async with asyncio.timeout(5):
            while await reader.next() is not None:
                pass
    assert not client.app[STREAMS]
