"""Rebuilds in child processes, one core each (``python -m ledger.projector.child``).

One CPython process uses one core. A rebuild projects a whole log, so it runs in a child of
its own: the online rebuild's bulk (the live projectors keep their core), and each read
model of ``ledger replay`` (as many at once as there are cores). The parent hands the child
a ``Job`` on its stdin; the child builds that projection's scratch tables (own schema, own
checkpoint: the parent can follow its progress there, and resume from where it stopped)
up to the job's bound or to where the log ended when it started, and answers a ``Built``
on its stdout.

The child stops, finishing the batch in hand, on SIGTERM or SIGINT, and by itself when its
parent dies: the parent holds the child's stdin open to the end, so its EOF says so.
"""

from __future__ import annotations

import asyncio
import pickle
import sys
from dataclasses import dataclass

from ledger.config import Settings
from ledger.log import Position

STOP_GRACE = 30.0
"""How long a child told to stop may take to finish its batch before it is killed."""


@dataclass(frozen=True)
class ScratchLog:
    """A PostgreSQL log of the configured database under a prefix of its own (an imported file)."""

    prefix: str
    partitions: int


@dataclass(frozen=True)
class Job:
    settings: Settings
    dsn: str
    projection: str
    scratch: str
    until: str | None = None  # a position token: apply nothing at or past it
    source: ScratchLog | None = None  # instead of the log the settings name
    log_level: str = "info"


@dataclass(frozen=True)
class Built:
    projection: str
    events: int
    parked: int
    position: str
    pid: int


class WorkerFailed(Exception):
    """The child did not finish its rebuild; its own log lines say why."""


@dataclass(frozen=True)
class Workers:
    """How to start workers on this ledger: the settings and the database they open."""

    settings: Settings
    dsn: str
    log_level: str = "info"

    async def build(
        self,
        projection: str,
        scratch: str,
        *,
        until: Position | None = None,
        source: ScratchLog | None = None,
    ) -> Built:
        """Build ``projection``'s scratch tables ``scratch`` in a child process."""
        token = None if until is None else until.token()
        return await run(Job(self.settings, self.dsn, projection, scratch, token, source, self.log_level))


async def run(job: Job) -> Built:
    """Run ``job`` in a child process; cancelling this stops the child (gracefully, then not)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ledger.projector.child",
        job.projection,
        job.scratch,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    payload = pickle.dumps(job)
    try:
        child.stdin.write(len(payload).to_bytes(8, "big") + payload)
        await child.stdin.drain()
        answer = await child.stdout.read()
        code = await child.wait()
    except BaseException:
        await _stop(child)
        raise
    finally:
        child.stdin.close()
    if code != 0 or not answer:
        raise WorkerFailed(f"the worker rebuilding {job.projection} (pid {child.pid}) exited with {code}")
    built = pickle.loads(answer)
    assert isinstance(built, Built)
    return built


async def _stop(child: asyncio.subprocess.Process) -> None:
    if child.returncode is not None:
        return
    child.terminate()
    try:
        await asyncio.wait_for(child.wait(), STOP_GRACE)
    except TimeoutError:
        child.kill()
        await child.wait()
