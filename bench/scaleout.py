"""The highest rate a server answers within a latency bound: the scale-out figure's measure.

The offered rate is stepped, open loop (vegeta), each step a short attack at a fixed rate: it
doubles from ``start`` while the bound holds (or halves while it does not), then halves the
gap between the last rate that held and the first that did not, ``refine`` times. A step
holds when its p99 is within the bound, every request is answered 2xx, and the generator
really sent at the rate offered (on a shared machine the generator may fall behind first:
then the step does not count as held, and the JSON says so). The answer is the highest rate
that held (0 if none did), with every step beside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bench.loadgen import AttackResult, Target, attack_async

SENT_SHARE = 0.95  # a step whose generator sent less than this share of the offered rate fails
DOWN_STEPS = 4  # halvings tried below ``start`` before answering 0
SETTLE_S = 2.0  # pause after a step that failed: the backlog it left drains before the next one


@dataclass(frozen=True)
class Step:
    rate: int
    p99_ms: float
    success_ratio: float
    achieved_rate: float
    held: bool


@dataclass(frozen=True)
class Search:
    bound_ms: float
    quantile: float
    start: int
    seconds: float
    refine: int
    cap: int


@dataclass
class Found:
    rate: int = 0
    steps: list[Step] = field(default_factory=list)

    def detail(self) -> list[dict[str, float | int | bool]]:
        return [step.__dict__ for step in self.steps]


def holds(result: AttackResult, search: Search) -> bool:
    return (
        result.success_ratio() == 1.0
        and result.achieved_rate >= SENT_SHARE * result.rate
        and result.percentile(search.quantile) <= search.bound_ms
    )


Attack = Callable[..., Awaitable[AttackResult]]


async def highest_rate(targets: Sequence[Target], search: Search, attack: Attack = attack_async) -> Found:
    """Warm up at ``start`` for a step's length, then search (see the module's docstring)."""
    await attack(targets, rate=search.start, duration_s=search.seconds)
    found = Found()

    async def step(rate: int) -> bool:
        result = await attack(targets, rate=rate, duration_s=search.seconds)
        held = holds(result, search)
        found.steps.append(
            Step(rate, result.percentile(search.quantile), result.success_ratio(), result.achieved_rate, held)
        )
        if held:
            found.rate = max(found.rate, rate)
        else:
            await asyncio.sleep(SETTLE_S)
        return held

    low, high = 0, search.start
    if await step(high):
        low = high
        while low < search.cap:  # at the cap the answer is "at least the cap"
            high = min(2 * low, search.cap)
            if not await step(high):
                break
            low = high
    else:  # even the start failed: halve down until a rate holds
        for _ in range(DOWN_STEPS):
            if high // 2 < 1:
                break
            if await step(high // 2):
                low = high // 2
                break
            high //= 2
    for _ in range(search.refine):
        if low == 0 or high - low <= 1:
            break
        middle = (low + high) // 2
        if await step(middle):
            low = middle
        else:
            high = middle
    return found
