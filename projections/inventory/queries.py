"""Queries of the inventory read model: levels (now or at a business time), what needs
reordering, and the stock ledger.

Reorder points (and quantities) are joined here, at query time: the latest policy for the sku
at the location wins over the latest product-wide policy, which wins over the product's
registered point. So are open PO quantities (``on_order``), summed from the PO lines' moves.
The stock value is a sum of the values the writer recorded; the unit cost is read from it by
``unit_cost`` (value / on_hand, or the last recorded figure once nothing is on hand).
Ledger rows run in business-time order, ties broken by the event's place in its stream and,
within a transfer, source before destination; the running on-hand of a location is a window
sum in that order, so a back-dated movement moves every later row's ``on_hand_after`` (and
``value_after``, the same sum of value changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import TypedDict

from ledger.store import Connection, q


class InventoryItem(TypedDict):
    sku: str
    location_id: str
    on_hand: Decimal
    quarantined: Decimal
    reserved: Decimal
    available: Decimal
    reorder_point: Decimal | None
    below_reorder: bool
    on_order: Decimal
    projected: Decimal
    unit_cost: Decimal
    value: Decimal


class Reordering(TypedDict):
    """A level that has a reorder point, with what refilling it needs."""

    sku: str
    location_id: str
    available: Decimal
    on_order: Decimal
    projected: Decimal
    reorder_point: Decimal
    reorder_qty: Decimal | None


class LedgerEntry(TypedDict):
    occurred_at: datetime
    location_id: str
    type: str
    qty_change: Decimal
    quarantined_change: Decimal
    reserved_change: Decimal
    on_hand_after: Decimal
    document_id: str
    event_id: str
    value_change: Decimal
    value_after: Decimal


@dataclass(frozen=True, slots=True)
class LedgerPlace:
    """Where a ledger row sits in business-time order; unique per row, so it can resume a page."""

    occurred_at: datetime
    stream: str
    version: int
    leg: int


@dataclass(frozen=True, slots=True)
class LedgerRow:
    entry: LedgerEntry
    place: LedgerPlace


CENT = Decimal("0.01")
COST_PLACES = Decimal("0.0001")

# Both sources answer per (sku, location_id): the sums, and ``last_cost``, the unit_cost_after
# of the latest movement that recorded one by (occurred_at, stream, version, leg).
# Parameters: $1 sku, $2 location_id, $3/$4 the cursor (sku, location_id), $7 as_of.
_CURRENT = """
    SELECT sku, location_id, on_hand, quarantined, reserved, value, unit_cost AS last_cost FROM {levels}
    WHERE ($1::text IS NULL OR sku = $1) AND ($2::text IS NULL OR location_id = $2)
      AND ($3::text IS NULL OR (sku, location_id) > ($3, $4::text))
"""

_AS_OF = """
    SELECT sku, location_id,
           sum(qty_change) AS on_hand, sum(quarantined_change) AS quarantined,
           sum(reserved_change) AS reserved, sum(value_change) AS value,
           (array_agg(unit_cost_after ORDER BY occurred_at DESC, stream DESC, version DESC, leg DESC)
               FILTER (WHERE unit_cost_after IS NOT NULL))[1] AS last_cost
    FROM {movements}
    WHERE occurred_at <= $7 AND ($1::text IS NULL OR sku = $1) AND ($2::text IS NULL OR location_id = $2)
      AND ($3::text IS NULL OR (sku, location_id) > ($3, $4::text))
    GROUP BY sku, location_id
