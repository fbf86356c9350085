"""``ledger replay`` of the customers read model on both logs: the customers history written by
the real writer across four topics, projected live, then rebuilt from the log. The rebuild
equals the live tables; a live row gone missing is a difference the comparison names; a
swapped-in rebuild puts it back.
"""

from __future__ import annotations

import asyncpg
import pytest
from pydantic import SecretStr

from ledger.audit.replay import replay
from ledger.config import Settings
from ledger.projector import ProjectorRuntime
from ledger.store import q, schema_name
from ledger.writer import Writer
from projections.customers import PROJECTION
from tests.support.commands import request as command_request
from tests.support.customers_history import HISTORY
from tests.support.failing import caught_up

from .conftest import LogFactory

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


class Quiet:
    """A meter that shows nothing."""

    def start(self, what: str, total: int) -> None:
        pass

    def update(self, done: int) -> None:
        pass

    def stop(self) -> None:
        pass


def _settings(fixtures: pytest.FixtureRequest, pg_dsn: str, prefix: str) -> Settings:
    values: dict[str, object] = {
        "database_url": SecretStr(pg_dsn),
        "topic_prefix": prefix,
        "partitions": 2,
        "log_timeout_s": 5.0,
    }
    if fixtures.node.callspec.params.get("make_log") == "kafka":
        values["kafka_bootstrap"] = fixtures.getfixturevalue("kafka_bootstrap")
    return Settings(**values)


async def test_replay_compares_equal_to_the_live_tables_and_names_a_row_gone_missing(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str, pg_dsn: str, request: pytest.FixtureRequest
) -> None:
    log = await make_log()
    writer = Writer(log)
    await writer.start()
    try:
        for name, body in HISTORY:
            await writer.submit(command_request(name, body))
    finally:
        await writer.stop()
    live = ProjectorRuntime(log, db, [PROJECTION], prefix)
    await live.start()
    try:
        await caught_up(live, writer.position)
    finally:
        await live.stop()
    schema = schema_name(prefix, PROJECTION.name, PROJECTION.version)
    async with db.acquire() as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {q(schema, 'follow_ups')}") == 11
        assert await conn.fetchval(f"SELECT count(*) FROM {q(schema, 'order_moves')}") == 9
        assert await conn.fetchval(f"SELECT count(*) FROM {q(schema, 'complaint_turns')}") == 3
    settings = _settings(request, pg_dsn, prefix)

    [compared] = await replay(settings, [PROJECTION], compare=True, source=None, meter=Quiet())
    assert (compared.projection, compared.equal, compared.parked_count) == ("customers", True, 0)

    async with db.acquire() as conn:
        await conn.execute(f"DELETE FROM {q(schema, 'follow_ups')} WHERE follow_up_id = 'FU-2'")
    [compared] = await replay(settings, [PROJECTION], compare=True, source=None, meter=Quiet())
    assert not compared.equal
    assert "follow_ups" in repr(compared.differences)

    [swapped] = await replay(settings, [PROJECTION], compare=False, source=None, meter=Quiet())
    assert swapped.replaced == schema != swapped.schema
    [again] = await replay(settings, [PROJECTION], compare=True, source=None, meter=Quiet())
    assert again.equal, again.differences[:3]
    async with db.acquire() as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {q(swapped.schema, 'follow_ups')}") == 11
