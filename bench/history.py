"""Histories in the log for the read side's figures: the demo company's, through the writer.

The projectors' figures need the real mix of a business (orders, shipments, receipts,
inspections, complaints, targets), so the log is filled by the demo generator through the
same ``Writer`` as the API uses. Loading is timed too: it is the writer's rate on that mix.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.infra import Environment
from ledger.demo.generator import MAX_DAYS, generate
from ledger.demo.runner import submit_all
from ledger.writer import Writer

NOW = datetime(2026, 11, 1, 18, tzinfo=UTC)
EVENTS_PER_DAY = 230  # the demo company's, measured; the history is sized from it


@dataclass(frozen=True)
class History:
    prefix: str
    days: int
    commands: int
    events: int
    load_seconds: float


def days_for(events: int) -> int:
    return max(1, min(MAX_DAYS, math.ceil(events / EVENTS_PER_DAY)))


async def load_history(env: Environment, prefix: str, days: int, *, seed: int = 7) -> History:
    commands = generate(NOW, seed, days)
    log = env.log(prefix)
    await log.start()
    writer = Writer(log, None)
    try:
        await writer.start()
        started = time.perf_counter()
        summary = await submit_all(writer, commands, window=5000)
        seconds = time.perf_counter() - started
        await writer.stop()
    finally:
        await log.close()
    if summary.refused:
        raise RuntimeError(f"the demo history was refused in part: {dict(summary.refused)}")
    return History(prefix, days, len(commands), summary.events, seconds)
