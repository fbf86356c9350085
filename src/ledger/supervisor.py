"""``ledger serve``: one supervisor on one box, the roles as its child processes.

The supervisor resolves what the children share (the database, starting the embedded
PostgreSQL on the default; the internal secret, generated unless ``LEDGER_INTERNAL_SECRET``
is set; the directory where every process keeps its metrics) and then runs, each as
``python -m ledger <role>`` so that ``ps`` shows who is who:

- ``ledger writer``, and ``LEDGER_WRITER_STANDBYS`` more that wait as hot standbys;
- ``ledger project --projection ...``: ``LEDGER_PROJECTOR_PROCESSES`` of them (default the
  cores, at most one per projection), the projections dealt out so each has one follower;
- ``ledger api``: ``LEDGER_API_WORKERS`` (default the cores, at least two, so one can die
  without a gap in answers), all on ``LEDGER_PORT``.

As gunicorn's arbiter does: a child that ends unasked is logged, counted
(``ledger_process_restarts_total{role}`` on ``/metrics``) and started again, at once if it
had run a while, else after a pause that doubles with each quick death (up to 30 s); one
child's death never takes the others down. On SIGTERM or SIGINT the API workers stop first
(no new requests; those in hand finish), then the writers (the batch in hand, a snapshot),
then the projectors (the batch in hand); whoever is not gone ``STOP_GRACE`` seconds after
being asked is killed. Children run in a session of their own, so a terminal's Ctrl-C
reaches the supervisor alone and the order holds; should the supervisor itself be killed,
each child notices its parent gone and stops (``ledger.lifetime``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import structlog

import projections
from ledger.config import Settings
from ledger.lifetime import SUPERVISOR_PID

log = structlog.get_logger("ledger.supervisor")

# ``ledger.metrics.MULTIPROCESS_DIR``, spelt out: importing that module imports
# prometheus_client, which decides at import whether values go to files, so the supervisor
# names the directory before anything imports it (its own restart counter goes there too).
MULTIPROCESS_DIR: Final = "PROMETHEUS_MULTIPROC_DIR"
# Children never get a probe port (``ledger.probes``): one port cannot serve them all, and the
# API workers' ``/metrics`` already shows every child's.
PROBE_LISTEN: Final = "LEDGER_PROBE_LISTEN"

STOP_GRACE: Final = 30.0
STOP_ORDER: Final = ("api", "writer", "project")
_SETTLED: Final = 10.0  # a child that ran this long before it died is restarted at once
_FIRST_PAUSE: Final = 0.5
_LAST_PAUSE: Final = 30.0


@dataclass(frozen=True)
class Shape:
    """How many processes of each role, and the projections each projector process follows."""

    writers: int
    projector_groups: tuple[tuple[str, ...], ...]
    api_workers: int

    @classmethod
    def of(cls, settings: Settings, cores: int | None = None) -> Shape:
        cores = cores or os.cpu_count() or 1
        names = [p.name for p in projections.ALL]
        count = min(settings.projector_processes or cores, len(names))
        groups = tuple(tuple(names[i::count]) for i in range(count))
        return cls(1 + settings.writer_standbys, groups, settings.api_workers or max(2, cores))

    def commands(self) -> list[tuple[str, list[str]]]:
        """(role, arguments after ``python -m ledger``) of every child, in the order they start."""
        children = [("writer", ["writer"])] * self.writers
        children += [("project", ["project", *_each("--projection", g)]) for g in self.projector_groups]
        children += [("api", ["api"])] * self.api_workers
        return children


def _each(flag: str, values: Sequence[str]) -> list[str]:
    return [part for value in values for part in (flag, value)]


@dataclass
class Child:
    role: str
    arguments: list[str]
    process: asyncio.subprocess.Process | None = None
    started: float = 0.0
    quick_deaths: int = 0
    restarts: int = 0
    waiting: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid


def shared_environment(settings: Settings, dsn: str, metrics_dir: Path) -> dict[str, str]:
    """What every child is told besides this process's own environment."""
    secret = settings.internal_secret
    inherited = {k: v for k, v in os.environ.items() if k != PROBE_LISTEN}
    return {
        **inherited,
        "LEDGER_DATABASE_URL": dsn,
        "LEDGER_DATA_DIR": str(settings.data_dir.resolve()),
        "LEDGER_INTERNAL_SECRET": secrets.token_urlsafe(32) if secret is None else secret.get_secret_value(),
        MULTIPROCESS_DIR: str(metrics_dir),
        SUPERVISOR_PID: str(os.getpid()),
    }


