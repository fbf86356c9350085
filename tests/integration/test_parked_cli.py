"""``ledger parked list|retry|release`` on both logs and a real PostgreSQL.

A company history goes through the real writer; the inventory read model is projected by a
real runtime whose projection cannot take one stream (``Poisoned``), which parks the
stream's messages. The cause is then fixed and the stream retried through the CLI, with
the projector running (it carries the retry out between two batches) or with none running
(the CLI does it under the exclusive lock): the tables end equal to a clean rebuild, and
the stream's later messages flow. A release drops the parked messages unapplied.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence

import asyncpg
import orjson
import pytest
import structlog

from ledger.cli import main
from ledger.projector import ProjectorRuntime, bookkeeping
from ledger.projector.runtime import projector_key
from ledger.store import Connection, Fact, Projection
from projections.inventory import PROJECTION as INVENTORY
from tests.support.failing import (
    LOCATION,
    SKU,
    STREAM,
    Poisoned,
    caught_up,
    differences_from_a_clean_rebuild,
    load_history,
    park_a_stream,
    parked,
    receive,
)

from .conftest import LogFactory

pytestmark = [pytest.mark.postgres]

Cli = Callable[..., Awaitable[tuple[int, list[str], str]]]


@pytest.fixture
def cli(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, pg_dsn: str, prefix: str
) -> Iterator[Cli]:
    """``ledger ...`` on this test's log, in a thread: the projector under test shares this loop."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", pg_dsn)
    monkeypatch.setenv("LEDGER_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("LEDGER_PARTITIONS", "2")
    if request.node.callspec.params.get("make_log") == "kafka":
        monkeypatch.setenv("LEDGER_KAFKA_BOOTSTRAP", request.getfixturevalue("kafka_bootstrap"))
    else:
        monkeypatch.delenv("LEDGER_KAFKA_BOOTSTRAP", raising=False)
    capsys: pytest.CaptureFixture[str] = request.getfixturevalue("capsys")

    async def run(*argv: str) -> tuple[int, list[str], str]:
        capsys.readouterr()
        status = await asyncio.to_thread(main, list(argv))
        captured = capsys.readouterr()
        return status, captured.out.splitlines(), captured.err

    yield run
    structlog.reset_defaults()  # the CLI configured logging for its process; tests share one


async def asks(db: asyncpg.Pool, prefix: str) -> list[asyncpg.Record]:
    async with db.acquire() as conn:
        return await conn.fetch(
            f"SELECT requested_by, outcome::text AS outcome FROM {bookkeeping.SCHEMA}.parked_actions "
            "WHERE projector = $1 ORDER BY id",
            projector_key(prefix, "inventory", INVENTORY.version),
        )


async def test_a_stream_retried_through_the_cli_beside_its_projector_ends_equal_to_a_clean_rebuild(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str, cli: Cli
) -> None:
    log = await make_log()
    writer = await load_history(log)
    poisoned = Poisoned(INVENTORY)
    runtime = ProjectorRuntime(log, db, [poisoned], prefix, batch_size=200)
    await runtime.start()
    try:
        await caught_up(runtime, writer.position)
        rows = await parked(db, runtime, "inventory")
        assert len(rows) > 3

        status, out, _ = await cli("parked", "list", "--projection", "inventory")
        assert status == 0
        assert len(out) == len(rows) + 1
        assert out[0].startswith(f"inventory: {rows[0].topic}[{rows[0].partition}]@{rows[0].offset} ")
        assert f" {STREAM} " in out[0]
        assert f"apply failed: Surprise('cannot take {STREAM} yet')" in out[0]
        assert out[-1] == f"parked: {len(rows)} messages"

        poisoned.error = LookupError  # not fixed yet: the stream stays parked, with the new reason
        status, out, _ = await cli("parked", "retry", "--projection", "inventory", "--stream", STREAM)
        assert status == 1
        reason = f"apply failed: LookupError('cannot take {STREAM} yet')"
        assert out[0] == f"inventory: {STREAM}: 0 applied, {len(rows)} still parked: {reason}"
        again = await parked(db, runtime, "inventory")
        assert [r.offset for r in again] == [r.offset for r in rows]
        assert again[0].reason == reason

        poisoned.broken = False  # the cause is fixed
        status, out, _ = await cli("parked", "retry", "--projection", "inventory", "--stream", STREAM)
        assert status == 0
        assert out[0] == f"inventory: {STREAM}: {len(rows)} applied"
        assert out[1].startswith(f"parked retry: {len(rows)} applied (by cli:")
        # Carried out by the running projector, which the CLI asked (it could not take the lock).
        [_, ask] = await asks(db, prefix)
        assert ask["requested_by"].startswith("cli:")
        assert orjson.loads(ask["outcome"])["applied"] == len(rows)
        assert runtime.stats()[0].parked == 0

        await receive(writer, "GRN-AFTER-RETRY")  # the stream's later messages flow
        await caught_up(runtime, writer.position)
        assert await parked(db, runtime, "inventory") == []
        live = runtime.schema("inventory")
        assert await differences_from_a_clean_rebuild(log, db, prefix, INVENTORY, live, writer.position) == []
    finally:
        await runtime.stop()
        await writer.stop()


async def test_a_stream_retried_through_the_cli_with_no_projector_running_is_retried_there(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str, cli: Cli
) -> None:
    log = await make_log()
    writer = await load_history(log)
    await writer.stop()
    at = writer.position
    rows = await park_a_stream(log, db, prefix, at)
    async with db.acquire() as conn:  # parked by an older release, which kept no record: read back
        await conn.execute(
            f"UPDATE {bookkeeping.SCHEMA}.parked SET record_key = NULL, header_names = NULL, "
            'header_values = NULL, record_value = NULL WHERE projector = $1 AND "offset" = $2',
            projector_key(prefix, "inventory", INVENTORY.version),
            rows[0].offset,
        )

    status, out, _ = await cli("parked", "retry")  # every read model, every stream
    assert status == 0
    assert out[0] == f"inventory: {STREAM}: {len(rows)} applied"
    assert await asks(db, prefix) == []  # nobody followed the projection: nobody was asked

    runtime = ProjectorRuntime(log, db, [INVENTORY], prefix)
    await runtime.start()
    try:
        await caught_up(runtime, at)
        assert runtime.stats()[0].parked == 0
        live = runtime.schema("inventory")
        assert await differences_from_a_clean_rebuild(log, db, prefix, INVENTORY, live, at) == []
    finally:
        await runtime.stop()


async def test_a_released_stream_drops_its_parked_messages_and_its_later_ones_flow(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str, cli: Cli
) -> None:
    log = await make_log()
    writer = await load_history(log)
    poisoned = Poisoned(INVENTORY)
    runtime = ProjectorRuntime(log, db, [poisoned], prefix, batch_size=200)
    await runtime.start()
    try:
        await caught_up(runtime, writer.position)
        rows = await parked(db, runtime, "inventory")
        assert rows[0].event_id is not None
        poisoned.only = {rows[0].event_id}  # that one event stays bad for good: drop it

        status, out, _ = await cli("parked", "release", "--stream", STREAM)
        assert status == 0
        assert out[0] == f"inventory: {STREAM}: {len(rows)} released"
        assert out[1].startswith(f"parked release: {len(rows)} released (by cli:")
        assert await parked(db, runtime, "inventory") == []

        await receive(writer, "GRN-AFTER-RELEASE", qty="7")
        await caught_up(runtime, writer.position)
        assert await parked(db, runtime, "inventory") == []
        async with db.acquire() as conn:
            level = await conn.fetchrow(
                f'SELECT on_hand, reserved FROM "{runtime.schema("inventory")}".levels '
                "WHERE sku = $1 AND location_id = $2",
                SKU,
                LOCATION,
            )
        assert (level["on_hand"], level["reserved"]) == (7, 0)  # only what came after the release
        live = runtime.schema("inventory")
        dropped = await differences_from_a_clean_rebuild(log, db, prefix, INVENTORY, live, writer.position)
        assert dropped  # the released messages are missing, as the operator decided
    finally:
        await runtime.stop()
        await writer.stop()


class OtherVersion:
    """The real inventory projection under another version number: an owner that runs other
    code takes no asks meant for this one."""

    def __init__(self, inner: Projection, version: int) -> None:
        self.inner, self.name, self.version, self.areas = inner, inner.name, version, inner.areas

    def ddl(self, schema: str) -> str:
        return self.inner.ddl(schema)

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        await self.inner.apply(conn, schema, facts)


@pytest.mark.parametrize("make_log", ["postgres"], indirect=True)
async def test_bad_input_exits_2_and_an_ask_its_owner_does_not_take_is_refused(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str, cli: Cli
) -> None:
    assert (await cli("parked", "retry", "--projection", "nope"))[0] == 2
    status, _, err = await cli("parked", "release")
    assert status == 2
    assert "release needs --projection or --stream" in err
    assert (await cli("parked", "list", "--stream", "a\x01b"))[0] == 2
    assert (await cli("parked", "retry", "--wait", "0"))[0] == 2
    status, out, _ = await cli("parked", "retry")
    assert (status, out) == (0, ["parked retry: nothing parked"])

    log = await make_log()
    writer = await load_history(log)
    await writer.stop()
    rows = await park_a_stream(log, db, prefix, writer.position)
    other = ProjectorRuntime(log, db, [OtherVersion(INVENTORY, INVENTORY.version + 1)], prefix)
    standby = ProjectorRuntime(log, db, [INVENTORY], prefix)
    await other.start()
    await standby.start()
    try:
        assert other.owns("inventory")
        assert not standby.owns("inventory")
        status, _, err = await cli("parked", "retry", "--projection", "inventory", "--wait", "1.5")
        assert status == 1
        assert "refused: the process owning inventory did not take the retry within 1.5 s" in err
        [ask] = await asks(db, prefix)
        assert orjson.loads(ask["outcome"]) == {"withdrawn": True}
        assert len(await parked(db, standby, "inventory")) == len(rows)
    finally:
        await standby.stop()
        await other.stop()
