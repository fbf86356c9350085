"""On Kafka the ledger creates the marketing and customers areas' topics; campaigns, leads and
follow-ups land there (objectives on planning's), each on the partition Kafka's default
partitioner gives its stream, and an order that wins a lead writes to the sales and the
marketing topics in one transaction."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from ledger.log.kafka import KafkaLog
from ledger.log.topology import Topology
from ledger.writer import Writer
from tests.support.commands import request
from tests.support.fresh_logs import delete_log_topics
from tests.support.marketing import MARKETING_HISTORY

pytestmark = pytest.mark.kafka

PARTITIONS = 3


async def test_the_marketing_and_customers_topics_are_created_and_hold_their_streams(
    kafka_bootstrap: str, prefix: str
) -> None:
    topology = Topology(prefix, PARTITIONS)
    log = KafkaLog(kafka_bootstrap, topology, timeout=10)
    await log.start()
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            topics = await admin.list_topics()
            for area in ("marketing", "customers"):
                assert f"{prefix}.{area}" in topics
                (described,) = await admin.describe_topics([f"{prefix}.{area}"])
                assert len(described["partitions"]) == PARTITIONS
        finally:
            await admin.close()

        writer = Writer(log)
        await writer.start()
        try:
            results = [await writer.submit(request(name, body)) for name, body in MARKETING_HISTORY]
        finally:
            await writer.stop()
        order = next(
            r for (name, _), r in zip(MARKETING_HISTORY, results, strict=True) if name == "place-order"
        )
        assert [e.type for e in order.events] == ["OrderPlaced", "StockReserved", "LeadWon"]

        reader = await log.open_reader()
        try:
            records = []
            while batch := await reader.read(max_records=200, timeout=1.0):
                records.extend(batch)
        finally:
            await reader.close()
        by_stream: dict[str, list[str]] = {}
        for record in records:
            envelope = record.envelope()
            area = {
                "campaign": "marketing",
                "lead": "marketing",
                "followup": "customers",
                "objective": "planning",
            }
            category = envelope.stream.split(":", 1)[0]
            if category in area:
                assert record.topic == f"{prefix}.{area[category]}", envelope.stream
                assert record.partition == topology.partition_for(envelope.stream), envelope.stream
                assert record.key == envelope.stream.encode()
                by_stream.setdefault(envelope.stream, []).append(envelope.type)
        assert by_stream == {
            "campaign:CMP-M": ["CampaignLaunched", "CampaignSpendRecorded", "CampaignSpendRecorded"],
            "lead:LD-M1": ["LeadCaptured", "LeadQualified", "LeadWon"],
            "lead:LD-M2": ["LeadCaptured", "LeadQualified", "LeadLost"],
            "lead:LD-M3": ["LeadCaptured", "LeadLost"],
            "followup:F-M1": ["FollowUpRecorded"],
            "followup:F-M2": ["FollowUpRecorded"],
            "objective:OBJ-M1": ["ObjectiveSet", "ObjectiveSet"],
            "objective:OBJ-M2": ["ObjectiveSet", "ObjectiveRetired"],
        }
        placed = next(
            r for r in records if r.envelope().type == "OrderPlaced" and r.envelope().stream == "order:SO-M1"
        )
        won = next(r for r in records if r.envelope().type == "LeadWon")
        assert placed.topic == f"{prefix}.sales"
        assert won.envelope().correlation_id == placed.envelope().correlation_id
    finally:
        await log.close()
        await delete_log_topics(kafka_bootstrap, prefix)
