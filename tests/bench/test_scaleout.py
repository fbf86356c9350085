"""The scale-out search: the highest offered rate that keeps the bound, found in few steps.

A pure unit: the attack is a stand-in whose latency depends on the rate offered, so what is
pinned is the search (which rates it tries, which it keeps), not any server's speed.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence

import pytest

from bench import scaleout
from bench.loadgen import AttackResult, Target
from bench.scaleout import Search, highest_rate

TARGETS = [Target("GET", "http://127.0.0.1:1/constant")]


def server(knee: int, *, sends_up_to: int = 1_000_000, fails_from: int = 1_000_000) -> scaleout.Attack:
    """p99 of 2 ms up to ``knee`` req/s, 50 ms beyond; the generator sends at most
    ``sends_up_to``; from ``fails_from`` one answer in a hundred is a 503."""

    async def attack(targets: Sequence[Target], *, rate: int, duration_s: float) -> AttackResult:
        count = 100
        failed = 1 if rate >= fails_from else 0
        return AttackResult(
            rate=float(rate),
            duration_s=duration_s,
            latencies_ms=[2.0 if rate <= knee else 50.0] * count,
            status_codes=collections.Counter({200: count - failed, 503: failed}),
            errors=failed,
            achieved_rate=float(min(rate, sends_up_to)),
        )

    return attack


@pytest.fixture(autouse=True)
def no_settling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scaleout, "SETTLE_S", 0.0)


def search(start: int = 500, refine: int = 2, cap: int = 16_000) -> Search:
    return Search(bound_ms=5.0, quantile=99.0, start=start, seconds=1.0, refine=refine, cap=cap)


async def test_doubles_while_the_bound_holds_then_halves_the_gap() -> None:
    found = await highest_rate(TARGETS, search(), server(knee=1200))
    assert [s.rate for s in found.steps] == [500, 1000, 2000, 1500, 1250]
    assert found.rate == 1000
    finer = await highest_rate(TARGETS, search(refine=3), server(knee=1200))
    assert finer.rate == 1125


async def test_halves_below_the_start_when_even_the_start_misses() -> None:
    found = await highest_rate(TARGETS, search(), server(knee=200))
    assert [s.rate for s in found.steps] == [500, 250, 125, 187, 218]
    assert found.rate == 187
    nothing = await highest_rate(TARGETS, search(), server(knee=10))
    assert nothing.rate == 0
    assert len(nothing.steps) == 1 + scaleout.DOWN_STEPS


async def test_stops_at_the_cap_when_every_step_holds() -> None:
    found = await highest_rate(TARGETS, search(cap=3000), server(knee=1_000_000))
    assert [s.rate for s in found.steps] == [500, 1000, 2000, 3000]
    assert found.rate == 3000


async def test_a_step_the_generator_could_not_send_or_with_a_failed_answer_does_not_hold() -> None:
    behind = await highest_rate(TARGETS, search(), server(knee=1_000_000, sends_up_to=1600))
    assert [(s.rate, s.held) for s in behind.steps] == [
        (500, True),
        (1000, True),
        (2000, False),  # 1600 sent of 2000 offered
        (1500, True),
        (1750, False),  # 1600 of 1750: under 95%
    ]
    assert behind.rate == 1500
    refused = await highest_rate(TARGETS, search(), server(knee=1_000_000, fails_from=1600))
    assert [s.rate for s in refused.steps] == [500, 1000, 2000, 1500, 1750]
    assert refused.rate == 1500