"""

# The pairs listed are those with a stock movement or a PO line (by as_of), and for
# suggestions also those a location's reorder policy names. Reorder quantity comes from
# wherever the reorder point came from.
_STOCK = """
    WITH level AS ({source}),
    ordered AS (
        SELECT line.sku, line.deliver_to AS location_id, sum(move.open_change) AS on_order
        FROM {po_moves} move JOIN {po_lines} line USING (po_id, line_no)
        WHERE ($7::timestamptz IS NULL OR move.occurred_at <= $7)
          AND ($1::text IS NULL OR line.sku = $1) AND ($2::text IS NULL OR line.deliver_to = $2)
          AND ($3::text IS NULL OR (line.sku, line.deliver_to) > ($3, $4::text))
        GROUP BY line.sku, line.deliver_to
    ),
    keys AS (
        SELECT sku, location_id FROM level UNION SELECT sku, location_id FROM ordered
        {policy_keys}
    ),
    stock AS (
        SELECT keys.sku, keys.location_id,
               coalesce(level.on_hand, 0) AS on_hand, coalesce(level.quarantined, 0) AS quarantined,
               coalesce(level.reserved, 0) AS reserved, coalesce(level.value, 0) AS value,
               level.last_cost, coalesce(ordered.on_order, 0) AS on_order
        FROM keys
        LEFT JOIN level ON level.sku = keys.sku AND level.location_id = keys.location_id
        LEFT JOIN ordered ON ordered.sku = keys.sku AND ordered.location_id = keys.location_id
    ),
    pointed AS (
        SELECT stock.*, stock.on_hand - stock.quarantined - stock.reserved AS available,
               coalesce(here.reorder_point, everywhere.reorder_point, product.reorder_point) AS reorder_point,
               CASE WHEN here.sku IS NOT NULL THEN here.reorder_qty
                    WHEN everywhere.sku IS NOT NULL THEN everywhere.reorder_qty
                    ELSE product.reorder_qty END AS reorder_qty
        FROM stock
        LEFT JOIN {policies} here ON here.sku = stock.sku AND here.location_id = stock.location_id
        LEFT JOIN {policies} everywhere ON everywhere.sku = stock.sku AND everywhere.location_id = ''
        LEFT JOIN {products} product ON product.sku = stock.sku
    )
    SELECT pointed.*, available + on_order AS projected,
           coalesce(available <= reorder_point, false) AS below_reorder
    FROM pointed
    WHERE {chosen}
    ORDER BY sku, location_id
    LIMIT $6
"""

_POLICY_KEYS = """
        UNION SELECT sku, location_id FROM {policies}
        WHERE location_id <> '' AND ($1::text IS NULL OR sku = $1)
          AND ($2::text IS NULL OR location_id = $2)
          AND ($3::text IS NULL OR (sku, location_id) > ($3, $4::text))
