"""The inventory read model: stock levels per product and location, and the stock ledger.

Tables (all in the schema handed in):
- ``movements``: one row per stock event per location it touches, keyed by (event_id,
  location_id). The source of truth: levels at any business time (``as_of``) and the running
  on-hand of the ledger are window sums over it, ordered by business time.
- ``levels``: the current sums per (sku, location_id), stock value included, kept set-based
  per batch by adding the changes of the movements the batch actually inserted, so a
  redelivered fact adds nothing and any split into batches yields the same sums. Beside them,
  the last recorded unit cost with its ordering key (occurred_at, stream, version, leg): a
  max-merge, which any order of arrival leaves the same.
- ``products`` and ``reorder_policies``: the reorder point, quantity and category a product was
  registered with, and the latest policy per (sku, location_id or '' for every location) by
  stream version. They are joined to levels at query time, never at apply time, since product
  and stock streams arrive in any order relative to each other.
- ``po_lines`` and ``po_moves`` (``projections.inventory.supply``): open purchase order
  quantities, ``on_order``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import ClassVar

from ledger.store import Connection, Fact, q
from projections.inventory.movements import STOCK_EVENTS, Movement, movements_of
from projections.inventory.queries import (
    InventoryItem,
    LedgerEntry,
    LedgerPlace,
    LedgerRow,
    Reordering,
    is_known_sku,
    last_suppliers,
    ledger,
    levels,
    reordering,
)
from projections.inventory.supply import DDL as SUPPLY_DDL
from projections.inventory.supply import PURCHASE_EVENTS, add_supply
from projections.inventory.valuation import Valuation, Valued, valuation
from schemas import event_types
from schemas.catalog import ProductRegistered, ReorderPolicySet

EVERY_LOCATION = ""
"""The location key of a product-wide reorder policy (no real location id is empty)."""


class Inventory:
    name: ClassVar[str] = "inventory"
    # 2: stock value and unit costs, open PO quantities, reorder quantities and categories.
    version: ClassVar[int] = 2
    areas: ClassVar[tuple[str, ...]] = ("catalog", "inventory", "sales", "purchasing")
    # What apply reads; the rest of these topics is passed over undecoded (the sales topic
    # is read only so that this read model's position covers every command's events).
    event_types: ClassVar[frozenset[str]] = event_types(
        ProductRegistered, ReorderPolicySet, *STOCK_EVENTS, *PURCHASE_EVENTS
    )

    def ddl(self, schema: str) -> str:
        # COLLATE "C": ids sort by their bytes, so list order and cursors never depend on locale.
        return f"""
        CREATE TABLE IF NOT EXISTS {q(schema, "movements")} (
            event_id text NOT NULL,
            location_id text COLLATE "C" NOT NULL,
            leg smallint NOT NULL,
            sku text COLLATE "C" NOT NULL,
            stream text COLLATE "C" NOT NULL,
            version integer NOT NULL,
            occurred_at timestamptz NOT NULL,
            type text NOT NULL,
            qty_change numeric NOT NULL,
            quarantined_change numeric NOT NULL,
            reserved_change numeric NOT NULL,
            document_id text NOT NULL,
            value_change numeric NOT NULL,
            unit_cost_after numeric,
            PRIMARY KEY (event_id, location_id)
        );
        CREATE INDEX IF NOT EXISTS movements_in_time
            ON {q(schema, "movements")} (sku, location_id, occurred_at, stream, version, leg);
        CREATE TABLE IF NOT EXISTS {q(schema, "levels")} (
            sku text COLLATE "C" NOT NULL,
            location_id text COLLATE "C" NOT NULL,
            on_hand numeric NOT NULL,
            quarantined numeric NOT NULL,
            reserved numeric NOT NULL,
            value numeric NOT NULL,
            unit_cost numeric,
            cost_at timestamptz,
            cost_stream text COLLATE "C",
            cost_version integer,
            cost_leg smallint,
            PRIMARY KEY (sku, location_id)
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "products")} (
            sku text COLLATE "C" PRIMARY KEY,
            reorder_point numeric,
            reorder_qty numeric,
            category text COLLATE "C" NOT NULL
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "reorder_policies")} (
            sku text COLLATE "C" NOT NULL,
            location_id text COLLATE "C" NOT NULL,
            reorder_point numeric NOT NULL,
            reorder_qty numeric NOT NULL,
            version integer NOT NULL,
            PRIMARY KEY (sku, location_id)
        );
        {SUPPLY_DDL.format(po_lines=q(schema, "po_lines"), po_moves=q(schema, "po_moves"))}
        """

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        products = [f.event for f in facts if isinstance(f.event, ProductRegistered)]
        policies = [f for f in facts if isinstance(f.event, ReorderPolicySet)]
        if products:
            await _add_products(conn, schema, products)
        if policies:
            await _set_policies(conn, schema, policies)
        if moved := movements_of(facts):
            await _add_movements(conn, schema, moved)
        await add_supply(conn, schema, facts)


async def _add_products(conn: Connection, schema: str, products: list[ProductRegistered]) -> None:
    await conn.execute(
        f"INSERT INTO {q(schema, 'products')} (sku, reorder_point, reorder_qty, category) "
        "SELECT * FROM unnest($1::text[], $2::numeric[], $3::numeric[], $4::text[]) ON CONFLICT DO NOTHING",
        [p.sku for p in products],
        [p.reorder_point for p in products],
        [p.reorder_qty for p in products],
        [p.category for p in products],
    )


async def _set_policies(conn: Connection, schema: str, facts: list[Fact]) -> None:
    # One row per key (an upsert may touch a row once per statement): the batch's latest, which
    # replaces the stored one only when its stream version is higher.
    latest: dict[tuple[str, str], tuple[int, Decimal, Decimal]] = {}
    for fact in facts:
        if isinstance(event := fact.event, ReorderPolicySet):
            key = (event.sku, event.location_id or EVERY_LOCATION)
            if key not in latest or latest[key][0] < fact.envelope.version:
                latest[key] = (fact.envelope.version, event.reorder_point, event.reorder_qty)
    await conn.execute(
        f"INSERT INTO {q(schema, 'reorder_policies')} AS p "
        "(sku, location_id, reorder_point, reorder_qty, version) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::integer[]) "
        "ON CONFLICT (sku, location_id) DO UPDATE "
        "SET reorder_point = excluded.reorder_point, reorder_qty = excluded.reorder_qty, "
        "version = excluded.version "
        "WHERE p.version < excluded.version",
        [sku for sku, _ in latest],
        [location_id for _, location_id in latest],
        [point for _, point, _ in latest.values()],
        [quantity for _, _, quantity in latest.values()],
        [version for version, _, _ in latest.values()],
    )


# A level's last unit cost is replaced only by a later one, by its ordering key.
_LATER_COST = """
    excluded.cost_at IS NOT NULL AND (l.cost_at IS NULL
        OR (excluded.cost_at, excluded.cost_stream, excluded.cost_version, excluded.cost_leg)
           > (l.cost_at, l.cost_stream, l.cost_version, l.cost_leg))
