"""Reading one batch ahead: batches come in log order with the position past each, never more
than one is read ahead, a seek drops it, and a read that failed ahead fails the take."""

from __future__ import annotations

import asyncio

import pytest

from ledger.log import LogUnavailable, Position, Record, TopicPartition
from ledger.projector.decoding import Decoded
from ledger.projector.readahead import DECODE_SLICE, ReadAhead

TP = TopicPartition("t.inventory", 0)


class ListReader:
    """A log reader over a list of records on one partition (a stand-in for a pure unit)."""

    def __init__(self, count: int) -> None:
        self.records = [Record(TP.topic, 0, n, b"k", (), b"{}") for n in range(count)]
        self.offset = 0
        self.reads = 0
        self.fail_next = False
        self.gate = asyncio.Event()
        self.gate.set()

    @property
    def position(self) -> Position:
        return Position({TP: self.offset})

    async def seek(self, position: Position) -> None:
        self.offset = position.get_offset(TP)

    async def read(self, max_records: int, timeout: float) -> list[Record]:
        await self.gate.wait()
        self.reads += 1
        if self.fail_next:
            self.fail_next = False
            raise LogUnavailable("gone")
        taken = self.records[self.offset : self.offset + max_records]
        self.offset += len(taken)
        return taken

    async def close(self) -> None:
        return None


def decode(records: list[Record]) -> list[tuple[Record, Decoded]]:
    return [(r, ValueError(str(r.offset))) for r in records if r.offset % 2 == 0]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_batches_come_in_order_with_their_positions_and_one_more_is_read_ahead() -> None:
    log = ListReader(25)
    reader = ReadAhead(log, decode, max_records=10, timeout=0.01)
    first = await reader.take()
    assert [r.offset for r in first.records] == list(range(10))
    assert first.position == Position({TP: 10})
    assert [r.offset for r, _ in first.decoded] == [0, 2, 4, 6, 8]
    await settle()
    assert (log.reads, log.offset) == (2, 20)  # the next batch, and no more
    second, third = await reader.take(), await reader.take()
    assert [r.offset for r in second.records + third.records] == list(range(10, 25))
    assert third.position == Position({TP: 25})
    await reader.close()


async def test_decoding_ahead_leaves_the_loop_free_between_slices() -> None:
    log = ListReader(3 * DECODE_SLICE)
    slices: list[int] = []

    def counting(records: list[Record]) -> list[tuple[Record, Decoded]]:
        slices.append(len(records))
        return decode(records)

    reader = ReadAhead(log, counting, max_records=3 * DECODE_SLICE, timeout=0.01)
    batch = await reader.take()
    assert slices == [DECODE_SLICE] * 3
    assert len(batch.decoded) == 3 * DECODE_SLICE // 2 + (3 * DECODE_SLICE) % 2
    await reader.close()


async def test_a_seek_drops_what_was_read_ahead_and_reads_from_there() -> None:
    log = ListReader(30)
    reader = ReadAhead(log, decode, max_records=10, timeout=0.01)
    await reader.take()
    await settle()
    await reader.seek(Position({TP: 5}))
    batch = await reader.take()
    assert [r.offset for r in batch.records] == list(range(5, 15))
    assert batch.position == Position({TP: 15})
    await reader.close()


async def test_a_seek_lets_a_read_in_flight_finish_before_it_moves_the_reader() -> None:
    log = ListReader(30)
    reader = ReadAhead(log, decode, max_records=10, timeout=0.01)
    await reader.take()
    log.gate.clear()  # the read ahead is now waiting on the log
    await settle()
    seeking = asyncio.create_task(reader.seek(Position({TP: 0})))
    await settle()
    assert not seeking.done()
    log.gate.set()
    await seeking
    assert [r.offset for r in (await reader.take()).records] == list(range(10))
    await reader.close()


async def test_a_read_that_failed_ahead_fails_the_take_and_nothing_more_is_read() -> None:
    log = ListReader(30)
    reader = ReadAhead(log, decode, max_records=10, timeout=0.01)
    log.fail_next = True
    with pytest.raises(LogUnavailable):
        await reader.take()
    await reader.take()
    log.fail_next = True
    await settle()
    with pytest.raises(LogUnavailable):
        await reader.take()
    reads = log.reads
    await settle()
    assert log.reads == reads  # nothing read ahead after a failure: the caller seeks first
    await reader.seek(Position({TP: 10}))
    assert [r.offset for r in (await reader.take()).records] == list(range(10, 20))
    await reader.close()


async def test_closing_stops_a_read_in_flight() -> None:
    log = ListReader(30)
    reader = ReadAhead(log, decode, max_records=10, timeout=0.01)
    await reader.take()
    log.gate.clear()
    await settle()
    await asyncio.wait_for(reader.close(), 1)
    assert log.offset == 10  # the read ahead never went through
