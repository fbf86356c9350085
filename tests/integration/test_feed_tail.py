"""The feed's tail is supervised: when the log fails under it, the failure is logged and
counted, and the tail reads on from where it stopped once the log is back, so a waiting
follower still gets what is appended afterwards."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from ledger.feed import Feed
from ledger.log import Position
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology
from ledger.metrics import Metrics
from tests.support.events import StreamFactory

pytestmark = pytest.mark.postgres


async def test_a_tail_that_fails_is_logged_counted_and_reads_on_once_the_log_is_back(
    pg_dsn: str, prefix: str
) -> None:
    log = PostgresLog(pg_dsn, Topology(prefix, 2), timeout=5)
    await log.start()
    metrics = Metrics()
    feed = Feed(log, metrics, start_log=False)
    streams = StreamFactory()
    try:
        writer = await log.open_writer()
        await writer.append([streams.next("stock:SKU-1@WH-A")])
        first = await feed.page(Position.empty(), None, 10, 0)
        assert len(first.items) == 1
        with capture_logs() as logged:
            await log.close()
            log.appended()  # the tail wakes to read, and its read fails
            async with asyncio.timeout(10):
                while not metrics.registry.get_sample_value("ledger_feed_tail_restarts_total"):
                    await asyncio.sleep(0.05)
            await log.start()
            waiting = asyncio.create_task(feed.page(first.next, None, 10, 10))
            writer = await log.open_writer()
            await writer.append([streams.next("stock:SKU-1@WH-A")])
            log.appended()
            page = await asyncio.wait_for(waiting, 10)
        assert len(page.items) == 1
        events = [e["event"] for e in logged]
        assert "feed_tail_failed" in events
        assert "feed_tail_resumed" in events
    finally:
        await feed.close()
        await log.close()
