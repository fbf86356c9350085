"""Is a shorter wait after CONCURRENT_TRANSACTIONS worth setting? ``python -m bench.txn_backoff``.

Back-to-back transactions of one record each, as the writer's group commits run under a
stream of single commands, timed with aiokafka's own wait (20 ms) and with the writer's
default (``LEDGER_KAFKA_TRANSACTION_BACKOFF_MS``, 2 ms), on a fresh local broker (or
``LEDGER_BENCH_KAFKA_BOOTSTRAP``). Prints the median and p90 of each, in milliseconds.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka.admin import NewTopic

from bench.infra import _kafka
from ledger.log import kafka_clients
from ledger.log.kafka_connection import KafkaConnection
from ledger.log.kafka_writer import shorten_transaction_backoff

AIOKAFKA_WAIT = 0.020
OURS = 0.002


async def _times(bootstrap: str, topic: str, wait: float, count: int) -> list[float]:
    shorten_transaction_backoff(wait)
    producer = kafka_clients.producer(
        KafkaConnection(bootstrap), transactional_id=f"{topic}.{wait}", enable_idempotence=True, acks="all"
    )
    await producer.start()
    taken: list[float] = []
    try:
        for i in range(count):
            began = time.perf_counter()
            await producer.begin_transaction()
            await producer.send_and_wait(topic, value=str(i).encode(), partition=0)
            await producer.commit_transaction()
            taken.append((time.perf_counter() - began) * 1000)
    finally:
        await producer.stop()
    return taken[count // 10 :]  # the first ones find the coordinator and warm up


async def _measure(bootstrap: str, count: int) -> dict[float, list[float]]:
    topic = f"btxn{uuid.uuid4().hex[:8]}"
    admin = kafka_clients.admin(KafkaConnection(bootstrap))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    return {wait: await _times(bootstrap, topic, wait, count) for wait in (AIOKAFKA_WAIT, OURS)}


def main(count: int = 1000) -> None:
    with tempfile.TemporaryDirectory() as workdir, _kafka(Path(workdir)) as (bootstrap, _):
        results = asyncio.run(_measure(bootstrap, count))
    for wait, taken in results.items():
        p90 = statistics.quantiles(taken, n=10)[-1]
        print(f"wait {wait * 1000:g} ms: median {statistics.median(taken):.1f} ms, p90 {p90:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
