"""The projector role: ``ledger project [--projection NAME ...]``.

A process that follows the log into the read models it owns, without HTTP or the writer,
until SIGTERM, and then finishes the batch in hand. Each projection is owned by one process
at a time: a process started for projections another one owns stands by and takes them
over when that one dies, so several processes spread the projections over cores and
machines and stand in for each other. The owner publishes its status rows, announces its
checkpoints to readers, and carries out what operators ask of its projections (parked
messages, online rebuilds, the latter in a child process). It shares nothing with other
processes but the log and the database, and can be killed at any moment without losing or
doubling a row. ``ledger serve`` runs several, the projections spread over them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import structlog

import projections
from ledger import bootstrap
from ledger.config import Settings
from ledger.lifetime import until_stopped
from ledger.metrics import Metrics
from ledger.store import Projection

if TYPE_CHECKING:
    from ledger.tracing.setup import Tracing

log = structlog.get_logger("ledger.project")


class UnknownProjection(ValueError):
    """A name that is not one of this ledger's read models."""


def chosen(names: Sequence[str] | None) -> list[Projection]:
    """The read models named (all of them when none is)."""
    if not names:
        return list(projections.ALL)
    known = {p.name: p for p in projections.ALL}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownProjection(f"unknown projection {unknown[0]!r}: one of {', '.join(known)}")
    return [known[n] for n in dict.fromkeys(names)]


async def run_projectors(
    settings: Settings, wanted: Sequence[Projection] = projections.ALL, tracing: Tracing | None = None
) -> None:
    """Run the projector role until SIGTERM or SIGINT (or the supervisor's death); ``tracing``:
    entered already when the process is traced."""
    pools = bootstrap.plan("projector", settings, projections_owned=len(wanted))
    spans = bootstrap.engine_spans(tracing, settings)
    async with (
        bootstrap.database(settings) as dsn,
        bootstrap.event_log(settings, dsn, pools) as event_log,
        bootstrap.main_pool(dsn, settings, pools) as db,
        bootstrap.projector_runtime(settings, event_log, db, dsn, Metrics(), wanted, spans) as runtime,
    ):
        log.info(
            "projectors_running",
            projections=[p.name for p in wanted],
            owns=[p.name for p in wanted if runtime.owns(p.name)],
            owner=runtime.owner,
        )
        await until_stopped()
    log.info("projectors_stopped")
