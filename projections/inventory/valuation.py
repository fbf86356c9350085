"""The stock valuation: on hand, unit cost and value per (sku, location), now or ``as_of``.

Rows with nothing on hand are left out. ``total_value`` sums the whole filtered set, not
one page; a page and its total read the same snapshot when asked in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TypedDict

from ledger.store import Connection, q
from projections.inventory.queries import CENT, source_of, unit_cost


class Valued(TypedDict):
    sku: str
    location_id: str
    on_hand: Decimal
    unit_cost: Decimal
    value: Decimal


@dataclass(frozen=True, slots=True)
class Valuation:
    items: list[Valued]
    total_value: Decimal


# $1 sku (always null), $2 location_id, $3/$4 cursor, $5 category, $6 limit (null: all), $7 as_of.
# The current source does not read $7: _TYPED names it so that its type is known all the same.
_TYPED = "($7::timestamptz IS NULL OR $7::timestamptz IS NOT NULL)"

_VALUED = """
    WITH level AS ({source})
    SELECT level.sku, level.location_id, level.on_hand, level.value, level.last_cost
    FROM level
    WHERE level.on_hand <> 0 AND {typed}
      AND ($5::text IS NULL
           OR EXISTS (SELECT 1 FROM {products} p WHERE p.sku = level.sku AND p.category = $5))
    ORDER BY level.sku, level.location_id
    LIMIT $6
"""

_TOTAL = """
    WITH level AS ({source})
    SELECT coalesce(sum(level.value), 0) FROM level
    WHERE level.on_hand <> 0 AND {typed}
      AND ($5::text IS NULL
           OR EXISTS (SELECT 1 FROM {products} p WHERE p.sku = level.sku AND p.category = $5))
    LIMIT $6
"""


async def valuation(
    conn: Connection,
    schema: str,
    *,
    location_id: str | None = None,
    category: str | None = None,
    as_of: datetime | None = None,
    after: tuple[str, str] | None = None,
    limit: int = 100,
) -> Valuation:
    """One page of valued stock (``limit`` rows after ``after``) and the total of every page."""
    source = source_of(schema, as_of)
    products = q(schema, "products")
    cursor = (after[0], after[1]) if after else (None, None)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await conn.fetch(
            _VALUED.format(source=source, products=products, typed=_TYPED),
            None, location_id, *cursor, category, limit, as_of,
        )  # fmt: skip
        total = await conn.fetchval(
            _TOTAL.format(source=source, products=products, typed=_TYPED),
            None, location_id, None, None, category, None, as_of,
        )  # fmt: skip
    items = [
        Valued(
            sku=r["sku"],
            location_id=r["location_id"],
            on_hand=r["on_hand"],
            unit_cost=unit_cost(r["on_hand"], r["value"], r["last_cost"]),
            value=r["value"].quantize(CENT, rounding=ROUND_HALF_UP),
        )
        for r in rows
    ]
    return Valuation(items, Decimal(total).quantize(CENT, rounding=ROUND_HALF_UP))
