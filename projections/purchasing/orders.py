"""Purchase orders as they stood at a business time: lines, status, amount and overdue.

Judged at ``as_of`` (only facts whose business time is at or before it count): a PO placed
after it does not exist yet; a line's ``received`` and ``cancelled`` sum the receipts and
cancellations up to it, and ``open`` is what is left of ``ordered``. The status is
``cancelled`` once a cancellation counts (even after partial receipts), else ``open`` while
any line has quantity open, else ``received``. A PO is overdue when it is open and ``as_of``
is past its ``expected_at``. ``amount`` is the ordered amount at the PO's costs, as placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ledger.store import Connection, q

STATUSES: Final = ("open", "received", "cancelled")


@dataclass(frozen=True, slots=True)
class OrderFilters:
    """Which POs a page holds; ``None`` does not filter. ``after`` is the po id the previous
    page ended on."""

    status: str | None = None
    supplier_id: str | None = None
    overdue: bool | None = None
    after: str | None = None


def _sql(schema: str) -> str:
    """$1 as_of, $2 status, $3 supplier, $4 overdue, $5 after, $6 limit."""
    orders, lines, receipts = q(schema, "orders"), q(schema, "order_lines"), q(schema, "receipts")
    cancellations, cancelled = q(schema, "cancellations"), q(schema, "cancelled_lines")
    return f"""
    WITH placed AS (
        SELECT o.*, EXISTS (
                   SELECT 1 FROM {cancellations} k WHERE k.po_id = o.po_id AND k.occurred_at <= $1
               ) AS was_cancelled
        FROM {orders} o
        WHERE o.placed_at <= $1
          AND ($3::text IS NULL OR o.supplier_id = $3)
          AND ($5::text IS NULL OR o.po_id > $5)
    ), counted AS (
        SELECT l.po_id, l.line_no, l.sku, l.ordered,
               coalesce((SELECT sum(r.qty) FROM {receipts} r
                         WHERE r.po_id = l.po_id AND r.po_line = l.line_no AND r.occurred_at <= $1), 0)
                   AS received,
               coalesce((SELECT sum(c.qty) FROM {cancelled} c
                         JOIN {cancellations} k ON k.po_id = c.po_id AND k.version = c.version
                         WHERE c.po_id = l.po_id AND c.line_no = l.line_no AND k.occurred_at <= $1), 0)
                   AS cancelled
        FROM {lines} l JOIN placed p ON p.po_id = l.po_id
    ), judged AS (
        SELECT p.po_id, p.supplier_id, p.deliver_to, p.expected_at, p.total,
               CASE WHEN p.was_cancelled THEN 'cancelled'
                    WHEN bool_or(c.ordered - c.received - c.cancelled > 0) THEN 'open'
                    ELSE 'received' END AS status
        FROM placed p JOIN counted c ON c.po_id = p.po_id
        GROUP BY p.po_id, p.supplier_id, p.deliver_to, p.expected_at, p.total, p.was_cancelled
    ), page AS (
        SELECT j.*, (j.status = 'open' AND $1 > j.expected_at) AS overdue
        FROM judged j
        WHERE ($2::text IS NULL OR j.status = $2)
          AND ($4::boolean IS NULL OR (j.status = 'open' AND $1 > j.expected_at) = $4)
        ORDER BY j.po_id
        LIMIT $6
    )
    SELECT p.po_id, p.supplier_id, p.deliver_to, p.expected_at, p.total, p.status, p.overdue,
           c.line_no, c.sku, c.ordered, c.received, c.cancelled,
           c.ordered - c.received - c.cancelled AS open
    FROM page p JOIN counted c ON c.po_id = p.po_id
    ORDER BY p.po_id, c.line_no
    """


async def purchase_orders(
    conn: Connection, schema: str, *, as_of: datetime, filters: OrderFilters, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` POs in po id order, each with its lines, as they stood at ``as_of``."""
    rows = await conn.fetch(
        _sql(schema), as_of, filters.status, filters.supplier_id, filters.overdue, filters.after, limit
    )
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        po = found.get(row["po_id"])
        if po is None:
            po = found[row["po_id"]] = {
                "po_id": row["po_id"],
                "supplier_id": row["supplier_id"],
                "deliver_to": row["deliver_to"],
                "expected_at": row["expected_at"],
                "status": row["status"],
                "amount": row["total"],
                "lines": [],
                "overdue": row["overdue"],
            }
        po["lines"].append(
            {
                "line_no": row["line_no"],
                "sku": row["sku"],
                "ordered": row["ordered"],
                "received": row["received"],
                "cancelled": row["cancelled"],
                "open": row["open"],
            }
        )
    return list(found.values())
