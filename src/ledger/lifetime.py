"""How long a role's process runs: until SIGTERM or SIGINT, or until its supervisor is gone.

A role started by ``ledger serve`` is told its supervisor's pid (``LEDGER_SUPERVISOR_PID``).
Should the supervisor die without stopping its children (a ``kill -9``), each child sees its
parent change within a second and stops as if told to, finishing its batch, rather than
serving on unsupervised (gunicorn's workers watch their arbiter the same way).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from typing import Final

import structlog

log = structlog.get_logger("ledger.lifetime")

SUPERVISOR_PID: Final = "LEDGER_SUPERVISOR_PID"
_WATCH_EVERY: Final = 1.0


async def until_stopped() -> str:
    """Wait for SIGTERM or SIGINT (or the supervisor's end); answer which it was."""
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[str] = loop.create_future()

    def stop(why: str) -> None:
        if not stopped.done():
            stopped.set_result(why)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signal.Signals(signum).name)
    watching = asyncio.create_task(_watch_supervisor(stop))
    try:
        why = await stopped
    finally:
        watching.cancel()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    log.info("stopping", why=why)
    return why


async def _watch_supervisor(stop: Callable[[str], None]) -> None:
    expected = os.environ.get(SUPERVISOR_PID)
    if not expected:
        return
    parent = int(expected)
    while True:  # nothing signals a parent's death to its child but the parent pid changing
        await asyncio.sleep(_WATCH_EVERY)
        if os.getppid() != parent:
            stop("supervisor gone")
            return
