"""How customers buy: order rates per channel, basket sizes, and the stock policies they imply.

Reorder points and quantities are not drawn at random: they follow from the expected daily
demand at each location (the same parameters the order generator uses), the suppliers'
lead times and the days a lot waits for inspection, so the simulated company rarely runs
out and its orders are nearly always reservable in full.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random
from typing import Final

from ledger.demo.catalogue import CHANNEL_SEGMENTS
from ledger.demo.company import WALK_IN, Company, Customer, Product

BULK_UOMS: Final = ("box", "kg")


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    per_day: float  # orders on an ordinary open day
    weekday: tuple[float, ...]  # Monday first; 0 means closed
    hours: tuple[float, float]  # local hours orders come in
    lines: tuple[tuple[int, int], ...]  # (lines per order, weight)

    @property
    def mean_lines(self) -> float:
        return sum(n * w for n, w in self.lines) / sum(w for _, w in self.lines)

    @property
    def mean_per_day(self) -> float:
        return self.per_day * sum(self.weekday) / 7


CHANNELS: Final = {
    "online": Channel(
        "online",
        per_day=20,
        weekday=(1.1, 1.05, 1.0, 1.0, 0.95, 0.7, 0.6),
        hours=(6.5, 23.0),
        lines=((1, 55), (2, 30), (3, 15)),
    ),
    "store": Channel(
        "store",
        per_day=12,
        weekday=(0.9, 0.9, 1.0, 1.0, 1.2, 1.4, 0.0),
        hours=(9.0, 18.0),
        lines=((1, 60), (2, 30), (3, 10)),
    ),
    "distributor": Channel(
        "distributor",
        per_day=6,
        weekday=(1.2, 1.1, 1.0, 1.0, 0.9, 0.0, 0.0),
        hours=(8.0, 16.5),
        lines=((2, 25), (3, 30), (4, 25), (5, 12), (6, 8)),
    ),
}
GROWTH: Final = 0.15  # demand grows this much over the history
SAFETY: Final = 1.35  # policies cover this much more than the expected demand


@dataclass(frozen=True, slots=True)
class Policy:
    reorder_point: int
    reorder_qty: int


def assortment(company: Company, channel: str) -> list[Product]:
    products = list(company.products.values())
    return [p for p in products if p.in_store] if channel == "store" else products


def _retail_qty(product: Product) -> tuple[tuple[int, ...], tuple[int, ...]]:
    if product.uom in BULK_UOMS:
        return (1, 2, 3, 4, 6), (35, 30, 15, 12, 8)
    return (1, 2, 3, 4), (64, 24, 8, 4)


def _trade_qty(product: Product) -> int:
    """The typical quantity a trade customer orders of ``product``."""
    return max(3, min(60, round(300 / float(product.price))))


def order_qty(rng: Random, channel: str, product: Product) -> int:
    if channel == "distributor":
        qty = round(_trade_qty(product) * rng.uniform(0.5, 1.5))
        return max(2, qty - qty % 5 if qty >= 20 else qty)
    values, weights = _retail_qty(product)
    if channel == "store":
        values, weights = values[:3], weights[:3]
    return rng.choices(values, weights)[0]


def mean_qty(channel: str, product: Product) -> float:
    if channel == "distributor":
        return float(_trade_qty(product))
    values, weights = _retail_qty(product)
    if channel == "store":
        values, weights = values[:3], weights[:3]
    return sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights)


def _home_shares(company: Company, channel: str) -> dict[str, float]:
    """The share of a channel's orders whose customers live nearest each warehouse."""
    shares = dict.fromkeys(company.warehouse_ids, 0.0)
    segments = CHANNEL_SEGMENTS[channel]
    total = sum(weight for _, weight in segments)
    for segment, weight in segments:
        members = [c for c in company.customers if c.segment == segment and c.customer_id != WALK_IN]
        for customer in members:
            shares[customer.home] += weight / total / len(members)
    return shares


def daily_units(company: Company) -> dict[tuple[str, str], float]:
    """Expected units sold per day of every product at every location, store restocking included."""
    units: dict[tuple[str, str], float] = {}
    for name, channel in CHANNELS.items():
        products = assortment(company, name)
        weight = sum(p.popularity for p in products)
        shares = {company.store[0]: 1.0} if name == "store" else _home_shares(company, name)
        for product in products:
            chance = min(1.0, channel.mean_lines * product.popularity / weight)
            per_day = channel.mean_per_day * chance * mean_qty(name, product)
            for location_id, share in shares.items():
                key = (product.sku, location_id)
                units[key] = units.get(key, 0.0) + per_day * share
                if location_id == company.store[0]:
                    main = (product.sku, company.main_warehouse)
                    units[main] = units.get(main, 0.0) + per_day
    return units


def _nice(value: float) -> int:
    whole = math.ceil(value)
    step = 10 if whole > 200 else 5 if whole > 40 else 1
    return -(-whole // step) * step


def policies(company: Company) -> dict[tuple[str, str], Policy]:
    """A reorder point and quantity for every product at every location that stocks it."""
    units = daily_units(company)
    result: dict[tuple[str, str], Policy] = {}
    for product in company.products.values():
        lead = max(company.suppliers[s].lead_days[1] for s, _ in product.suppliers) * 1.4
        cover = lead + (3 if product.requires_inspection else 2)
        for location_id in company.warehouse_ids:
            per_day = units.get((product.sku, location_id), 0.0) * (1 + GROWTH) * SAFETY
            result[(product.sku, location_id)] = Policy(
                _nice(per_day * cover + 3), _nice(max(per_day * 20, 8))
            )
        if product.in_store:
            per_day = units.get((product.sku, company.store[0]), 0.0) * (1 + GROWTH) * SAFETY
            result[(product.sku, company.store[0])] = Policy(
                _nice(per_day * 3 + 2), _nice(max(per_day * 7, 4))
            )
    return result


def customers_for(company: Company, channel: str) -> tuple[list[Customer], list[float]]:
    """The customers who buy through ``channel`` and how often each one does."""
    customers: list[Customer] = []
    weights: list[float] = []
    for segment, weight in CHANNEL_SEGMENTS[channel]:
        if segment == "walk-in":
            members = [c for c in company.customers if c.customer_id == WALK_IN]
        else:
            members = [c for c in company.customers if c.segment == segment and c.customer_id != WALK_IN]
        customers += members
        weights += [weight / len(members)] * len(members)
    return customers, weights
