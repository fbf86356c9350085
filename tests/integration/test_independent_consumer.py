"""An integrator's own consumer group follows the area topics and ends with ``ledger export``.

The ledger runs in process on real Kafka. A plain aiokafka consumer group (none of the
ledger's reader code), ``read_committed`` as integrators are told to configure it, follows
every area topic from the start while commands are written both over HTTP and through
``<prefix>.commands``, onto the same streams. Once every command is answered and the
consumer has read to the end, what it received is exactly the events of ``ledger export``:
each partition in offset order, every stream's versions 1, 2, 3 in order, nothing twice and
nothing missing; and each event sits on the partition Kafka's own partitioner gives its key.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from schemas import AREAS, area_of_stream
from tests.http.conftest import ADMIN_TOKEN, Api, serve, settings_for
from tests.support.command_topic import bearer, command, read_answers, send
from tests.support.processes import role_env

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SKUS = 5
EACH = 60  # commands over HTTP, and as many through the topic


@pytest.fixture
async def ledger(request: pytest.FixtureRequest, prefix: str) -> Any:
    from ledger.app import create_app

    client = await serve(create_app(settings_for("kafka", request, prefix)))
    yield Api(client, ADMIN_TOKEN)
    await client.close()


class Follower:
    """A consumer group member reading every area topic: events by (topic, partition), in order."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.topics = [f"{prefix}.{area}" for area in AREAS]
        self.consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=bootstrap,
            group_id=f"{prefix}.integrator",
            isolation_level="read_committed",
            auto_offset_reset="earliest",
        )
        self.received: dict[tuple[str, int], list[tuple[int, dict[str, str]]]] = defaultdict(list)

    async def follow(self) -> None:
        while True:
            for tp, messages in (await self.consumer.getmany(timeout_ms=200)).items():
                for m in messages:
                    headers = {k: v.decode() for k, v in m.headers}
                    self.received[(tp.topic, tp.partition)].append((m.offset, headers))

    async def read_to_end(self) -> None:
        """Until every assigned partition is read up to its last stable offset now."""
        tps = [TopicPartition(t, p) for t in self.topics for p in range(2)]
        ends = await self.consumer.end_offsets(tps)
        while not all([await self.consumer.position(tp) >= ends[tp] for tp in tps]):
            await asyncio.sleep(0.05)


async def test_a_plain_consumer_group_ends_with_exactly_the_exported_events_in_stream_order(
    ledger: Api, kafka_bootstrap: str, prefix: str, pg_dsn: str, tmp_path: Path
) -> None:
    follower = Follower(kafka_bootstrap, prefix)
    await follower.consumer.start()
    following = asyncio.create_task(follower.follow())
    try:
        await until_assigned(follower.consumer, len(AREAS) * 2)
        location = {"location_id": "WH-A", "name": "A", "kind": "warehouse"}
        assert (await ledger.command("register-location", location))[0] == 201
        for n in range(SKUS):
            body = {"sku": f"SKU-{n}", "name": f"Item {n}", "uom": "ea", "category": "tools"}
            assert (await ledger.command("register-product", body))[0] == 201

        def receipt(source: str, i: int) -> dict[str, Any]:
            return {
                "receipt_id": f"R-{source}-{i}",
                "sku": f"SKU-{i % SKUS}",
                "location_id": "WH-A",
                "qty": 1,
            }

        async def over_http() -> list[int]:
            return [(await ledger.command("receive-stock", receipt("H", i)))[0] for i in range(EACH)]

        records = [
            (f"t-{i}".encode(), command("receive-stock", receipt("T", i)), bearer(ADMIN_TOKEN))
            for i in range(EACH)
        ]
        statuses, _ = await asyncio.gather(over_http(), send(kafka_bootstrap, f"{prefix}.commands", records))
        assert statuses == [201] * EACH
        answers = await read_answers(kafka_bootstrap, f"{prefix}.command-results", 2, EACH)
        assert [a.status for a in answers] == [201] * EACH
        await follower.read_to_end()
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
        await follower.consumer.stop()

    exported = await export(kafka_bootstrap, pg_dsn, prefix, tmp_path / "history.jsonl")
    # Where Kafka's own partitioner puts each exported event: its area's topic, by its stream.
    partitioner = DefaultPartitioner()
    expected: dict[tuple[str, int], list[str]] = defaultdict(list)
    for line in exported:
        stream = line["subject"]
        place = (f"{prefix}.{area_of_stream(stream)}", partitioner(stream.encode(), [0, 1], [0, 1]))
        expected[place].append(line["id"])
    got = {tp: [h["ce_id"] for _, h in events] for tp, events in follower.received.items() if events}
    assert got == expected, "the consumer's events differ from the export's, or their order does"
    # The location, the products and the receipts; and the admin's token when this database had
    # not issued it before (its token store outlives a test's log).
    assert len([line for line in exported if line["type"] != "TokenIssued"]) == 1 + SKUS + 2 * EACH

    versions: dict[str, list[int]] = defaultdict(list)
    keyed: dict[str, set[bool]] = defaultdict(set)  # whether a stream's events came keyed (the topic's)
    for events in follower.received.values():
        offsets = [offset for offset, _ in events]
        assert offsets == sorted(offsets)
        for _, headers in events:
            versions[headers["ce_subject"]].append(int(headers["ce_streamversion"]))
            keyed[headers["ce_subject"]].add("ce_idempotencykey" in headers)
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values()), "a stream out of order"
    assert all(keyed[f"stock:SKU-{n}@WH-A"] == {True, False} for n in range(SKUS)), "one way only"


async def until_assigned(consumer: AIOKafkaConsumer, partitions: int) -> None:
    """The group has given this member every partition (it is the only member)."""
    async with asyncio.timeout(30):
        while len(consumer.assignment()) < partitions:
            await asyncio.sleep(0.05)


async def export(bootstrap: str, dsn: str, prefix: str, out: Path) -> list[dict[str, Any]]:
    """``ledger export`` run as an operator runs it; its lines."""
    env = role_env(
        LEDGER_KAFKA_BOOTSTRAP=bootstrap,
        LEDGER_DATABASE_URL=dsn,
        LEDGER_TOPIC_PREFIX=prefix,
        LEDGER_PARTITIONS="2",
    )
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "ledger", "export", "--out", str(out)],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [orjson.loads(line) for line in (await asyncio.to_thread(out.read_bytes)).splitlines()]
