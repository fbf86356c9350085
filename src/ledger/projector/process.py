"""Projectors on their own, without HTTP or the writer: ``ledger project [--projection NAME ...]``.

A read-side process that follows the log into the projections it is given (all of them by
default) until SIGTERM and then finishes the batch in hand. It shares nothing with the
serving processes but the log and the database, so it can run elsewhere, and it can be
killed at any moment without losing or doubling a row. ``ledger serve`` runs several, the
projections spread over them, so that each projection is followed by one process.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

import projections
from ledger import bootstrap
from ledger.config import Settings
from ledger.lifetime import until_stopped
from ledger.metrics import Metrics
from ledger.store import Projection

log = structlog.get_logger("ledger.project")


async def run_projectors(
    settings: Settings, chosen: Sequence[Projection] = projections.ALL, *, scratch: str = ""
) -> None:
    pools = bootstrap.plan("projector", settings, projections_owned=len(chosen))
    async with (
        bootstrap.database(settings) as dsn,
        bootstrap.event_log(settings, dsn, pools) as event_log,
        bootstrap.main_pool(dsn, settings, pools) as db,
        bootstrap.projector_runtime(settings, event_log, db, Metrics(), chosen, scratch=scratch),
    ):
        log.info("projectors_running", projections=[p.name for p in chosen], scratch=scratch)
        await until_stopped()
    log.info("projectors_stopped")
