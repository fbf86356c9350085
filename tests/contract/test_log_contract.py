"""The log contract, run against every backend (PostgreSQL and Kafka).

What the engine relies on: a batch is atomic, a stream's events keep their order, a reader
can resume from any checkpoint, a tailing reader wakes promptly, a stale writer is fenced,
position tokens round-trip, a retried append is not recorded twice, an aborted
transaction is never read, and a log keeps one identity for its whole life.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import defaultdict
from itertools import pairwise

import pytest

from ledger.envelope import Envelope
from ledger.log import EventLog, InvalidPosition, LogError, Position, Record, WriterFenced
from tests.support.events import StreamFactory

from .conftest import Harness

STREAMS = [
    "stock:SKU-1@WH-A",
    "stock:SKU-2@WH-A",
    "order:SO-1",
    "order:SO-2",
    "complaint:C-1",
    "product:SKU-1",
]


async def read_all(log: EventLog, start: Position | None = None, *, idle: float = 0.5) -> list[Record]:
    reader = await log.open_reader()
    try:
        if start is not None:
            await reader.seek(start)
        records: list[Record] = []
        while batch := await reader.read(max_records=500, timeout=idle):
            records.extend(batch)
        return records
    finally:
        await reader.close()


def by_stream(records: list[Record]) -> dict[str, list[Envelope]]:
    streams: dict[str, list[Envelope]] = defaultdict(list)
    for record in records:
        event = record.envelope()
        streams[event.stream].append(event)
    return dict(streams)


async def test_appended_events_read_back_whole(harness: Harness, prefix: str) -> None:
    log = await harness.log(prefix)
    events = list(StreamFactory().many(STREAMS, 3))
    writer = await log.open_writer()
    appended = await writer.append(events)
    await writer.close()

    assert [r.envelope() for r in appended] == events
    records = await read_all(log)
    assert sorted((r.topic, r.partition, r.offset) for r in records) == sorted(
        (r.topic, r.partition, r.offset) for r in appended
    )
    assert {e.id: e for e in (r.envelope() for r in records)} == {e.id: e for e in events}
    for record in records:
        assert record.key == record.envelope().stream.encode()
        assert record.topic == log.topic_for(record.envelope().stream)
        assert record.partition == log.partition_for(record.envelope().stream)
        assert ("ce_dataschema", b"/v1/schemas/StockAdjusted/1") in record.headers


async def test_streams_keep_their_order_across_many_batches(harness: Harness, prefix: str) -> None:
    log = await harness.log(prefix)
    factory = StreamFactory()
    writer = await log.open_writer()
    for _ in range(10):
        await writer.append(list(factory.many(STREAMS, 2)))
    await writer.close()

    streams = by_stream(await read_all(log))
    assert set(streams) == set(STREAMS)
    for events in streams.values():
        assert [e.version for e in events] == list(range(1, 21))
        assert all(b.prevhash == a.hash for a, b in pairwise(events))


async def test_failed_batch_leaves_nothing_visible_and_aborted_data_is_never_read(
    harness: Harness, prefix: str
) -> None:
    log = await harness.log(prefix)
    factory = StreamFactory()
    good = list(factory.many(STREAMS[:2], 1))
    doomed = [*factory.many(STREAMS[2:4], 2)]
    doomed[-1] = harness.poison(doomed[-1])
    tail = await log.open_reader()

    writer = await log.open_writer()
    await writer.append(good)
    with pytest.raises(LogError):
        await writer.append(doomed)
    retry_writer = await log.open_writer()
    after = list(StreamFactory().many(["complaint:C-9"], 2))
    await retry_writer.append(after)
    await retry_writer.close()

    seen = [r.envelope().id for r in await read_all(log)]
    assert sorted(seen) == sorted(e.id for e in good + after)
    tailed = []
    while batch := await tail.read(max_records=100, timeout=0.5):
        tailed.extend(r.envelope().id for r in batch)
    await tail.close()
    assert sorted(tailed) == sorted(seen)


async def test_catch_up_resumes_from_any_checkpoint(harness: Harness, prefix: str) -> None:
    log = await harness.log(prefix)
    factory = StreamFactory()
    writer = await log.open_writer()
    for _ in range(6):
        await writer.append(list(factory.many(STREAMS, 1)))
    await writer.close()

    reader = await log.open_reader()
    checkpoints: list[tuple[Position, list[str]]] = []
    seen: list[str] = []
    while batch := await reader.read(max_records=7, timeout=0.5):
        seen.extend(r.envelope().id for r in batch)
        checkpoints.append((reader.position, list(seen)))
    await reader.close()
    assert len(seen) == 36
    assert len(checkpoints) >= 5

    for checkpoint, before in checkpoints:
        rest = [r.envelope().id for r in await read_all(log, checkpoint, idle=0.3)]
        assert sorted(before + rest) == sorted(seen)
        assert not set(before) & set(rest)


async def test_tailing_reader_wakes_within_100ms_of_an_append(harness: Harness, prefix: str) -> None:
    log = await harness.log(prefix)
    factory = StreamFactory()
    writer = await log.open_writer()
    reader = await log.open_reader()
    await writer.append([factory.next("order:SO-0")])
    assert await reader.read(max_records=10, timeout=2)

    delays = []
    for i in range(7):
        pending = asyncio.create_task(reader.read(max_records=10, timeout=5))
        await asyncio.sleep(0.2)  # the reader is now waiting on an empty log
        await writer.append([factory.next(f"order:SO-{i % 2}")])
        appended = time.monotonic()
        records = await pending
        delays.append(time.monotonic() - appended)
        assert len(records) == 1
    await reader.close()
    await writer.close()
    assert statistics.median(delays) < 0.1, delays


async def test_a_second_writer_fences_the_first(harness: Harness, prefix: str) -> None:
    log = await harness.log(prefix)
    factory = StreamFactory()
    first = await log.open_writer()
    await first.append([factory.next("order:SO-1")])

    second = await log.open_writer()
    stale = factory.next("order:SO-1")
    with pytest.raises(WriterFenced):
        await first.append([stale])
    with pytest.raises(WriterFenced):  # once fenced, always fenced
        await first.append([factory.next("order:SO-2")])
    fresh = StreamFactory().next("order:SO-3")
    await second.append([fresh])
    await second.close()
    await first.close()

    ids = [r.envelope().id for r in await read_all(log)]
    assert stale.id not in ids
    assert fresh.id in ids
    assert len(ids) == 2


async def test_position_tokens_round_trip_and_cover_what_was_read(harness: Harness, prefix: str) -> None:
    log = await harness.log(prefix)
    writer = await log.open_writer()
    appended = await writer.append(list(StreamFactory().many(STREAMS, 2)))
    await writer.close()
    written = Position.after((r.topic, r.partition, r.offset) for r in appended)

    assert Position.from_token(written.token()) == written
    reader = await log.open_reader()
    assert not reader.position.covers(written)
    while await reader.read(max_records=100, timeout=0.5):
        pass
    assert reader.position.covers(written)
    assert Position.from_token(reader.position.token()) == reader.position
    end = await log.end_position()
    assert end.covers(written)
    assert reader.position.covers(end), "a reader that has read everything is at the end"
    await reader.close()
    for bad in ["", "p1.", "p1.!!!", "x" * 40, "p1.e30", Position.empty().token() + "AA"]:
        with pytest.raises(InvalidPosition):
            Position.from_token(bad)


async def test_an_append_whose_reply_was_lost_is_not_recorded_twice(harness: Harness, prefix: str) -> None:
    if harness.proxy is None:
        pytest.skip("an external broker cannot be put behind the fault proxy")
    log = await harness.log(prefix, through_proxy=True)
    factory = StreamFactory()
    writer = await log.open_writer()
    await writer.append([factory.next("order:SO-1")])
    batch = list(factory.many(["order:SO-1", "stock:SKU-1@WH-A"], 3))

    harness.proxy.cut_reply_to(harness.lose_append_reply)
    records = await writer.append(batch)  # the backend retries and recognises its own batch
    assert harness.proxy.cuts == 1
    await writer.close()

    assert [r.envelope().id for r in records] == [e.id for e in batch]
    ids = [r.envelope().id for r in await read_all(log)]
    assert len(ids) == len(set(ids)), "an event was recorded twice"
    assert len(ids) == 1 + len(batch)


async def test_a_log_keeps_its_identity_across_restarts_and_a_fresh_one_gets_another(
    harness: Harness, prefix: str
) -> None:
    first = await harness.log(prefix)
    identity = first.identity()
    writer = await first.open_writer()
    await writer.append(list(StreamFactory().many(STREAMS[:2], 1)))
    await writer.close()
    await first.close()

    again = await harness.log(prefix)  # a restart, or another process on the same log
    assert again.identity() == identity
    assert (await harness.log(f"{prefix}x")).identity() != identity  # another log beside it

    await again.close()
    await harness.drop(prefix)
    fresh = await harness.log(prefix)  # the same name, a new log
    assert fresh.identity() != identity
    assert await read_all(fresh, idle=0.3) == []
    assert (await harness.log(prefix)).identity() == fresh.identity()


async def test_two_first_starts_at_once_agree_on_one_identity(harness: Harness, prefix: str) -> None:
    logs = await asyncio.gather(*(harness.log(prefix) for _ in range(3)))
    assert len({log.identity() for log in logs}) == 1
