"""Queries of the inventory read model: levels (now or at a business time) and the stock ledger.

Reorder points are joined here, at query time: the latest policy for the sku at the location
wins over the latest product-wide policy, which wins over the product's registered point.
Ledger rows run in business-time order, ties broken by the event's place in its stream and,
within a transfer, source before destination; the running on-hand of a location is a window
sum in that order, so a back-dated movement moves every later row's ``on_hand_after``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
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


_CURRENT = """
    SELECT sku, location_id, on_hand, quarantined, reserved FROM {levels}
    WHERE ($1::text IS NULL OR sku = $1) AND ($2::text IS NULL OR location_id = $2)
      AND ($3::text IS NULL OR (sku, location_id) > ($3, $4::text))
"""

_AS_OF = """
    SELECT sku, location_id,
           sum(qty_change) AS on_hand, sum(quarantined_change) AS quarantined,
           sum(reserved_change) AS reserved
    FROM {movements}
    WHERE occurred_at <= $7 AND ($1::text IS NULL OR sku = $1) AND ($2::text IS NULL OR location_id = $2)
      AND ($3::text IS NULL OR (sku, location_id) > ($3, $4::text))
    GROUP BY sku, location_id
"""

_LEVELS = """
    WITH level AS ({source}),
    pointed AS (
        SELECT level.*, level.on_hand - level.quarantined - level.reserved AS available,
               coalesce(here.reorder_point, everywhere.reorder_point, product.reorder_point) AS reorder_point
        FROM level
        LEFT JOIN {policies} here ON here.sku = level.sku AND here.location_id = level.location_id
        LEFT JOIN {policies} everywhere ON everywhere.sku = level.sku AND everywhere.location_id = ''
        LEFT JOIN {products} product ON product.sku = level.sku
    )
    SELECT sku, location_id, on_hand, quarantined, reserved, available, reorder_point,
           coalesce(available <= reorder_point, false) AS below_reorder
    FROM pointed
    WHERE $5::boolean IS NULL OR coalesce(available <= reorder_point, false) = $5
    ORDER BY sku, location_id
    LIMIT $6
"""


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
    """Levels per (sku, location_id) that had a movement (by ``as_of`` when given), in id order."""
    if as_of is None:
        source = _CURRENT.format(levels=q(schema, "levels"))
    else:
        source = _AS_OF.format(movements=q(schema, "movements"))
    sql = _LEVELS.format(
        source=source, policies=q(schema, "reorder_policies"), products=q(schema, "products")
    )
    args: list[object] = [
        sku,
        location_id,
        after[0] if after else None,
        after[1] if after else None,
        below_reorder,
        limit,
    ]
    if as_of is not None:
        args.append(as_of)
    rows = await conn.fetch(sql, *args)
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
        )
        for r in rows
    ]


_LEDGER = """
    WITH running AS (
        SELECT occurred_at, location_id, type, qty_change, quarantined_change, reserved_change,
               sum(qty_change) OVER (
                   PARTITION BY location_id ORDER BY occurred_at, stream, version, leg
                   ROWS UNBOUNDED PRECEDING
               ) AS on_hand_after,
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
