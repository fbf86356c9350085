"""A record with headers a tracing library put on it verifies and exports as if they were not there.

A Kafka instrumentation may inject ``traceparent`` (and ``tracestate``, ``baggage``) headers of
its own into the records it produces. Those are not the envelope's: ``ledger verify`` and
``ledger export`` never read them, so a log holding such a record verifies clean and exports
exactly the events, beside events that carry the ledger's own ``traceparent`` extension.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import structlog
from aiokafka import AIOKafkaProducer

from ledger.audit.exchange import encode_line
from ledger.cloudevents import to_binary
from ledger.envelope import Envelope
from ledger.log.kafka import KafkaLog
from ledger.log.topology import Topology
from tests.support.events import StreamFactory
from tests.support.exports import PARTITIONS, run, settings_env

pytestmark = [pytest.mark.kafka]

STREAM = "stock:SKU-1@WH-A"
INJECTED = [
    ("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
    ("tracestate", b"congo=t61rcWkgMzE"),
    ("baggage", b"\xff\xfe not even UTF-8"),
]


def _counted(n: int) -> dict[str, object]:
    return {"adjustment_id": f"A-{n}", "sku": "SKU-1", "location_id": "WH-A", "counted_qty": str(n),
            "delta": "1", "reason": "count"}  # fmt: skip


async def _write(bootstrap: str, prefix: str) -> list[Envelope]:
    """Two events through the ledger's own writer (the second traced), then a third produced
    with a library's headers added to its own."""
    factory = StreamFactory()
    events = [factory.next(STREAM, _counted(n)) for n in (1, 2, 3)]
    events[1] = replace(events[1], traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    log = KafkaLog(bootstrap, Topology(prefix, PARTITIONS), timeout=5)
    await log.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        writer = await log.open_writer()
        await writer.append(events[:2])
        await writer.close()
        message = to_binary(events[2])
        await producer.start()
        await producer.send_and_wait(
            log.topic_for(STREAM),
            message.value,
            key=message.key,
            partition=log.partition_for(STREAM),
            headers=[*message.headers, *INJECTED],
        )
    finally:
        await producer.stop()
        await log.close()
    return events


def test_a_record_with_a_tracing_librarys_headers_verifies_and_exports(
    kafka_bootstrap: str,
    pg_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prefix = f"t{uuid.uuid4().hex[:12]}"
    events = asyncio.run(_write(kafka_bootstrap, prefix))
    settings_env(monkeypatch, pg_dsn, prefix, kafka=kafka_bootstrap)
    try:
        status, out, _ = run(capsys, "verify")
        assert status == 0, out
        export = tmp_path / "export.jsonl"
        assert run(capsys, "export", "--out", str(export))[0] == 0
        assert export.read_bytes() == b"".join(encode_line(e) for e in events)
        assert b"congo" not in export.read_bytes()
        status, out, _ = run(capsys, "verify", "--source", str(export))
        assert status == 0, out
    finally:
        structlog.reset_defaults()  # the CLI configured logging for its process; tests share one
