"""The supplier scorecard: delivery of PO lines due in a window, and incoming quality.

Lines are those of POs placed by ``as_of`` whose ``expected_at`` lies in ``[start, end)``,
judged with the receipts and cancellations up to ``as_of``:

- a line received in full by ``as_of`` is complete: in full, on time when the receipt that
  completed it (in business-time order, the one bringing the received sum to the ordered
  quantity) is at or before ``expected_at``; its lead time runs from the PO's placing to
  that receipt;
- a line whose remainder was cancelled is counted, neither on time nor in full;
- a line still open is counted, late and not in full, once ``as_of`` is past its
  ``expected_at``; until then it is not counted at all.

Inspections are the incoming inspections recorded (by business time) in ``[start, end)``, up
to ``as_of``, of lots received from the supplier; a lot received from a supplier is a
receipt's ``lot_id``, or its ``receipt_id`` when it named none. Rejected lots count lots with
an inspection that rejected them. A supplier with no counted line and no such inspection is
left out; a figure with nothing to measure is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

import asyncpg

from ledger.store import Connection, q

_HUNDRED: Final = Decimal(100)
_SECONDS_PER_DAY: Final = Decimal(86400)


@dataclass(frozen=True, slots=True)
class Window:
    """``[start, end)`` of business time (``None``: unbounded) judged at ``as_of``."""

    start: datetime | None
    end: datetime | None
    as_of: datetime


def _sql(schema: str) -> str:
    """$1 as_of, $2 start, $3 end, $4 the supplier the previous page ended on, $5 limit."""
    orders, lines, receipts = q(schema, "orders"), q(schema, "order_lines"), q(schema, "receipts")
    cancellations, cancelled = q(schema, "cancellations"), q(schema, "cancelled_lines")
    lot_receipts, inspections = q(schema, "lot_receipts"), q(schema, "inspections")
    return f"""
    WITH due AS (
        SELECT o.supplier_id, o.placed_at, o.expected_at, l.ordered,
               coalesce((SELECT sum(r.qty) FROM {receipts} r
                         WHERE r.po_id = l.po_id AND r.po_line = l.line_no AND r.occurred_at <= $1), 0)
                   AS received,
               coalesce((SELECT sum(c.qty) FROM {cancelled} c
                         JOIN {cancellations} k ON k.po_id = c.po_id AND k.version = c.version
                         WHERE c.po_id = l.po_id AND c.line_no = l.line_no AND k.occurred_at <= $1), 0)
                   AS cancelled,
               (SELECT min(s.occurred_at) FROM (
                    SELECT r.occurred_at,
                           sum(r.qty) OVER (ORDER BY r.occurred_at, r.version) AS running
                    FROM {receipts} r
                    WHERE r.po_id = l.po_id AND r.po_line = l.line_no AND r.occurred_at <= $1
                ) s WHERE s.running >= l.ordered) AS completed_at
        FROM {orders} o JOIN {lines} l ON l.po_id = o.po_id
        WHERE o.placed_at <= $1
          AND ($2::timestamptz IS NULL OR o.expected_at >= $2)
          AND ($3::timestamptz IS NULL OR o.expected_at < $3)
          AND ($4::text IS NULL OR o.supplier_id > $4)
    ), counted AS (
        SELECT d.*, d.cancelled = 0 AND d.completed_at IS NOT NULL AS complete
        FROM due d
        WHERE d.cancelled > 0 OR d.completed_at IS NOT NULL OR $1 > d.expected_at
    ), delivery AS (
        SELECT supplier_id,
               count(*) AS lines,
               count(*) FILTER (WHERE complete AND completed_at <= expected_at) AS on_time,
               count(*) FILTER (WHERE complete) AS in_full,
               count(*) FILTER (WHERE complete AND completed_at <= expected_at) AS otif,
               sum(extract(epoch FROM completed_at - placed_at)) FILTER (WHERE complete) AS lead_seconds
        FROM counted GROUP BY supplier_id
    ), inspected AS (
        SELECT DISTINCT r.supplier_id, i.inspection_id, i.lot_id, i.sample_size, i.defective_units,
               i.disposition
        FROM {inspections} i JOIN {lot_receipts} r ON r.lot_id = i.lot_id
        WHERE i.occurred_at <= $1
          AND ($2::timestamptz IS NULL OR i.occurred_at >= $2)
          AND ($3::timestamptz IS NULL OR i.occurred_at < $3)
          AND ($4::text IS NULL OR r.supplier_id > $4)
    ), quality AS (
        SELECT supplier_id,
               sum(sample_size) AS inspected_units,
               sum(defective_units) AS defective_units,
               count(DISTINCT lot_id) FILTER (WHERE disposition = 'reject') AS rejected_lots
        FROM inspected GROUP BY supplier_id
    )
    SELECT coalesce(d.supplier_id, i.supplier_id) AS supplier_id,
           coalesce(d.lines, 0) AS lines, coalesce(d.on_time, 0) AS on_time,
           coalesce(d.in_full, 0) AS in_full, coalesce(d.otif, 0) AS otif, d.lead_seconds,
           coalesce(i.inspected_units, 0) AS inspected_units,
           coalesce(i.defective_units, 0) AS defective_units,
           coalesce(i.rejected_lots, 0) AS rejected_lots
    FROM delivery d FULL JOIN quality i ON i.supplier_id = d.supplier_id
    ORDER BY 1
    LIMIT $5
    """


def _share(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else (_HUNDRED * part / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)


async def _counted(
    conn: Connection, schema: str, window: Window, *, after: str | None, limit: int | None
) -> list[asyncpg.Record]:
    return list(await conn.fetch(_sql(schema), window.as_of, window.start, window.end, after, limit))


async def otif_pct_of(conn: Connection, schema: str, window: Window) -> Decimal | None:
    """The scorecard's ``otif_pct`` over every supplier's lines at once (the plan's supplier
    OTIF): the lines each supplier's figure counts, summed; None with none counted."""
    rows = await _counted(conn, schema, window, after=None, limit=None)
    return _share(sum(int(r["otif"]) for r in rows), sum(int(r["lines"]) for r in rows))


async def scorecard(
    conn: Connection, schema: str, window: Window, *, after: str | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` suppliers after ``after``, in supplier id order, with their figures."""
    rows = await _counted(conn, schema, window, after=after, limit=limit)
    items = []
    for row in rows:
        lines, in_full = int(row["lines"]), int(row["in_full"])
        inspected, defective = int(row["inspected_units"]), int(row["defective_units"])
        lead = (
            None
            if in_full == 0
            else (Decimal(row["lead_seconds"]) / (_SECONDS_PER_DAY * in_full)).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            )
        )
        items.append(
            {
                "supplier_id": row["supplier_id"],
                "lines": lines,
                "on_time_pct": _share(int(row["on_time"]), lines),
                "in_full_pct": _share(in_full, lines),
                "otif_pct": _share(int(row["otif"]), lines),
                "lead_time_days": lead,
                "inspected_units": inspected,
                "defective_units": defective,
                "defect_rate": (
                    None
                    if inspected == 0
                    else (Decimal(defective) / inspected).quantize(Decimal("0.000001"), ROUND_HALF_UP)
                ),
                "rejected_lots": int(row["rejected_lots"]),
            }
        )
    return items
