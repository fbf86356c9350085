"""How durable the log's topics are on Kafka, and the floor the writer holds them to.

Topics take the cluster's replication factor and ``min.insync.replicas`` unless
``LEDGER_REPLICATION_FACTOR`` / ``LEDGER_MIN_INSYNC_REPLICAS`` name them, and then the
setting is the topic's own. On the session's single broker every topic keeps one in-sync
copy, so ``LEDGER_MIN_INSYNC_FLOOR=2`` refuses the writer: one process stays up, answers
commands with 503 and ``Retry-After``, is not ready, says which topic and both numbers, and
appends nothing; ``ledger writer`` exits 1 after one line saying the same. The default floor
of 1 takes the very same topics.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from pydantic import SecretStr

from ledger.app import WRITER, create_app
from ledger.log import kafka_clients
from ledger.log.kafka import KafkaLog
from ledger.log.kafka_connection import KafkaConnection
from ledger.log.topology import Topology
from ledger.writer import role, service
from ledger.writer.role import UNUSABLE, run_writer
from ledger.writer.state import Status
from tests.http.conftest import ADMIN_TOKEN, Api, serve, settings_for
from tests.http.logs import appends_nothing
from tests.support.admin_token import admin_holds
from tests.support.logs import captured, named

pytestmark = [pytest.mark.kafka]

TOPIC_OWN = 1  # DescribeConfigs' config_source: DYNAMIC_TOPIC_CONFIG, a setting of the topic itself
WAREHOUSE = {"location_id": "WH-D", "name": "Durable", "kind": "warehouse"}


async def described(bootstrap: str, topic: str) -> tuple[int, str, int]:
    """The topic's replica count, and its ``min.insync.replicas`` with where that comes from."""
    admin = kafka_clients.admin(KafkaConnection(bootstrap))
    await admin.start()
    try:
        [found] = await admin.describe_topics([topic])
        [response] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, {"min.insync.replicas": None})]
        )
    finally:
        await admin.close()
    [(_, _, _, _, [(_, value, _, source, *_)])] = response.resources
    return len(found["partitions"][0]["replicas"]), value, source


async def test_topics_take_the_clusters_durability_unless_the_settings_name_it(
    kafka_bootstrap: str, prefix: str
) -> None:
    defaults = KafkaLog(kafka_bootstrap, Topology(f"{prefix}a", 1))
    named_ = KafkaLog(kafka_bootstrap, Topology(f"{prefix}b", 1), replication_factor=1, min_insync_replicas=1)
    for log in (defaults, named_):
        await log.start()
        await log.close()

    replicas, value, source = await described(kafka_bootstrap, f"{prefix}a.sales")
    assert (replicas, value) == (1, "1")  # the broker's default.replication.factor and min.insync.replicas
    assert source != TOPIC_OWN, "unset, min.insync.replicas must stay the cluster's"
    assert await described(kafka_bootstrap, f"{prefix}b.sales") == (1, "1", TOPIC_OWN)


async def test_one_process_below_the_floor_refuses_every_command_names_the_topic_and_appends_nothing(
    request: pytest.FixtureRequest, prefix: str, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for("kafka", request, prefix, min_insync_floor=2)
    await admin_holds(ADMIN_TOKEN, settings, pg_dsn)
    with captured(monkeypatch, service) as events:
        client = await serve(create_app(settings))
    api = Api(client, ADMIN_TOKEN)
    try:
        assert client.app[WRITER].status is Status.REFUSED
        async with appends_nothing(api):
            status, problem = await api.command("register-location", WAREHOUSE)
            assert status == 503, problem
            async with client.get("/readyz") as response:
                assert response.status == 503
                ready = await response.json()
            async with client.post(
                "/v1/commands/register-location", json=WAREHOUSE, headers=api.headers()
            ) as response:
                assert response.headers["Retry-After"] == "1"
    finally:
        await client.close()
    assert ready["writer"] == "refused"
    assert_names_topic_and_numbers(ready["writer_problem"], prefix)
    assert_names_topic_and_numbers(problem["detail"], prefix)
    [line] = named(events, "writer_refused")
    assert_names_topic_and_numbers(line["reason"], prefix)

    client = await serve(create_app(settings_for("kafka", request, prefix)))  # the default floor: 1
    try:
        assert (await Api(client, ADMIN_TOKEN).command("register-location", WAREHOUSE))[0] == 201
    finally:
        await client.close()


async def test_ledger_writer_below_the_floor_exits_1_saying_why(
    request: pytest.FixtureRequest, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(
        "kafka",
        request,
        prefix,
        min_insync_floor=2,
        internal_secret=SecretStr("internal-secret-for-tests-0123"),
        data_dir=tmp_path,
    )
    with captured(monkeypatch, role) as events:
        async with asyncio.timeout(60):
            assert await run_writer(settings, asyncio.Event().wait()) == UNUSABLE
    [line] = named(events, "writer_refused_exiting")
    assert_names_topic_and_numbers(line["problem"], prefix)


def assert_names_topic_and_numbers(text: Any, prefix: str) -> None:
    assert f"topic {prefix}." in text, text
    assert "min.insync.replicas=1" in text, text
    assert "LEDGER_MIN_INSYNC_FLOOR=2" in text, text
