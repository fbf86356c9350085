"""Synthetic stock movements: many stock streams (a product at a location), receipts and issues.

The writer's figures and the peer comparison use this workload: each command is one event
on one stream, so events/s and commands/s agree, and the peer runs the very same movements.
Issues never take a stream below zero, so no command is refused and every one is an append.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from random import Random
from typing import Any

from bench.peer import Movement

Body = dict[str, Any]


@dataclass(frozen=True)
class StockWorkload:
    """Every sku at every location is a stock stream."""

    skus: tuple[str, ...]
    locations: tuple[str, ...]

    @classmethod
    def sized(cls, products: int, locations: int) -> StockWorkload:
        return cls(
            tuple(f"SKU-{i:07d}" for i in range(products)), tuple(f"WH-{i:03d}" for i in range(locations))
        )

    @property
    def streams(self) -> int:
        return len(self.skus) * len(self.locations)

    def setup(self) -> Iterator[tuple[str, Body]]:
        """Master data first: every movement needs a known product and location."""
        return _register(self.skus, self.locations)

    def movements(self, count: int, seed: int) -> list[Movement]:
        """Receipts of 1 to 50 on random streams, and about one in three an issue that fits."""
        rng = Random(seed)
        levels: dict[str, int] = {}
        out: list[Movement] = []
        for _ in range(count):
            stream = f"{rng.choice(self.skus)}@{rng.choice(self.locations)}"
            level = levels.get(stream, 0)
            qty = -rng.randint(1, level) if level and rng.random() < 0.33 else rng.randint(1, 50)
            levels[stream] = level + qty
            out.append(Movement(stream, qty))
        return out

    def every_stream(self) -> Iterator[Movement]:
        """One receipt on each stream: what the writer must hold for ``streams`` streams."""
        for p, sku in enumerate(self.skus):
            for n, location in enumerate(self.locations):
                yield Movement(f"{sku}@{location}", 1 + (p + n) % 50)


def setup_for(movements: Iterable[Movement]) -> Iterator[tuple[str, Body]]:
    """The master data that the given movements' streams need."""
    skus: dict[str, None] = {}
    locations: dict[str, None] = {}
    for m in movements:
        sku, location = m.stream.split("@")
        skus[sku] = locations[location] = None
    return _register(skus, locations)


def _register(skus: Iterable[str], locations: Iterable[str]) -> Iterator[tuple[str, Body]]:
    for location in locations:
        yield "register-location", {"location_id": location, "name": f"Depot {location}", "kind": "warehouse"}
    for sku in skus:
        yield "register-product", {"sku": sku, "name": f"Item {sku}", "uom": "ea", "category": "bench"}


def command(movement: Movement, n: int, tag: str) -> tuple[str, Body]:
    """The API command for one movement; ``n`` and ``tag`` make its document id unique."""
    sku, location = movement.stream.split("@")
    if movement.qty > 0:
        body = {"receipt_id": f"R{tag}-{n}", "sku": sku, "location_id": location, "qty": str(movement.qty)}
        return "receive-stock", body
    body = {
        "issue_id": f"I{tag}-{n}",
        "sku": sku,
        "location_id": location,
        "qty": str(-movement.qty),
        "reason": "production",
    }
    return "issue-stock", body
