"""A Kafka cluster as the admin client sees the ledger's topics on it: where each partition's
leader and in-sync replicas are, the topics' ``min.insync.replicas``, and which broker
coordinates the writer's transactions. For tests that kill brokers and watch them return."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType


@contextlib.asynccontextmanager
async def _admin(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


@dataclass(frozen=True, slots=True)
class Placement:
    """One partition: its leader, its replicas and those in sync, by broker id."""

    topic: str
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


async def placements(bootstrap: str, prefix: str) -> list[Placement]:
    """Every partition of the ledger's topics (those under ``prefix``), from the metadata."""
    async with _admin(bootstrap) as admin:
        topics = [t for t in await admin.list_topics() if t.startswith(f"{prefix}.")]
        described = await admin.describe_topics(topics)
    return [
        Placement(t["topic"], p["partition"], p["leader"], tuple(p["replicas"]), tuple(p["isr"]))
        for t in described
        for p in t["partitions"]
    ]


async def min_insync_replicas(bootstrap: str, topics: list[str]) -> dict[str, str]:
    """Each topic's ``min.insync.replicas``, as the brokers hold it."""
    wanted = [ConfigResource(ConfigResourceType.TOPIC, t, {"min.insync.replicas": None}) for t in topics]
    async with _admin(bootstrap) as admin:
        responses = await admin.describe_configs(wanted)
    return {
        resource["resource_name"]: entry["config_value"]
        for response in responses
        for resource in response.to_object()["resources"]
        for entry in resource["config_entries"]
        if entry["config_names"] == "min.insync.replicas"
    }


async def transaction_coordinator(bootstrap: str, transactional_id: str) -> int:
    """The broker that coordinates the writer's transactions."""
    async with _admin(bootstrap) as admin:
        return int(await admin.find_coordinator(transactional_id, coordinator_type=1))


def busiest_leader(placed: list[Placement]) -> tuple[int, list[str]]:
    """The broker leading the most partitions, and which (the lowest id among equals)."""
    led = Counter(p.leader for p in placed)
    broker = min(led, key=lambda b: (-led[b], b))
    return broker, sorted(f"{p.topic.rpartition('.')[2]}/{p.partition}" for p in placed if p.leader == broker)
