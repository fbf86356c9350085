"""Projector lag and parked messages on ``/metrics`` are the owner's figures, on both logs.

Under ``ledger serve`` every process writes its gauges to files of its own and ``/metrics``
shows the largest live value of each (``livemax``); in one process, two runtimes that share
the metrics share the values. Either way a process standing by for a projection, or a
scratch rebuild of it, must not put its own lag (the whole log, from where it stands) in the
owner's place, and an owner that starts on parked messages left by its predecessor shows
them from the start, before it parks anything itself.
"""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from ledger.metrics import Metrics
from ledger.projector import ProjectorRuntime
from projections.inventory import PROJECTION as INVENTORY
from tests.support.failing import caught_up, load_history, park_a_stream

from .conftest import LogFactory

pytestmark = [pytest.mark.postgres]


def gauge(metrics: Metrics, name: str) -> float | None:
    return metrics.registry.get_sample_value(name, {"projection": "inventory"})


async def test_lag_and_parked_are_the_owners_whoever_else_follows_the_projection(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str
) -> None:
    log = await make_log()
    writer = await load_history(log)
    try:
        rows = await park_a_stream(log, db, prefix, writer.position)
        metrics = Metrics()
        owner = ProjectorRuntime(log, db, [INVENTORY], prefix, metrics=metrics)
        await owner.start()
        try:
            await caught_up(owner, writer.position)
            assert gauge(metrics, "ledger_projector_parked") == len(rows)  # read back, not parked anew
            assert gauge(metrics, "ledger_projector_lag_events") == 0
            assert gauge(metrics, "ledger_projector_events_total") is not None

            standing_by = Metrics()
            standby = ProjectorRuntime(log, db, [INVENTORY], prefix, metrics=standing_by)
            await standby.start()
            try:
                await standby.refresh_end()
                assert not standby.owns("inventory")
                assert gauge(standing_by, "ledger_projector_lag_events") == 0
                assert gauge(standing_by, "ledger_projector_parked") == 0
            finally:
                await standby.stop()

            scratch = ProjectorRuntime(
                log, db, [INVENTORY], prefix, metrics=metrics, scratch=uuid.uuid4().hex[:6]
            )
            assert scratch.position("inventory").lag_behind(await log.end_position()) > 500
            await scratch.refresh_end()  # where it stands: nowhere yet
            assert gauge(metrics, "ledger_projector_lag_events") == 0
            assert gauge(metrics, "ledger_projector_parked") == len(rows)
        finally:
            await owner.stop()
    finally:
        await writer.stop()
