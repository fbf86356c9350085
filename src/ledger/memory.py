"""Garbage-collector settings for long-running processes that hold a large state in memory.

The writer keeps every stream's state in memory and allocates many short-lived objects per
command. With CPython's default thresholds the cyclic collector runs every 700 allocations
and, as the state grows, keeps rescanning all of it: measured, that cost the writer 40% of
its throughput. Nothing in the hot paths relies on cycles being collected promptly, so
collections run less often, and state recovered at start-up is frozen out of them.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 1_000_000
GEN1_THRESHOLD = 50
GEN2_THRESHOLD = 100


def tune_collector() -> None:
    """Collect young objects every 1M allocations instead of 700, and older ones more rarely.

    Measured on a projector's catch-up: 13k events/s at (100k, 50, 100), 15k at these, 17k
    with no collection at all; the default (700, 10, 10) gave 11k.
    """
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)


def freeze_survivors() -> None:
    """Move everything alive now out of the collector's reach (state just recovered)."""
    gc.collect()
    gc.freeze()
