"""Faults on real Kafka: the serving process killed mid-stream, the broker stopped under load.

What must hold: every acknowledged command's events are in the log exactly once; no command
is half in the log; stream versions have no gaps; writes resume when the broker returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import localkafka
from ledger.envelope import Envelope, chain_breaks
from ledger.log import EventLog
from ledger.log.kafka import KafkaLog
from ledger.log.topology import Topology
from ledger.writer import Writer, WriterUnavailable
from tests.support.commands import location
from tests.support.processes import children_of

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

TOKEN = "fault-test-admin-token-42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def read_envelopes(log: EventLog) -> list[Envelope]:
    reader = await log.open_reader()
    events: list[Envelope] = []
    while batch := await reader.read(max_records=5000, timeout=1.0):
        events.extend(r.envelope() for r in batch)
    await reader.close()
    return events


def assert_log_is_whole(events: list[Envelope]) -> None:
    ids = Counter(e.id for e in events)
    assert not [i for i, n in ids.items() if n > 1], "an event is in the log twice"
    streams: dict[str, list[Envelope]] = defaultdict(list)
    for event in events:
        streams[event.stream].append(event)
    for stream_events in streams.values():
        stream_events.sort(key=lambda e: e.version)
        assert chain_breaks(stream_events) == [], "a stream's versions or chain are broken"


class Server:
    """``ledger serve`` as a real child process (a supervisor and its roles), to be killed for real."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self.env, self.port, self.log_path = env, port, log_path
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> float:
        began = time.monotonic()
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ledger.cli", "serve"], env=self.env, stdout=out, stderr=out
            )
        async with aiohttp.ClientSession() as session:
            while time.monotonic() - began < 60:
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/readyz") as response:
                        if response.status == 200:
                            return time.monotonic() - began
                except aiohttp.ClientError:
                    pass
                assert self.process.poll() is None, self.log_path.read_text()[-3000:]
                await asyncio.sleep(0.1)
        raise AssertionError("ledger serve did not become ready:\n" + self.log_path.read_text()[-3000:])

    def kill(self) -> None:
        """kill -9 of the whole of it at once: the supervisor and every role it runs."""
        assert self.process is not None
        children = children_of(self.process.pid)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)


async def post(session: aiohttp.ClientSession, port: int, name: str, body: dict[str, Any], key: str) -> int:
    async with session.post(
        f"http://127.0.0.1:{port}/v1/commands/{name}",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key},
    ) as response:
        await response.read()
        return response.status


def order(i: int) -> dict[str, Any]:
    return {
        "order_id": f"SO-{i}",
        "customer_id": "CUS-1",
        "channel": "online",
        "team_id": "north",
        "currency": "EUR",
        "fulfil_from": "WH-A",
        "lines": [
            {"line_no": 1, "sku": "SKU-1", "qty": "1", "unit_price": "10"},
            {"line_no": 2, "sku": "SKU-2", "qty": "2", "unit_price": "5"},
        ],
    }


