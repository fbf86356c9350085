"""A read of several read models at once (the plan's scorecard): the position it reflects is,
per partition, the least of the positions of the models that read that partition's topic,
so the answer's ``X-Ledger-Position`` is never ahead of the rows of any of them; a topic one
of them reads but has not reached yet counts as offset 0."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from ledger.log import Position, TopicPartition
from ledger.projector import bookkeeping
from ledger.projector.stats import projector_key
from ledger.readmodels import DatabaseReadModels
from projections.marketing import PROJECTION as MARKETING
from projections.sales import PROJECTION as SALES

pytestmark = [pytest.mark.postgres]


@pytest.fixture
async def models(db: asyncpg.Pool, pg_dsn: str, prefix: str) -> AsyncIterator[DatabaseReadModels]:
    read_models = DatabaseReadModels(pg_dsn, db, prefix, [SALES, MARKETING])
    await read_models.start()
    yield read_models
    await read_models.close()


async def test_the_position_of_several_is_the_least_of_those_that_read_each_topic(
    models: DatabaseReadModels, db: asyncpg.Pool, prefix: str
) -> None:
    def at(**offsets: int) -> Position:
        return Position(
            {TopicPartition(f"{prefix}.{name[:-2]}", int(name[-1])): o for name, o in offsets.items()}
        )

    sales = at(planning_0=5, planning_1=9, sales_0=10, sales_1=7)
    marketing = at(sales_0=3, marketing_0=4)
    for projection, position in ((SALES, sales), (MARKETING, marketing)):
        key = projector_key(prefix, projection.name, projection.version)
        async with db.acquire() as conn:
            epoch = await bookkeeping.claim(conn, key, "a-log")
            await bookkeeping.set_live(
                conn, f"{prefix}:{projection.name}", f"rm_{projection.name}", projection.version
            )
            async with conn.transaction():
                await bookkeeping.save_checkpoint(conn, key, position, epoch, announce=True)
    async with asyncio.timeout(5):
        while not (models.position("sales") == sales and models.position("marketing") == marketing):
            await asyncio.sleep(0.02)

    together = models.position_of(["marketing", "sales"])
    # Sales alone reads planning, marketing alone its own topic; both read sales, where
    # marketing is behind (and has not reached partition 1 at all).
    assert together == at(planning_0=5, planning_1=9, sales_0=3, sales_1=0, marketing_0=4)
    assert models.position_of(["sales"]) == sales
    assert all(together.get_offset(tp) <= offset for tp, offset in marketing.items())
    assert await models.wait_for("marketing", at(sales_0=3), 1)
    assert not await models.wait_for("marketing", at(sales_1=1), 0.2)
