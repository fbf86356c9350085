"""Deleting a log, so that a test can make a fresh log under the same prefix (as an operator
would before ``ledger import``): on Kafka its topics, on PostgreSQL its rows."""

from __future__ import annotations

import asyncio
import time

from aiokafka.admin import AIOKafkaAdminClient

from ledger.log import EventLog
from ledger.log.kafka import KafkaLog
from ledger.log.postgres import PostgresLog


async def delete_log_topics(bootstrap: str, prefix: str, *, timeout: float = 30.0) -> None:
    """Delete every topic of the log named ``prefix`` (areas and meta) and wait until they are gone.

    Kafka deletes topics in the background: creating one again too early fails, so this waits
    until the broker no longer lists any of them.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(f"{prefix}.")]
        if mine:
            await admin.delete_topics(mine)
        deadline = time.monotonic() + timeout
        while any(t.startswith(f"{prefix}.") for t in await admin.list_topics()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the topics of {prefix} were not deleted within {timeout} s")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def drop_log(log: EventLog, prefix: str) -> None:
    """Delete the log ``log`` (named ``prefix``): the next one started there is a new log."""
    if isinstance(log, PostgresLog):
        await log.discard()
    else:
        assert isinstance(log, KafkaLog)
        await delete_log_topics(log.bootstrap, prefix)
