"""The projector role: ``ledger project [--projection NAME ...]``.

A process that follows the log into the read models it owns, without HTTP or the writer,
until SIGTERM, and then finishes the batch in hand. Each projection is owned by one process
at a time: a process started for projections another one owns stands by and takes them
over when that one dies, so several processes spread the projections over cores and
machines and stand in for each other. The owner publishes its status rows, announces its
checkpoints to readers, and carries out what operators ask of its projections (parked
messages, online rebuilds, the latter in a child process). It shares nothing with other
processes but the log and the database, and can be killed at any moment without losing or
doubling a row. ``ledger serve`` runs several, the projections spread over them. Run on
its own, it answers probes on ``LEDGER_PROBE_LISTEN`` (``ledger.probes``).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

import structlog

import projections
from ledger import bootstrap
from ledger.config import Settings
from ledger.lifetime import until_stopped
from ledger.metrics import Metrics
from ledger.probes import serving
from ledger.projector.runtime import ProjectorRuntime
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
    settings: Settings,
    wanted: Sequence[Projection] = projections.ALL,
    stop: Awaitable[object] | None = None,
    tracing: Tracing | None = None,
) -> None:
    """Run the projector role until SIGTERM or SIGINT (or the supervisor's death; or ``stop``,
    for a caller of its own); ``tracing``: entered already when the process is traced."""
    pools = bootstrap.plan("projector", settings, projections_owned=len(wanted))
    metrics = Metrics()
    spans = bootstrap.engine_spans(tracing, settings)
    async with (
        serving(settings, metrics) as probes,
        bootstrap.database(settings) as dsn,
        bootstrap.event_log(settings, dsn, pools) as event_log,
        bootstrap.main_pool(dsn, settings, pools) as db,
        bootstrap.projector_runtime(settings, event_log, db, dsn, metrics, wanted, spans) as runtime,
    ):
        log.info(
            "projectors_running",
            projections=[p.name for p in wanted],
            owns=[p.name for p in wanted if runtime.owns(p.name)],
            owner=runtime.owner,
        )
        probes.check = functools.partial(readiness, runtime)
        await (until_stopped() if stop is None else stop)
    log.info("projectors_stopped")


def readiness(runtime: ProjectorRuntime) -> tuple[bool, dict[str, object]]:
    """For ``LEDGER_PROBE_LISTEN``'s ``/readyz``: running, each projection owned here or stood by
    for (a process that owns none still stands in for the one that does)."""
    names = [p.projection.name for p in runtime.projectors()]
    return not runtime.stopping, {
        "owns": [n for n in names if runtime.owns(n)],
        "stands_by": [n for n in names if not runtime.owns(n)],
    }
