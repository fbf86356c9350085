"""The demo company's master data, drawn from the reference tables with the seed.

2 or 3 warehouses and one city store, 30 products in 5 categories (6 per category, the
regulated electrical and safety goods inspected on receipt), 4 suppliers, about 40 customers
in five segments plus the store's walk-in account, and a sales team per channel (one per region in the field).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from random import Random

from ledger.demo.catalogue import (
    CATEGORIES,
    FIRST_NAMES,
    LAST_NAMES,
    PLACE_NAMES,
    SEGMENTS,
    SUPPLIERS,
    SupplierSpec,
)

PRODUCTS_PER_CATEGORY = 6
WALK_IN = "CUST-WALKIN"
STORE_ID = "STORE-CITY"
FIELD_TEAMS = (
    ("NORTH", ("REP-31", "REP-32")),
    ("SOUTH", ("REP-41", "REP-42")),
    ("EAST", ("REP-51", "REP-52")),
)
WAREHOUSES = (
    ("WH-NORTH", "North distribution centre"),
    ("WH-SOUTH", "South warehouse"),
    ("WH-EAST", "East depot"),
)


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    uom: str
    category: str
    price: Decimal
    cost: Decimal
    requires_inspection: bool
    in_store: bool
    suppliers: tuple[tuple[str, int], ...]
    defects: tuple[str, ...]
    popularity: float


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    name: str
    segment: str
    home: str  # the warehouse nearest to the customer
    discount: Decimal  # negotiated, in percent


@dataclass(frozen=True, slots=True)
class Team:
    team_id: str
    name: str
    channel: str
    reps: tuple[str, ...]
    region: str | None = None  # the home warehouse a field team covers (None: all of them)


@dataclass(frozen=True, slots=True)
class Company:
    warehouses: tuple[tuple[str, str], ...]
    store: tuple[str, str]
    products: dict[str, Product]
    suppliers: dict[str, SupplierSpec]
    customers: tuple[Customer, ...]
    teams: tuple[Team, ...]

    @property
    def warehouse_ids(self) -> tuple[str, ...]:
        return tuple(location_id for location_id, _ in self.warehouses)

    @property
    def main_warehouse(self) -> str:
        """The warehouse that restocks the store."""
        return self.warehouses[0][0]

    def team_for(self, channel: str, customer: Customer) -> Team:
        """The team that sells through ``channel`` to ``customer``: by region in the field."""
        teams = [t for t in self.teams if t.channel == channel]
        return next((t for t in teams if t.region in (None, customer.home)), teams[0])


def build_company(rng: Random) -> Company:
    warehouses = WAREHOUSES[: rng.choice((2, 3))]
    products = _products(rng)
    return Company(
        warehouses=warehouses,
        store=(STORE_ID, "City centre store"),
        products={p.sku: p for p in products},
        suppliers={s.supplier_id: s for s in SUPPLIERS},
        customers=_customers(rng, tuple(w for w, _ in warehouses)),
        teams=_teams(tuple(w for w, _ in warehouses)),
    )


def _products(rng: Random) -> list[Product]:
    products = []
    for number, category in enumerate(CATEGORIES, start=1):
        items = rng.sample(category.items, PRODUCTS_PER_CATEGORY)
        for index, item in enumerate(sorted(items, key=lambda i: i.name), start=1):
            price = Decimal(item.price)
            margin = Decimal(rng.randint(52, 64)) / 100
            products.append(
                Product(
                    sku=f"SKU-{number}{index:02d}",
                    name=item.name,
                    uom=item.uom,
                    category=category.code,
                    price=price,
                    cost=(price * margin).quantize(Decimal("0.01")),
                    requires_inspection=category.inspected,
                    in_store=category.in_store and price < 100,
                    suppliers=category.suppliers,
                    defects=category.defects,
                    # A few products sell far more than the rest, as in any catalogue.
                    popularity=min(rng.paretovariate(1.6), 6.0),
                )
            )
    return products


def _customers(rng: Random, warehouses: tuple[str, ...]) -> tuple[Customer, ...]:
    places = list(PLACE_NAMES)
    rng.shuffle(places)
    customers = [Customer(WALK_IN, "Walk-in customer", "retail", warehouses[0], Decimal(0))]
    number = 1001
    for segment, (count, suffixes, (low, high)) in SEGMENTS.items():
        # Each segment spreads evenly over the regions, so every field team has its accounts.
        first = rng.randrange(len(warehouses))
        for i in range(count):
            if suffixes:
                place = places.pop() if places else rng.choice(PLACE_NAMES)
                name = f"{place} {rng.choice(suffixes)}"
            else:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            discount = Decimal(rng.randint(low * 2, high * 2)) / 2
            home = warehouses[(first + i) % len(warehouses)]
            customers.append(Customer(f"CUST-{number}", name, segment, home, discount))
            number += 1
    return tuple(customers)


def _teams(warehouses: tuple[str, ...]) -> tuple[Team, ...]:
    """The web shop, the store, and a field sales team for the region of each warehouse."""
    field = tuple(
        Team(f"TEAM-FIELD-{region}", f"Field sales {region.lower()}", "distributor", reps, warehouse)
        for (region, reps), warehouse in zip(FIELD_TEAMS, warehouses, strict=False)
    )
    return (
        Team("TEAM-WEB", "E-commerce", "online", ()),
        Team("TEAM-STORE", "City store", "store", ("REP-21", "REP-22", "REP-23")),
        *field,
    )