"""


def unit_cost(on_hand: Decimal, value: Decimal, last_cost: Decimal | None) -> Decimal:
    """The moving average as read: value / on_hand while stock is on hand, else the last
    recorded figure, else 0; half-up to 4 places."""
    if on_hand > 0:
        return (
            Context(prec=80, rounding=ROUND_HALF_UP)
            .divide(value, on_hand)
            .quantize(COST_PLACES, rounding=ROUND_HALF_UP)
        )
    return (last_cost or Decimal(0)).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


def source_of(schema: str, as_of: datetime | None) -> str:
    """The per-(sku, location_id) sums now or at ``as_of`` (parameter $7)."""
    if as_of is None:
        return _CURRENT.format(levels=q(schema, "levels"))
    return _AS_OF.format(movements=q(schema, "movements"))


def _stock_sql(schema: str, as_of: datetime | None, *, chosen: str, policy_keys: str = "") -> str:
    return _STOCK.format(
        source=source_of(schema, as_of),
        po_moves=q(schema, "po_moves"),
        po_lines=q(schema, "po_lines"),
        policy_keys=policy_keys.format(policies=q(schema, "reorder_policies")),
        policies=q(schema, "reorder_policies"),
        products=q(schema, "products"),
        chosen=chosen,
    )


async def levels(
    conn: Connection,
    schema: str,
    *,
    sku: str | None = None,
    location_id: str | None = None,
    below_reorder: bool | None = None,
    as_of: datetime | None = None,
    after: tuple[str, str] | None = None,
    limit: int = 100,
) -> list[InventoryItem]:
    """Levels per (sku, location_id) that had a movement or a PO line (by ``as_of`` when given),
    in id order."""
    sql = _stock_sql(
        schema, as_of, chosen="$5::boolean IS NULL OR coalesce(available <= reorder_point, false) = $5"
    )
    rows = await conn.fetch(
        sql,
        sku,
        location_id,
        after[0] if after else None,
        after[1] if after else None,
        below_reorder,
        limit,
        as_of,
    )
    return [
        InventoryItem(
            sku=r["sku"],
            location_id=r["location_id"],
            on_hand=r["on_hand"],
            quarantined=r["quarantined"],
            reserved=r["reserved"],
            available=r["available"],
            reorder_point=r["reorder_point"],
            below_reorder=r["below_reorder"],
            on_order=r["on_order"],
            projected=r["projected"],
            unit_cost=unit_cost(r["on_hand"], r["value"], r["last_cost"]),
            value=r["value"].quantize(CENT, rounding=ROUND_HALF_UP),
        )
        for r in rows
    ]


async def reordering(
    conn: Connection,
    schema: str,
    *,
    location_id: str | None = None,
    after: tuple[str, str] | None = None,
    limit: int = 100,
) -> list[Reordering]:
    """Pairs with a reorder point whose projected stock is at or below it, in id order."""
    sql = _stock_sql(
        schema,
        None,
        # $5 (below_reorder) is null here; named only so that every parameter has a type.
        chosen="$5::boolean IS NULL AND reorder_point IS NOT NULL AND available + on_order <= reorder_point",
        policy_keys=_POLICY_KEYS,
    )
    rows = await conn.fetch(
        sql, None, location_id, after[0] if after else None, after[1] if after else None, None, limit, None
    )
    return [
        Reordering(
            sku=r["sku"],
            location_id=r["location_id"],
            available=r["available"],
            on_order=r["on_order"],
            projected=r["projected"],
            reorder_point=r["reorder_point"],
            reorder_qty=r["reorder_qty"],
        )
        for r in rows
    ]


async def last_suppliers(conn: Connection, schema: str, skus: list[str]) -> dict[str, str]:
    """Per sku, the supplier of its most recently placed PO (by business time, then po_id)."""
    rows = await conn.fetch(
        f"SELECT DISTINCT ON (sku) sku, supplier_id FROM {q(schema, 'po_lines')} "
        "WHERE sku = ANY($1::text[]) ORDER BY sku, placed_at DESC, po_id DESC",
        skus,
    )
    return {r["sku"]: r["supplier_id"] for r in rows}


_LEDGER = """
    WITH running AS (
        SELECT occurred_at, location_id, type, qty_change, quarantined_change, reserved_change,
               sum(qty_change) OVER (
                   PARTITION BY location_id ORDER BY occurred_at, stream, version, leg
                   ROWS UNBOUNDED PRECEDING
               ) AS on_hand_after,
               value_change,
               sum(value_change) OVER (
                   PARTITION BY location_id ORDER BY occurred_at, stream, version, leg
                   ROWS UNBOUNDED PRECEDING
               ) AS value_after,
               document_id, event_id, stream, version, leg
        FROM {movements}
        WHERE sku = $1 AND ($2::text IS NULL OR location_id = $2)
          AND ($4::timestamptz IS NULL OR occurred_at < $4)
    )
    SELECT * FROM running
    WHERE ($3::timestamptz IS NULL OR occurred_at >= $3)
      AND ($5::timestamptz IS NULL
           OR (occurred_at, stream, version, leg) > ($5, $6::text, $7::integer, $8::smallint))
    ORDER BY occurred_at, stream, version, leg
    LIMIT $9
"""


async def ledger(
    conn: Connection,
    schema: str,
    sku: str,
    *,
    location_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    after: LedgerPlace | None = None,
    limit: int = 100,
) -> list[LedgerRow]:
    """The sku's movements with ``start <= occurred_at < end``; on-hand runs over all earlier ones."""
    rows = await conn.fetch(
        _LEDGER.format(movements=q(schema, "movements")),
        sku,
        location_id,
        start,
        end,
        after.occurred_at if after else None,
        after.stream if after else None,
        after.version if after else None,
        after.leg if after else None,
        limit,
    )
    return [
        LedgerRow(
            LedgerEntry(
                occurred_at=r["occurred_at"],
                location_id=r["location_id"],
                type=r["type"],
                qty_change=r["qty_change"],
                quarantined_change=r["quarantined_change"],
                reserved_change=r["reserved_change"],
                on_hand_after=r["on_hand_after"],
                document_id=r["document_id"],
                event_id=r["event_id"],
                value_change=r["value_change"],
                value_after=r["value_after"],
            ),
            LedgerPlace(r["occurred_at"], r["stream"], r["version"], r["leg"]),
        )
        for r in rows
    ]


async def is_known_sku(conn: Connection, schema: str, sku: str) -> bool:
    """Whether the sku was registered or has had any movement."""
    return bool(
        await conn.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {q(schema, 'products')} WHERE sku = $1) "
            f"OR EXISTS (SELECT 1 FROM {q(schema, 'movements')} WHERE sku = $1)",
            sku,
        )
    )
