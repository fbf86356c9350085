"""Writer take-over: kill -9 the active ``ledger writer`` of ``ledger serve`` under commands.

Ours: eight callers post stock receipts through the API workers without pause; once the
hot standby is warm and commands are being acknowledged, the active writer (the pid its
registration names) is SIGKILLed. The figure is the time from the kill to the first 201
for a command sent after it: the standby took the lease, fenced the log, read what it had
not yet read and registered, and an API worker found it. The supervisor starts the killed
writer again; it becomes the next standby.

The raw limit: the same fencing on the log alone. A bare transactional aiokafka producer
in a process of its own opens a transaction, sends a record and is SIGKILLed; a new one with
the same transactional id then starts (Kafka aborts the dead one's transaction and fences
it) and commits one record. From the kill to that commit is what any take-over on this
broker costs at least.

``python -m bench.takeover --bootstrap B --topic T --transactional-id X`` is that child.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import aiohttp
import orjson

from bench.infra import REPO
from bench.peer import Movement
from bench.serve import Server, settled, until
from bench.workload import command
from bench.writer import bare_producer
from ledger.log.kafka import KafkaLog
from ledger.log.topology import Topology

CALLERS = 8


@dataclass
class Callers:
    """Callers posting receipts, each new, until told to stop; every answer kept."""

    server: Server
    bodies: Iterator[tuple[str, dict[str, object]]]
    answers: list[tuple[float, int, float]] = field(default_factory=list)  # sent, status (0: none), answered
    stopping: bool = False

    async def caller(self, session: aiohttp.ClientSession) -> None:
        while not self.stopping:
            name, body = next(self.bodies)
            sent = time.monotonic()
            try:
                async with session.post(
                    f"{self.server.url}/v1/commands/{name}", data=orjson.dumps(body)
                ) as r:
                    await r.read()
                    status = r.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            self.answers.append((sent, status, time.monotonic()))
            if status != 201:
                await asyncio.sleep(0.005)  # a 503 comes at once: ask again, not in a busy loop

    def first_201_after(self, moment: float) -> float | None:
        answered = [a for s, status, a in self.answers if status == 201 and s > moment]
        return min(answered) if answered else None

    def acknowledged(self) -> int:
        return sum(1 for _, status, _ in self.answers if status == 201)


@dataclass(frozen=True)
class Takeover:
    seconds: float
    statuses: dict[int, int]
    standbys: int


def receipts(
    skus: Sequence[str], locations: Sequence[str], tag: str
) -> Iterator[tuple[str, dict[str, object]]]:
    """Receipts on the demo's own stock, each with a document id of its own."""
    streams = itertools.cycle([f"{s}@{loc}" for s in skus for loc in locations])
    for n in itertools.count():
        yield command(Movement(next(streams), 1 + n % 20), n, tag)


async def writer_takeover(
    server: Server, skus: Sequence[str], locations: Sequence[str], tag: str, before_s: float
) -> Takeover:
    """One kill -9 of the active writer, ``before_s`` into a stream of commands; the server
    is left settled again (the killed writer restarted and warm as the next standby)."""
    active = await settled(server)
    callers = Callers(server, receipts(skus, locations, tag))
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(headers=server.headers, timeout=timeout) as session:
        streams = [asyncio.create_task(callers.caller(session)) for _ in range(CALLERS)]
        try:
            await asyncio.sleep(before_s)
            await until(lambda: callers.acknowledged() > 0, "a command acknowledged before the kill")
            killed_at = time.monotonic()
            os.kill(active, signal.SIGKILL)
            await until(lambda: callers.first_201_after(killed_at) is not None, "a 201 after the kill")
        finally:
            callers.stopping = True
            await asyncio.gather(*streams)
    first = callers.first_201_after(killed_at)
    assert first is not None
    statuses = Counter(status for _, status, _ in callers.answers)
    await settled(server)
    return Takeover(first - killed_at, dict(statuses), server.processes.get("writer", 1) - 1)


async def raw_takeover(bootstrap: str, topology: Topology) -> float:
    """Seconds from the kill -9 of a producer inside a transaction to a commit by its successor."""
    log = KafkaLog(bootstrap, topology)
    await log.start()  # the topic
    await log.close()
    topic, transactional_id = topology.topics[0], f"{topology.prefix}.takeover"
    arguments = ["--bootstrap", bootstrap, "--topic", topic, "--transactional-id", transactional_id]
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.takeover", *arguments],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    try:
        said = await asyncio.to_thread(child.stdout.readline)
    finally:
        killed_at = time.monotonic()
        child.kill()
        child.wait()
        child.stdout.close()
    if said.strip() != b"open":
        raise RuntimeError(f"the producer meant to hold a transaction exited with {child.returncode}")
    successor = bare_producer(bootstrap, transactional_id)
    try:
        await successor.start()  # InitProducerId: aborts the dead one's transaction, fences it
        await successor.begin_transaction()
        await successor.send_and_wait(topic, b"{}", key=b"k", partition=0)
        await successor.commit_transaction()
        return time.monotonic() - killed_at
    finally:
        await successor.stop()


async def _hold_a_transaction(bootstrap: str, topic: str, transactional_id: str) -> None:
    producer = bare_producer(bootstrap, transactional_id)
    await producer.start()
    await producer.begin_transaction()
    await producer.send_and_wait(topic, b"{}", key=b"k", partition=0)
    print("open", flush=True)
    await asyncio.Event().wait()  # until killed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.takeover", description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--transactional-id", required=True)
    args = parser.parse_args(argv)
    asyncio.run(_hold_a_transaction(args.bootstrap, args.topic, args.transactional_id))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