def fresh_metrics_dir(settings: Settings) -> Path:
    """``<data dir>/metrics``, emptied: files of an earlier run would add to this one's counts."""
    directory = settings.data_dir.resolve() / "metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


class Supervisor:
    def __init__(self, shape: Shape, env: dict[str, str], metrics_dir: Path) -> None:
        self._env = env
        self._metrics_dir = metrics_dir
        self._children = [Child(role, arguments) for role, arguments in shape.commands()]
        self._stopping = False
        from ledger.metrics import SupervisorMetrics  # after the directory is named (``serve``)

        self._restarts = SupervisorMetrics().restarts
        for role in {c.role for c in self._children}:
            self._restarts.labels(role)  # at 0 from the start: a first restart is then an increase

    async def run(self) -> None:
        """Start every child, keep them running until SIGTERM or SIGINT, then stop them in order."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        try:
            for child in self._children:
                await self._start(child)
            log.info("serving", children={r: sum(c.role == r for c in self._children) for r in STOP_ORDER})
            await stop.wait()
        finally:
            self._stopping = True
            log.info("stopping", order=list(STOP_ORDER))
            for role in STOP_ORDER:
                await self._stop([c for c in self._children if c.role == role])
            await self._stop(self._children)  # any restarted while the others stopped
            for child in self._children:
                if child.waiting is not None:
                    child.waiting.cancel()
            log.info("stopped")

    async def _start(self, child: Child) -> None:
        child.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ledger",
            *child.arguments,
            env=self._env,
            stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        child.started = time.monotonic()
        child.waiting = asyncio.create_task(self._watch(child), name=f"ledger-child-{child.pid}")
        log.info("child_started", role=child.role, pid=child.pid, arguments=child.arguments)

    async def _watch(self, child: Child) -> None:
        assert child.process is not None
        code = await child.process.wait()
        if self._stopping:
            return
        self._mark_dead(child.process.pid)
        ran = time.monotonic() - child.started
        child.quick_deaths = 0 if ran >= _SETTLED else child.quick_deaths + 1
        pause = (
            0.0 if not child.quick_deaths else min(_LAST_PAUSE, _FIRST_PAUSE * 2 ** (child.quick_deaths - 1))
        )
        child.restarts += 1
        self._restarts.labels(child.role).inc()
        log.error(
            "child_died",
            role=child.role,
            pid=child.process.pid,
            code=code,
            ran_s=round(ran, 1),
            restarts=child.restarts,
            restart_in_s=pause,
        )
        await asyncio.sleep(pause)
        if not self._stopping:
            await self._start(child)

    async def _stop(self, children: list[Child]) -> None:
        """Ask ``children`` to stop (SIGTERM); kill whoever is not gone after ``STOP_GRACE``."""
        running = [c.process for c in children if c.process is not None and c.process.returncode is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for child, process in ((c, c.process) for c in children if c.process in running):
            assert process is not None
            try:
                await asyncio.wait_for(process.wait(), STOP_GRACE)
            except TimeoutError:
                log.error("child_killed", role=child.role, pid=process.pid, after_s=STOP_GRACE)
                process.kill()
                await process.wait()
            log.info("child_stopped", role=child.role, pid=process.pid, code=process.returncode)
            self._mark_dead(process.pid)

    def _mark_dead(self, pid: int) -> None:
        """Its live gauges leave ``/metrics``; its counters stay in the sums."""
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, str(self._metrics_dir))  # type: ignore[no-untyped-call]  # unannotated upstream


def serve(settings: Settings, *, cores: int | None = None) -> int:
    """Run ``ledger serve`` until SIGTERM or SIGINT; 0 once every child has stopped."""
    metrics_dir = fresh_metrics_dir(settings)
    os.environ[MULTIPROCESS_DIR] = str(metrics_dir)  # before prometheus_client is imported here
    from ledger.database import database_url

    # Resolved once, here: on the embedded default this starts the PostgreSQL server, which
    # stops when this process exits, after its children.
    dsn = database_url(settings)
    shape = Shape.of(settings, cores)
    supervisor = Supervisor(shape, shared_environment(settings, dsn, metrics_dir), metrics_dir)
    asyncio.run(supervisor.run())
    return 0
