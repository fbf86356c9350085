"""How durable the log's topics are: what new topics get from the cluster, and the floor the
writer holds them to.

Unless ``LEDGER_REPLICATION_FACTOR`` or ``LEDGER_MIN_INSYNC_REPLICAS`` says otherwise, a
topic the ledger creates takes the cluster's own ``default.replication.factor`` (read from a
broker: aiokafka's CreateTopics cannot ask for "the default") and no
``min.insync.replicas`` of its own, so the cluster's holds, now and after an operator changes it.

``acks=all`` means "every in-sync replica has it", which is one copy when a topic's
``min.insync.replicas`` is 1 and its followers have fallen behind. So before the writer
claims the log, every topic it writes must keep at least ``LEDGER_MIN_INSYNC_FLOOR``
in-sync copies (the topic's setting, else the cluster's); below that it refuses
(``LogRefused``), naming each topic and both numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from ledger.log.port import LogRefused, LogUnavailable

MIN_INSYNC = "min.insync.replicas"
DEFAULT_REPLICATION = "default.replication.factor"


async def default_replication(admin: AIOKafkaAdminClient) -> int:
    """The cluster's ``default.replication.factor``, as one of its brokers reports it."""
    cluster = await admin.describe_cluster()
    broker = min(b["node_id"] for b in cluster["brokers"])
    resource = ConfigResource(ConfigResourceType.BROKER, str(broker), {DEFAULT_REPLICATION: None})
    values = _values(await admin.describe_configs([resource]))
    return int(values[str(broker)][DEFAULT_REPLICATION])


async def min_insync(admin: AIOKafkaAdminClient, topics: Sequence[str]) -> dict[str, int]:
    """Each topic's effective ``min.insync.replicas``: its own, else the cluster's."""
    resources = [ConfigResource(ConfigResourceType.TOPIC, t, {MIN_INSYNC: None}) for t in topics]
    values = _values(await admin.describe_configs(resources))
    return {t: int(values[t][MIN_INSYNC]) for t in topics}


async def require_floor(admin: AIOKafkaAdminClient, topics: Sequence[str], floor: int) -> None:
    """Raise ``LogRefused`` when a topic of ``topics`` keeps fewer in-sync copies than ``floor``."""
    if floor <= 1:  # every topic keeps at least one: nothing to ask the cluster
        return
    low = {t: n for t, n in (await min_insync(admin, topics)).items() if n < floor}
    if low:
        first, n = next(iter(low.items()))
        others = [f"{t} ({m})" for t, m in low.items() if t != first]
        also = f"; so do {', '.join(others)}" if others else ""
        raise LogRefused(
            f"the writer refuses the log: topic {first} has {MIN_INSYNC}={n}, below "
            f"LEDGER_MIN_INSYNC_FLOOR={floor}{also}. Raise the topics' {MIN_INSYNC} or lower the floor"
        )


def _values(responses: list[Any]) -> dict[str, dict[str, str]]:
    """The config values of DescribeConfigs answers, by resource name then config name."""
    found: dict[str, dict[str, str]] = {}
    for response in responses:
        for error_code, error_message, _, name, entries, *_ in response.resources:
            if error_code:
                raise LogUnavailable(
                    f"the settings of {name} could not be read: {error_message} ({error_code})"
                )
            found[name] = {entry[0]: entry[1] for entry in entries}
    return found
