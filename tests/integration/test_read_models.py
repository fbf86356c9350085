"""``DatabaseReadModels`` against the real PostgreSQL, driven by the bookkeeping a projector uses.

What a projector commits (a live row, a checkpoint under its epoch, announced) is heard by the
read models of any process: the position when its token fits in a NOTIFY payload, read from
the table when it does not, and a change of the live tables with the position that goes with
them. Nothing of another log is taken for this one's.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import asyncpg
import pytest

from ledger.log import Position, TopicPartition
from ledger.projector import bookkeeping
from ledger.projector.stats import projector_key
from ledger.readmodels import DatabaseReadModels
from projections.inventory import PROJECTION as INVENTORY

pytestmark = [pytest.mark.postgres]


@pytest.fixture
async def models(db: asyncpg.Pool, pg_dsn: str, prefix: str) -> AsyncIterator[DatabaseReadModels]:
    read_models = DatabaseReadModels(pg_dsn, db, prefix, [INVENTORY])
    await read_models.start()
    yield read_models
    await read_models.close()


def inventory_at(prefix: str, partitions: int, seed: int) -> Position:
    rnd = random.Random(seed)
    return Position(
        {TopicPartition(f"{prefix}.inventory", p): rnd.randrange(1, 2**40) for p in range(partitions)}
    )


async def commit(db: asyncpg.Pool, key: str, position: Position, epoch: int) -> None:
    async with db.acquire() as conn, conn.transaction():
        await bookkeeping.save_checkpoint(conn, key, position, epoch, announce=True)


async def test_positions_are_heard_from_the_payload_or_read_when_too_long_for_it(
    models: DatabaseReadModels, db: asyncpg.Pool, prefix: str
) -> None:
    key = projector_key(prefix, "inventory", INVENTORY.version)
    async with db.acquire() as conn:
        epoch = await bookkeeping.claim(conn, key, "a-log")
        await bookkeeping.set_live(conn, f"{prefix}:inventory", "rm_somewhere", INVENTORY.version)
    async with asyncio.timeout(5):
        while models.schema("inventory") != "rm_somewhere":
            await asyncio.sleep(0.02)

    short = inventory_at(prefix, 2, 1)
    await commit(db, key, short, epoch)
    assert await models.wait_for("inventory", short, 5)

    long = short.merge(inventory_at(prefix, 2048, 2))
    assert len(key) + len(long.token()) > 8000  # no NOTIFY payload holds it: the key alone is sent
    await commit(db, key, long, epoch)
    assert await models.wait_for("inventory", long, 5)
    assert models.position("inventory").token() == long.token()

    other = projector_key(f"{prefix}x", "inventory", INVENTORY.version)  # another log's projector
    async with db.acquire() as conn:
        other_epoch = await bookkeeping.claim(conn, other, "b-log")
    await commit(db, other, long.merge(inventory_at(prefix, 2048, 3)), other_epoch)
    await asyncio.sleep(0.3)
    assert models.position("inventory").token() == long.token()


async def test_a_new_live_row_comes_with_the_position_of_its_tables(
    models: DatabaseReadModels, db: asyncpg.Pool, prefix: str
) -> None:
    live_name, key = f"{prefix}:inventory", projector_key(prefix, "inventory", INVENTORY.version)
    scratch = projector_key(prefix, "inventory", INVENTORY.version, "rebuilt")
    async with db.acquire() as conn:
        epoch = await bookkeeping.claim(conn, key, "a-log")
        await bookkeeping.set_live(conn, live_name, "rm_old", INVENTORY.version)
        rebuilt_epoch = await bookkeeping.claim(conn, scratch, "a-log")
    await commit(db, key, inventory_at(prefix, 2, 5), epoch)
    ahead = inventory_at(prefix, 2, 6).merge(inventory_at(prefix, 2, 5))
    async with db.acquire() as conn:
        await bookkeeping.save_checkpoint(conn, scratch, ahead, rebuilt_epoch)  # not announced: scratch
        async with conn.transaction():
            await bookkeeping.hand_over(conn, live_name, "rm_new", INVENTORY.version, scratch, key, epoch)
    async with asyncio.timeout(5):
        while models.schema("inventory") != "rm_new":
            await asyncio.sleep(0.02)
    assert models.position("inventory").token() == ahead.token()  # the schema and its position together