"""


async def _add_movements(conn: Connection, schema: str, moved: list[Movement]) -> None:
    # Levels add only what this statement inserted: a movement already stored adds nothing.
    await conn.execute(
        f"""
        WITH added AS (
            INSERT INTO {q(schema, "movements")} (
                event_id, location_id, leg, sku, stream, version, occurred_at, type,
                qty_change, quarantined_change, reserved_change, document_id,
                value_change, unit_cost_after
            )
            SELECT * FROM unnest(
                $1::text[], $2::text[], $3::smallint[], $4::text[], $5::text[], $6::integer[],
                $7::timestamptz[], $8::text[], $9::numeric[], $10::numeric[], $11::numeric[], $12::text[],
                $13::numeric[], $14::numeric[]
            )
            ON CONFLICT DO NOTHING
            RETURNING sku, location_id, leg, stream, version, occurred_at,
                      qty_change, quarantined_change, reserved_change, value_change, unit_cost_after
        ),
        sums AS (
            SELECT sku, location_id, sum(qty_change) AS on_hand, sum(quarantined_change) AS quarantined,
                   sum(reserved_change) AS reserved, sum(value_change) AS value
            FROM added GROUP BY sku, location_id
        ),
        costs AS (
            SELECT DISTINCT ON (sku, location_id) sku, location_id, unit_cost_after AS unit_cost,
                   occurred_at AS cost_at, stream AS cost_stream, version AS cost_version, leg AS cost_leg
            FROM added WHERE unit_cost_after IS NOT NULL
            ORDER BY sku, location_id, occurred_at DESC, stream DESC, version DESC, leg DESC
        )
        INSERT INTO {q(schema, "levels")} AS l (
            sku, location_id, on_hand, quarantined, reserved, value,
            unit_cost, cost_at, cost_stream, cost_version, cost_leg
        )
        SELECT sums.*, costs.unit_cost, costs.cost_at, costs.cost_stream, costs.cost_version, costs.cost_leg
        FROM sums LEFT JOIN costs USING (sku, location_id)
        ON CONFLICT (sku, location_id) DO UPDATE SET
            on_hand = l.on_hand + excluded.on_hand,
            quarantined = l.quarantined + excluded.quarantined,
            reserved = l.reserved + excluded.reserved,
            value = l.value + excluded.value,
            unit_cost = CASE WHEN {_LATER_COST} THEN excluded.unit_cost ELSE l.unit_cost END,
            cost_at = CASE WHEN {_LATER_COST} THEN excluded.cost_at ELSE l.cost_at END,
            cost_stream = CASE WHEN {_LATER_COST} THEN excluded.cost_stream ELSE l.cost_stream END,
            cost_version = CASE WHEN {_LATER_COST} THEN excluded.cost_version ELSE l.cost_version END,
            cost_leg = CASE WHEN {_LATER_COST} THEN excluded.cost_leg ELSE l.cost_leg END
        """,
        [m.event_id for m in moved],
        [m.location_id for m in moved],
        [m.leg for m in moved],
        [m.sku for m in moved],
        [m.stream for m in moved],
        [m.version for m in moved],
        [m.occurred_at for m in moved],
        [m.type for m in moved],
        [m.qty_change for m in moved],
        [m.quarantined_change for m in moved],
        [m.reserved_change for m in moved],
        [m.document_id for m in moved],
        [m.value_change for m in moved],
        [m.unit_cost_after for m in moved],
    )


PROJECTION = Inventory()

__all__ = [
    "PROJECTION",
    "Inventory",
    "InventoryItem",
    "LedgerEntry",
    "LedgerPlace",
    "LedgerRow",
    "Reordering",
    "Valuation",
    "Valued",
    "is_known_sku",
    "last_suppliers",
    "ledger",
    "levels",
    "reordering",
    "valuation",
]
