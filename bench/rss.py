"""The writer's memory holding many streams: a log of N stock streams, and a writer recovering it.

The harness fills a fresh prefix with the master data and one receipt per stream (produced
raw: these events are the input, not what is measured). Then ``python -m bench.rss`` runs in a
process of its own, starts a ``Writer`` on that log as ``ledger serve`` would (it reads the
whole log into its in-memory state) and reports its resident memory, before and after, and
how fast it recovered.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from bench.workload import StockWorkload
from handlers import WriteModel, decide, evolve
from ledger.cloudevents import to_binary
from ledger.envelope import Envelope
from ledger.log import kafka_clients
from ledger.log.kafka import KafkaLog
from ledger.log.topology import Topology
from ledger.memory import tune_collector
from ledger.writer import Writer
from schemas import Event, parse_command
from schemas.inventory import StockReceived

CHUNK = 20_000


def _events(workload: StockWorkload) -> Iterator[Event]:
    model = WriteModel()
    for name, body in workload.setup():
        for e in decide(model, parse_command(name, body)):
            evolve(model, e)
            yield e
        model.journal.commit()
    for n, movement in enumerate(workload.every_stream()):
        sku, location = movement.stream.split("@")
        yield StockReceived(receipt_id=f"R-{n}", sku=sku, location_id=location, qty=movement.qty)


def _sealed(events: Iterator[Event]) -> Iterator[Envelope]:
    """Each event as the writer would seal it: the next version of its stream, chained."""
    heads: dict[str, tuple[int, str]] = {}
    now = datetime.now(UTC)
    for event in events:
        stream = event.stream()
        version, prevhash = heads.get(stream, (0, ""))
        envelope = Envelope(
            id=str(uuid.uuid4()),
            type=event.type,
            schema_version=event.schema_version,
            stream=stream,
            version=version + 1,
            occurred_at=now,
            recorded_at=now,
            actor="bench",
            correlation_id="bench",
            causation_id="bench",
            idempotency_key=None,
            prevhash=prevhash,
            hash="",
            data=event.data(),
        ).sealed()
        heads[stream] = (envelope.version, envelope.hash)
        yield envelope


async def fill(bootstrap: str, topology: Topology, workload: StockWorkload) -> int:
    """Produce the workload's master data and one receipt per stream; answer the event count."""
    log = KafkaLog(bootstrap, topology)
    await log.start()
    producer = kafka_clients.producer(log.connection, acks="all", linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    count = 0
    try:
        pending = []
        for envelope in _sealed(_events(workload)):
            m = to_binary(envelope)
            topic, partition = topology.place(envelope.stream)
            pending.append(
                await producer.send(topic, m.value, key=m.key, headers=m.headers, partition=partition)
            )
            count += 1
            if len(pending) >= CHUNK:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
        await log.close()
    return count


def rss_mib() -> float:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc")


async def recover(bootstrap: str, topology: Topology) -> dict[str, float]:
    log = KafkaLog(bootstrap, topology)
    await log.start()
    before = rss_mib()
    writer = Writer(log, None)
    started = time.perf_counter()
    await writer.start()
    seconds = time.perf_counter() - started
    gc.collect()
    after = rss_mib()
    streams = len(writer.model.stock)
    await writer.stop()
    await log.close()
    return {"rss_mib": after, "rss_before_mib": before, "recover_seconds": seconds, "stock_streams": streams}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rss")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--partitions", type=int, default=3)
    args = parser.parse_args(argv)
    tune_collector("writer")  # as ``ledger writer`` runs
    result = asyncio.run(recover(args.bootstrap, Topology(args.prefix, args.partitions)))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