async def test_kill_9_mid_stream_loses_nothing_acknowledged_and_half_applies_nothing(
    kafka_bootstrap: str, pg_dsn: str, prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "LEDGER_DATABASE_URL": pg_dsn,
        "LEDGER_TOPIC_PREFIX": prefix,
        "LEDGER_PARTITIONS": "2",
        "LEDGER_ADMIN_TOKEN": TOKEN,
        "LEDGER_PORT": str(port),
        "LEDGER_SNAPSHOT_EVERY": "500",
    }
    server = Server(env, port, tmp_path / "serve.log")
    await server.start()
    async with aiohttp.ClientSession() as session:
        for name, body in [
            ("register-location", {"location_id": "WH-A", "name": "Main", "kind": "warehouse"}),
            ("register-customer", {"customer_id": "CUS-1", "name": "Northwind"}),
            ("register-team", {"team_id": "north", "name": "North"}),
            ("register-product", {"sku": "SKU-1", "name": "Widget", "uom": "ea", "category": "w"}),
            ("register-product", {"sku": "SKU-2", "name": "Gadget", "uom": "ea", "category": "g"}),
            ("receive-stock", {"receipt_id": "R-1", "sku": "SKU-1", "location_id": "WH-A", "qty": "100000"}),
            ("receive-stock", {"receipt_id": "R-2", "sku": "SKU-2", "location_id": "WH-A", "qty": "100000"}),
        ]:
            assert await post(session, port, name, body, f"setup-{name}-{len(body)}-{body.get('sku')}") == 201

        acknowledged: set[int] = set()
        unknown: set[int] = set()
        next_order = iter(range(100_000))

        async def client() -> None:
            for i in next_order:
                try:
                    status = await post(session, port, "place-order", order(i), f"order-{i}")
                except (TimeoutError, aiohttp.ClientError):
                    unknown.add(i)
                    return
                if status == 201:
                    acknowledged.add(i)
                else:
                    unknown.add(i)

        clients = [asyncio.create_task(client()) for _ in range(8)]
        while len(acknowledged) < 300:
            await asyncio.sleep(0.05)
        server.kill()
        await asyncio.gather(*clients)

        restart_seconds = await server.start()
        # The unknown ones, retried with their keys: each lands at most once.
        for i in sorted(unknown):
            assert await post(session, port, "place-order", order(i), f"order-{i}") == 201
        assert server.terminate() == 0

    log = KafkaLog(kafka_bootstrap, Topology(prefix, 2))
    await log.start()
    events = await read_envelopes(log)
    await log.close()
    assert_log_is_whole(events)
    by_command: dict[str, list[Envelope]] = defaultdict(list)
    for event in events:
        by_command[event.causation_id].append(event)
    orders = Counter(e.data["order_id"] for e in events if e.type == "OrderPlaced")
    assert all(orders[f"SO-{i}"] == 1 for i in acknowledged | unknown)
    assert max(orders.values()) == 1
    placed = [group for group in by_command.values() if group[0].stream.startswith("order:")]
    assert all(
        sorted(e.type for e in group) == ["OrderPlaced", "StockReserved", "StockReserved"] for group in placed
    )
    print(
        f"\nkill -9: acknowledged={len(acknowledged)} unknown-then-retried={len(unknown)} "
        f"orders-in-log={len(orders)} events={len(events)} restart={restart_seconds:.2f}s"
    )


async def test_broker_stopped_under_load_fails_callers_with_503_and_writes_resume(tmp_path: Path) -> None:
    cluster = localkafka.LocalKafka(nodes=1, base_dir=tmp_path / "kafka")
    cluster.start()
    log = KafkaLog(cluster.bootstrap, Topology("outage", 2), timeout=3)
    try:
        await log.start()
        writer = Writer(log)
        await writer.start()
        acknowledged: list[int] = []
        refused: list[int] = []
        counter = iter(range(1_000_000))
        stop = asyncio.Event()

        async def client() -> None:
            for i in counter:
                if stop.is_set():
                    return
                try:
                    await writer.submit(location(i))
                    acknowledged.append(i)
                except WriterUnavailable:
                    refused.append(i)
                    await asyncio.sleep(0.05)

        clients = [asyncio.create_task(client()) for _ in range(4)]
        while len(acknowledged) < 200:
            await asyncio.sleep(0.05)
        await asyncio.to_thread(cluster.stop_node, 0)
        down_at = len(acknowledged)
        while len(refused) < 20:
            await asyncio.sleep(0.05)
        await asyncio.to_thread(cluster.start_node, 0)
        deadline = time.monotonic() + 60
        while len(acknowledged) < down_at + 200:
            assert time.monotonic() < deadline, f"writes did not resume: {writer.status} {writer.problem}"
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*clients)
        await writer.stop()

        events = await read_envelopes(log)
        assert_log_is_whole(events)
        in_log = Counter(e.data["location_id"] for e in events)
        assert all(in_log[f"LOC-{i}"] == 1 for i in acknowledged), "an acknowledged command is missing"
        print(
            f"\nbroker outage: acknowledged={len(acknowledged)} refused-503={len(refused)} "
            f"in-log={len(in_log)}"
        )
    finally:
        await log.close()
        cluster.stop()
