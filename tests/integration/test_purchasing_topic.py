"""On Kafka the ledger creates the purchasing area's topic, and a purchase order's events land
there, on the partition Kafka's default partitioner gives its stream."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from ledger.log.kafka import KafkaLog
from ledger.log.topology import Topology
from ledger.writer import Writer
from tests.support.commands import request
from tests.support.fresh_logs import delete_log_topics
from tests.support.purchasing import PURCHASING_HISTORY

pytestmark = pytest.mark.kafka

PARTITIONS = 3


async def test_the_purchasing_topic_is_created_and_holds_the_purchase_orders(
    kafka_bootstrap: str, prefix: str
) -> None:
    topology = Topology(prefix, PARTITIONS)
    log = KafkaLog(kafka_bootstrap, topology, timeout=10)
    await log.start()
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            topic = f"{prefix}.purchasing"
            assert topic in await admin.list_topics()
            (described,) = await admin.describe_topics([topic])
            assert len(described["partitions"]) == PARTITIONS
        finally:
            await admin.close()

        writer = Writer(log)
        await writer.start()
        try:
            upto = next(i for i, (name, _) in enumerate(PURCHASING_HISTORY) if name == "place-purchase-order")
            results = [
                await writer.submit(request(name, body)) for name, body in PURCHASING_HISTORY[: upto + 1]
            ]
        finally:
            await writer.stop()
        (placed,) = results[-1].events
        assert (placed.type, placed.stream) == ("PurchaseOrderPlaced", "po:PO-P1")

        reader = await log.open_reader()
        try:
            records = []
            while batch := await reader.read(max_records=100, timeout=1.0):
                records.extend(batch)
        finally:
            await reader.close()
        on_topic = [r for r in records if r.topic == topic]
        assert [(r.envelope().type, r.partition) for r in on_topic] == [
            ("PurchaseOrderPlaced", topology.partition_for("po:PO-P1"))
        ]
        assert on_topic[0].key == b"po:PO-P1"
    finally:
        await log.close()
        await delete_log_topics(kafka_bootstrap, prefix)
