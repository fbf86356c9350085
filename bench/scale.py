"""How big each figure's load is: ``full`` is the benchmark proper, ``smoke`` a tiny one.

The smoke scale runs every figure in well under a minute (the test suite does, so the
harness never rots): what it checks is that each figure is measured beside its limit and
written out, never how fast.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.scaleout import Search


@dataclass(frozen=True)
class Scale:
    name: str
    repeat: int
    writer_commands: int
    products: int
    locations: int
    history_events: int
    rebuild_events: int
    http_rate: int  # every latency figure's offered rate, req/s
    http_seconds: float
    kafka_transactions: int  # one-record transactions timed beside the command latency
    demo_days: int
    scale_out: Search
    takeover_after_s: float  # commands streamed before the kill
    rss_products: int
    rss_locations: int
    peer_aggregates: int
    peer_events: int


SCALE_OUT_BOUND_MS = 5.0  # the inventory lookup's own target, p99 at 1000 req/s

SCALES = {
    "full": Scale(
        name="full",
        repeat=3,
        writer_commands=200_000,
        products=10_000,
        locations=10,
        history_events=85_000,
        rebuild_events=1_000_000,
        http_rate=1000,
        http_seconds=10.0,
        kafka_transactions=300,
        demo_days=90,
        scale_out=Search(
            bound_ms=SCALE_OUT_BOUND_MS, quantile=99.0, start=500, seconds=2.0, refine=2, cap=16_000
        ),
        takeover_after_s=2.0,
        rss_products=100_000,
        rss_locations=10,
        peer_aggregates=2_000,
        peer_events=20_000,
    ),
    "smoke": Scale(
        name="smoke",
        repeat=1,
        writer_commands=2_000,
        products=50,
        locations=3,
        history_events=1_500,
        rebuild_events=3_000,
        http_rate=50,
        http_seconds=0.3,
        kafka_transactions=30,
        demo_days=3,
        # Any answer at all holds: a smoke run checks that the search runs, not how fast.
        scale_out=Search(bound_ms=10_000.0, quantile=99.0, start=50, seconds=0.3, refine=0, cap=100),
        takeover_after_s=0.2,
        rss_products=200,
        rss_locations=5,
        peer_aggregates=20,
        peer_events=200,
    ),
}
