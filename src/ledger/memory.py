"""Garbage-collector settings for long-running processes that hold a large state in memory.

The writer keeps every stream's state in memory, and every command or projected event
allocates many short-lived objects. With CPython's default thresholds the cyclic collector
runs every 700 allocations and, as the state grows, keeps rescanning it: measured, that cost
the writer 40% of its throughput. Nothing in the hot paths relies on cycles being collected
promptly, so young objects are collected far less often, and the state recovered at start-up
is frozen out of the collector's reach.

How much less often is a trade: a young collection's pause grows with the objects it scans.
A server answering requests keeps pauses short (``serving``); a batch job (a rebuild, a
load, a replay) wants throughput and does not mind a pause of tens of milliseconds.
"""

from __future__ import annotations

import gc
from typing import Literal

GEN0_THRESHOLD = {"serving": 50_000, "batch": 1_000_000}
OLDER_THRESHOLDS = (50, 100)


def tune_collector(mode: Literal["serving", "batch"] = "batch") -> None:
    """Collect young objects every 50k (serving) or 1M (batch) allocations instead of 700.

    Measured on a projector's catch-up: 11k events/s at the default (700, 10, 10), 13k at
    (100k, 50, 100), 15k at (1M, 50, 100), 17k with no collection at all.
    """
    gc.set_threshold(GEN0_THRESHOLD[mode], *OLDER_THRESHOLDS)


def freeze_survivors() -> None:
    """Move everything alive now out of the collector's reach (state just recovered)."""
    gc.collect()
    gc.freeze()
