"""The log contract's harness: each backend, a way to make a fresh log of it, and its faults.

The same test module runs against every harness here, so both backends keep one contract.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from ledger.envelope import Envelope
from ledger.log import EventLog
from ledger.log.kafka import KafkaLog
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology
from tests.support.faultproxy import (
    FaultProxy,
    Predicate,
    contains,
    free_port,
    kafka_api,
    postgres_upstream,
    postgres_via,
)
from tests.support.fresh_logs import delete_log_topics

PARTITIONS = 2


@dataclass
class Harness:
    """One backend under test: builds logs on a prefix of the test's own, and breaks them."""

    name: str
    build: Callable[[str, bool], EventLog]
    proxy: FaultProxy | None
    lose_append_reply: Predicate
    poison: Callable[[Envelope], Envelope]
    drop: Callable[[str], Awaitable[None]]  # delete the log of a prefix, so the next one there is new
    logs: list[EventLog] = field(default_factory=list)

    async def log(self, prefix: str, *, through_proxy: bool = False) -> EventLog:
        log = self.build(prefix, through_proxy)
        await log.start()
        self.logs.append(log)
        return log

    async def close(self) -> None:
        for log in self.logs:
            await log.close()
        if self.proxy is not None:
            await self.proxy.stop()


def _pg_harness(dsn: str) -> Harness:
    port = free_port()
    proxied = postgres_via(dsn, port)

    def build(prefix: str, through_proxy: bool) -> EventLog:
        return PostgresLog(proxied if through_proxy else dsn, Topology(prefix, PARTITIONS), timeout=5)

    async def drop(prefix: str) -> None:
        log = PostgresLog(dsn, Topology(prefix, PARTITIONS), timeout=5)
        await log.start()
        try:
            await log.discard()
        finally:
            await log.close()

    return Harness(
        name="postgres",
        build=build,
        proxy=FaultProxy(port, postgres_upstream(dsn)),
        lose_append_reply=contains(b"COMMIT"),
        # jsonb refuses NUL: the last event of a batch fails after the others were written
        poison=lambda e: replace(e, stream=e.stream + "\x00").sealed(),
        drop=drop,
    )


def _kafka_harness(bootstrap: str, cluster: Any) -> Harness:
    proxy = None
    proxy_bootstrap = bootstrap
    if cluster is not None:
        node = cluster.nodes[0]
        proxy = FaultProxy(node.proxy_port, ("127.0.0.1", node.proxied_port), kafka_framing=True)
        proxy_bootstrap = cluster.proxy_bootstrap

    def build(prefix: str, through_proxy: bool) -> EventLog:
        return KafkaLog(
            proxy_bootstrap if through_proxy else bootstrap, Topology(prefix, PARTITIONS), timeout=10
        )

    return Harness(
        name="kafka",
        build=build,
        proxy=proxy,
        lose_append_reply=kafka_api(0),
        # over the producer's request size: the earlier sends of the transaction are aborted
        poison=lambda e: replace(e, data={"blob": "x" * (9 << 20)}).sealed(),
        drop=lambda prefix: delete_log_topics(bootstrap, prefix),
    )


@pytest.fixture(params=["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    if request.param == "postgres":
        h = _pg_harness(request.getfixturevalue("pg_dsn"))
    else:
        h = _kafka_harness(
            request.getfixturevalue("kafka_bootstrap"), request.getfixturevalue("kafka_cluster")
        )
    if h.proxy is not None:
        await h.proxy.start()
    yield h
    await h.close()
