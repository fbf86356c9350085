"""``ledger replay`` of the plan's objectives (tables of the sales read model) on both logs: the
plan written by the real writer, projected live, then rebuilt from the log. The rebuild
equals the live table; a live row gone missing is a difference the comparison names; a
swapped-in rebuild puts it back.
"""

from __future__ import annotations

import asyncpg
import pytest

from ledger.audit.replay import replay
from ledger.projector import ProjectorRuntime
from ledger.store import q, schema_name
from ledger.writer import Writer
from projections.sales import PROJECTION
from tests.support.commands import request as command_request
from tests.support.failing import caught_up
from tests.support.plans_story import PLAN

from .conftest import LogFactory
from .test_purchasing_replay import Quiet, _settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_replay_compares_equal_to_the_live_tables_and_names_a_row_gone_missing(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str, pg_dsn: str, request: pytest.FixtureRequest
) -> None:
    log = await make_log()
    writer = Writer(log)
    await writer.start()
    try:
        for name, body in PLAN:
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
        assert await conn.fetchval(f"SELECT count(*) FROM {q(schema, 'objective_events')}") == len(PLAN)
    settings = _settings(request, pg_dsn, prefix)

    [compared] = await replay(settings, [PROJECTION], compare=True, source=None, meter=Quiet())
    assert (compared.projection, compared.equal, compared.parked_count) == ("sales", True, 0)

    async with db.acquire() as conn:
        await conn.execute(f"DELETE FROM {q(schema, 'objective_events')} WHERE retired")
    [compared] = await replay(settings, [PROJECTION], compare=True, source=None, meter=Quiet())
    assert not compared.equal
    assert "objective_events" in repr(compared.differences)

    [swapped] = await replay(settings, [PROJECTION], compare=False, source=None, meter=Quiet())
    assert swapped.replaced == schema != swapped.schema
    [again] = await replay(settings, [PROJECTION], compare=True, source=None, meter=Quiet())
    assert again.equal, again.differences[:3]
    async with db.acquire() as conn:
        assert (
            await conn.fetchval(f"SELECT count(*) FROM {q(swapped.schema, 'objective_events')} WHERE retired")
            == 2
        )
