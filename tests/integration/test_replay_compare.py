"""``ledger replay --compare`` of each read model added since v1.1, on both logs: a history
written by the real writer, projected live, then rebuilt from the log. The rebuild equals the
live tables; a live row gone missing is a difference the comparison names by its table; a
swapped-in rebuild puts it back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from pydantic import SecretStr

import projections
from ledger.audit.replay import replay
from ledger.config import Settings
from ledger.projector import ProjectorRuntime
from ledger.store import Projection, q, schema_name
from ledger.writer import Writer
from tests.support.commands import request as command_request
from tests.support.customers_history import HISTORY as CUSTOMERS
from tests.support.failing import caught_up
from tests.support.marketing_history import HISTORY as MARKETING
from tests.support.plans_story import PLAN
from tests.support.purchasing_story import STORY as PURCHASING

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


@dataclass(frozen=True)
class Case:
    projection: str
    history: Sequence[tuple[str, Mapping[str, Any]]]
    rows: Mapping[str, int]
    """Rows the live tables hold after the history, by table (``table`` among them)."""
    table: str
    gone: str
    """A WHERE clause on ``table`` that deletes some rows, which the rebuild puts back."""


CASES = [
    Case(
        "purchasing",
        PURCHASING,
        {"receipts": 7, "inspections": 4, "cancelled_lines": 2},
        "cancelled_lines",
        "line_no = 2",
    ),
    Case("marketing", MARKETING, {"lead_steps": 7, "cancellations": 2}, "lead_steps", "kind = 'won'"),
    Case(
        "customers",
        CUSTOMERS,
        {"follow_ups": 11, "order_moves": 9, "complaint_turns": 3},
        "follow_ups",
        "follow_up_id = 'FU-2'",
    ),
    Case("sales", PLAN, {"objective_events": len(PLAN)}, "objective_events", "retired"),
]


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


def _projection(name: str) -> Projection:
    return next(p for p in projections.ALL if p.name == name)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.projection)
async def test_replay_compares_equal_to_the_live_tables_and_names_a_row_gone_missing(
    case: Case,
    make_log: LogFactory,
    db: asyncpg.Pool,
    prefix: str,
    pg_dsn: str,
    request: pytest.FixtureRequest,
) -> None:
    projection = _projection(case.projection)
    log = await make_log()
    writer = Writer(log)
    await writer.start()
    try:
        for name, body in case.history:
            await writer.submit(command_request(name, body))
    finally:
        await writer.stop()
    live = ProjectorRuntime(log, db, [projection], prefix)
    await live.start()
    try:
        await caught_up(live, writer.position)
    finally:
        await live.stop()
    schema = schema_name(prefix, projection.name, projection.version)
    async with db.acquire() as conn:
        for table, count in case.rows.items():
            assert await conn.fetchval(f"SELECT count(*) FROM {q(schema, table)}") == count, table
    settings = _settings(request, pg_dsn, prefix)

    [compared] = await replay(settings, [projection], compare=True, source=None, meter=Quiet())
    assert (compared.projection, compared.equal, compared.parked_count) == (case.projection, True, 0)

    async with db.acquire() as conn:
        deleted = await conn.execute(f"DELETE FROM {q(schema, case.table)} WHERE {case.gone}")
    assert deleted != "DELETE 0"
    [compared] = await replay(settings, [projection], compare=True, source=None, meter=Quiet())
    assert not compared.equal
    assert case.table in repr(compared.differences)

    [swapped] = await replay(settings, [projection], compare=False, source=None, meter=Quiet())
    assert swapped.replaced == schema != swapped.schema
    [again] = await replay(settings, [projection], compare=True, source=None, meter=Quiet())
    assert again.equal, again.differences[:3]
    async with db.acquire() as conn:
        restored = await conn.fetchval(f"SELECT count(*) FROM {q(swapped.schema, case.table)}")
    assert restored == case.rows[case.table]
