"""The writer's own cost per event, without the log's I/O: ``python -m bench.encode``.

Three figures, in microseconds of one core per event: sealing an envelope and encoding its
record (``Envelope.seal`` then ``to_binary``, what the writer does once per event), decoding
a record back (``from_binary``, what every reader does), and the writer's whole path for
stock movements (parse, decide, seal, encode, group commit, answer) over a log held in memory
that encodes each event as the real logs do and appends nothing anywhere. Tracing is off, as
it is unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set: the figure to compare before and after
a change to the envelope or the writer's loop. Time is this process's CPU time, so other work
on the box barely moves it; each figure is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from bench.workload import StockWorkload, command
from bench.writer import submit_all
from ledger.cloudevents import from_binary, to_binary
from ledger.envelope import Envelope
from ledger.log import Attach, LogReader, LogWriter, Position, Record
from ledger.log.topology import Topology
from ledger.writer import Writer


class MemoryLog:
    """An ``EventLog`` with nothing in it that takes appends at once: each event is encoded
    (``to_binary``) and placed, as a real log does, and kept nowhere."""

    def __init__(self, topology: Topology) -> None:
        self._topology = topology
        self._next: dict[tuple[str, int], int] = {}

    @property
    def topics(self) -> tuple[str, ...]:
        return self._topology.topics

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def identity(self) -> str:
        return "memory"

    def topic_for(self, stream: str) -> str:
        return self._topology.topic_for(stream)

    def partition_for(self, stream: str) -> int:
        return self._topology.partition_for(stream)

    async def open_writer(self) -> LogWriter:
        return _MemoryWriter(self)

    async def open_reader(self, topics: Iterable[str] | None = None) -> LogReader:
        return _EmptyReader()

    async def end_position(self) -> Position:
        return Position.empty()

    def records(self, events: Sequence[Envelope]) -> list[Record]:
        records = []
        for event in events:
            m = to_binary(event)
            topic, partition = place = self._topology.place(event.stream)
            offset = self._next.get(place, 0)
            self._next[place] = offset + 1
            records.append(Record(topic, partition, offset, m.key, tuple(m.headers), m.value))
        return records


class _MemoryWriter:
    def __init__(self, log: MemoryLog) -> None:
        self._log = log

    async def append(self, events: Sequence[Envelope], attach: Attach | None = None) -> list[Record]:
        return self._log.records(events)

    async def close(self) -> None:
        return None


class _EmptyReader:
    @property
    def position(self) -> Position:
        return Position.empty()

    async def seek(self, position: Position) -> None:
        return None

    async def read(self, max_records: int, timeout: float) -> list[Record]:
        return []

    async def close(self) -> None:
        return None


def _envelopes(count: int) -> list[Envelope]:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    return [
        Envelope.seal(
            id=f"00000000-0000-4000-8000-{i:012d}",
            type="StockReceived",
            schema_version=1,
            stream=f"stock:SKU-{i % 1000:07d}@WH-001",
            version=i // 1000 + 1,
            occurred_at=now,
            recorded_at=now,
            actor="bench",
            correlation_id="cmd-1",
            causation_id="cmd-1",
            idempotency_key=None,
            prevhash="",
            data={"sku": f"SKU-{i % 1000:07d}", "location_id": "WH-001", "qty": "5", "receipt_id": f"R-{i}"},
        )
        for i in range(count)
    ]


def _seal_and_encode(count: int) -> float:
    started = time.process_time()
    for event in _envelopes(count):
        to_binary(event)
    return (time.process_time() - started) / count


def _decode(count: int) -> float:
    messages = [to_binary(e) for e in _envelopes(count)]
    started = time.process_time()
    for message in messages:
        from_binary(message.headers, message.value)
    return (time.process_time() - started) / count


async def _writer_path(count: int) -> float:
    workload = StockWorkload.sized(200, 5)
    log = MemoryLog(Topology("bench", 3))
    writer = Writer(log, None, max_batch=4096)
    await writer.start()
    try:
        await submit_all(writer, workload.setup())
        movements = [command(m, n, "e") for n, m in enumerate(workload.movements(count, seed=7))]
        started = time.process_time()
        events = await submit_all(writer, movements)
        return (time.process_time() - started) / events
    finally:
        await writer.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.encode", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    figures = {
        "seal + encode": min(_seal_and_encode(args.events) for _ in range(args.repeat)),
        "decode": min(_decode(args.events) for _ in range(args.repeat)),
        "writer path": min(asyncio.run(_writer_path(args.events)) for _ in range(args.repeat)),
    }
    for name, seconds in figures.items():
        print(f"{name:>14}: {seconds * 1e6:7.2f} us/event")


if __name__ == "__main__":
    main()
