"""The event feed of a real ``ledger serve`` on the embedded default's PostgreSQL log.

Two ``ledger api`` workers share the port, so each reconnection lands on either one: an SSE
client cut at random points (mid-message too) and resumed with Last-Event-ID while commands
are written ends with exactly the events of ``ledger export``, nothing missing, nothing twice.
The workers open the log only for the feed's first follower, through connections they already
hold. SIGTERM with a stream still open ends it and stops every child cleanly, at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable
from pathlib import Path

import aiohttp
import pytest

from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology
from tests.support.feed import SseReader, assert_same_events, export_lines, follow_with_cuts, locations
from tests.support.processes import Process, free_port, ready, serve_env, until

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TOKEN = "feed-serve-admin-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def test_sse_followed_through_ledger_serve_with_cuts_ends_with_exactly_the_export(
    pg_dsn: str, prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    env = serve_env(pg_dsn, prefix, tmp_path, port, TOKEN)
    base = f"http://127.0.0.1:{port}"
    serve = Process(["serve"], env, tmp_path / "serve.log").start()
    # A connection per request, so that reconnections spread over both API workers.
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
    try:
        await until(lambda: ready(port), "ledger serve is ready", timeout=90)
        # Ready means one API worker answers; the reconnections are to spread over both.
        await until(
            lambda: len({e["pid"] for e in serve.logged("api_listening")}) >= 2,
            "both API workers listen",
            timeout=90,
        )
        rnd = random.Random(14)

        async def write(count: int) -> None:
            async with session.post(f"{base}/v1/commands", json=locations(count), headers=AUTH) as response:
                body = await response.json()
                assert response.status == 207, body
                assert {r["status"] for r in body["results"]} == {201}, body

        async def writing() -> None:
            for _ in range(12):
                await write(rnd.randint(3, 12))

        async def reconnect(last: str | None) -> aiohttp.ClientResponse:
            headers = {**AUTH, "Accept": "text/event-stream"}
            if last is not None:
                headers["Last-Event-ID"] = last
            response = await session.get(f"{base}/v1/events", headers=headers)
            assert response.status == 200, await response.text()
            return response

        await write(20)
        received: list[bytes] = []
        writer = asyncio.create_task(writing())
        last = await follow_with_cuts(reconnect, rnd, received, 60)
        await writer

        def workers_followed() -> set[int]:
            return {e["pid"] for e in serve.events() if e.get("path") == "/v1/events"}

        # The kernel spreads connections over the workers at random (SO_REUSEPORT hashes each
        # new connection's ports), so a dozen reconnections can all land on one worker: then
        # more events are written and followed, with cuts, until both have served the stream.
        log = PostgresLog(pg_dsn, Topology(prefix, 2))
        await log.start()
        try:
            for round_ in range(12):
                if round_:
                    await write(rnd.randint(3, 12))
                exported = await export_lines(log)
                last = await follow_with_cuts(reconnect, rnd, received, len(exported), last)
                with contextlib.suppress(AssertionError):  # a cut stream is logged when let go
                    await until(lambda: len(workers_followed()) == 2, "both workers followed", timeout=2)
                if len(workers_followed()) == 2:
                    break
        finally:
            await log.close()
        assert_same_events(received, exported)
        assert len(workers_followed()) == 2, "every reconnection went to the same API worker"

        async def streams_open() -> str:
            async with session.get(f"{base}/metrics") as response:
                text = await response.text()
            return next(line for line in text.splitlines() if 'ledger_feed_followers{mode="stream"}' in line)

        # Every cut stream was let go by its worker (each looks at its client once a second).
        await until(lambda: _zero(streams_open()), "the workers let go of every cut stream", timeout=5)

        # A long poll at the end is woken by the append itself (the workers hear the log's
        # NOTIFY on the read models' LISTEN connection), not by a timeout.
        async with session.get(f"{base}/v1/events", params={"after": last or ""}, headers=AUTH) as response:
            end = (await response.json())["next"]
        polls = [
            asyncio.create_task(
                session.get(f"{base}/v1/events", params={"after": end, "wait_ms": "20000"}, headers=AUTH)
            )
            for _ in range(4)
        ]
        await asyncio.sleep(0.5)
        written = time.monotonic()
        await write(1)
        for poll in polls:
            async with await poll as response:
                assert len((await response.json())["items"]) == 1
        assert time.monotonic() - written < 3

        # SIGTERM with a stream open: it ends, and every child stops at once.
        stream = SseReader(await reconnect(last))
        started = time.monotonic()
        assert serve.terminate(60) == 0, serve.tail()
        assert time.monotonic() - started < 20, "a stream held the API worker's shutdown"
        async with asyncio.timeout(5):  # the stream was ended, not cut by the process's exit
            while await stream.next() is not None:
                pass
        stopped = serve.logged("child_stopped")
        assert [e["code"] for e in stopped] == [0] * len(stopped), stopped
    finally:
        await session.close()
        serve.stop_quietly()


async def _zero(line: Awaitable[str]) -> bool:
    return float((await line).split()[-1]) == 0
