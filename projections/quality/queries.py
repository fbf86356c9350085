"""The quality read model's queries: defect trends, the p-chart, the Pareto and complaint rates.

Buckets are calendar days, ISO weeks (from Monday) or months of business time in the ledger's
time zone, named by their local start. Only buckets with something in them are answered.
An inspection's supplier is its own ``supplier_id`` or, when it names none, any supplier of a
receipt of its lot (the receipt's ``lot_id``, or the lot a receipt without one was quarantined
as); the join happens here, at query time, since the facts arrive on different streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from ledger.store import Connection, q
from projections.quality.pchart import Chart, Subgroup, p_chart, rounded

Bucket = Literal["day", "week", "month"]
ChartSubgroup = Literal["inspection", "day", "week"]

SHARE_PLACES: Final = Decimal("0.0001")
RATE_PLACES: Final = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Filters:
    """Which inspections count; ``start`` is inclusive, ``end`` exclusive (business time)."""

    sku: str | None = None
    supplier_id: str | None = None
    stage: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def args(self) -> tuple[Any, ...]:
        return (self.sku, self.supplier_id, self.stage, self.start, self.end)


def _where(schema: str) -> str:
    """The condition on ``inspections i`` for ``Filters.args()`` as $1 to $5."""
    receipts, quarantines = q(schema, "receipts"), q(schema, "quarantines")
    return f"""
        ($1::text IS NULL OR i.sku = $1)
        AND ($3::text IS NULL OR i.stage = $3)
        AND ($4::timestamptz IS NULL OR i.occurred_at >= $4)
        AND ($5::timestamptz IS NULL OR i.occurred_at < $5)
        AND ($2::text IS NULL OR i.supplier_id = $2 OR (i.supplier_id IS NULL AND (
            EXISTS (SELECT 1 FROM {receipts} r WHERE r.lot_id = i.lot_id AND r.supplier_id = $2)
            OR EXISTS (
                SELECT 1 FROM {quarantines} z
                JOIN {receipts} r ON r.stream = z.stream AND r.receipt_id = z.receipt_id
                WHERE z.lot_id = i.lot_id AND r.supplier_id = $2
            )
        )))
    """


def _local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def _plain(value: Decimal) -> Decimal:
    """A quantity without trailing zeros (``12.500000`` reads ``12.5``), never in exponent form."""
    return value.normalize() if value != value.to_integral_value() else value.quantize(Decimal(1))


_COUNTS: Final = """
    count(*) AS inspections,
    coalesce(sum(i.sample_size), 0) AS inspected_units,
    coalesce(sum(i.defective_units), 0) AS defective_units,
    count(DISTINCT i.lot_id) FILTER (WHERE i.disposition = 'reject') AS rejected_lots
"""
"""What a trend's bucket counts, over ``inspections i``: the same whether bucketed or not."""


def defect_rate(defective: int, inspected: int, places: Decimal) -> Decimal | None:
    """Defective over inspected units, rounded half-up to ``places``; None with none inspected."""
    return None if inspected == 0 else rounded(Decimal(defective) / Decimal(inspected), places)


@dataclass(frozen=True, slots=True)
class Inspected:
    """What the selected inspections add up to, unbucketed."""

    inspections: int
    inspected_units: int
    defective_units: int
    rejected_lots: int


async def inspected(conn: Connection, schema: str, filters: Filters) -> Inspected:
    """A trend's figures over the whole selection at once (the plan's defect rate)."""
    row = await conn.fetchrow(
        f"SELECT {_COUNTS} FROM {q(schema, 'inspections')} i WHERE {_where(schema)}", *filters.args()
    )
    assert row is not None  # an aggregate always has a row
    fields = ("inspections", "inspected_units", "defective_units", "rejected_lots")
    return Inspected(*(int(row[k]) for k in fields))


async def trends(
    conn: Connection, schema: str, filters: Filters, bucket: Bucket, timezone: str
) -> list[dict[str, Any]]:
    """Per bucket: inspections, units inspected and defective, the defect rate, lots rejected."""
    rows = await conn.fetch(
        f"""
        SELECT date_trunc($6, i.occurred_at, $7) AS bucket, {_COUNTS}
        FROM {q(schema, "inspections")} i
        WHERE {_where(schema)}
        GROUP BY 1 ORDER BY 1
        """,
        *filters.args(),
        bucket,
        timezone,
    )
    return [
        {
            "bucket": _local(row["bucket"], timezone),
            "inspections": row["inspections"],
            "inspected_units": row["inspected_units"],
            "defective_units": row["defective_units"],
            "defect_rate": defect_rate(row["defective_units"], row["inspected_units"], SHARE_PLACES),
            "rejected_lots": row["rejected_lots"],
        }
        for row in rows
    ]


async def control_chart(
    conn: Connection, schema: str, filters: Filters, subgroup: ChartSubgroup, timezone: str
) -> Chart:
    """The p-chart of the selected inspections, one point per inspection or per bucket."""
    table = q(schema, "inspections")
    if subgroup == "inspection":
        rows = await conn.fetch(
            f"""
            SELECT i.inspection_id AS key, i.sample_size AS n, i.defective_units AS defective
            FROM {table} i WHERE {_where(schema)}
            ORDER BY i.occurred_at, i.recorded_at, i.inspection_id COLLATE "C"
            """,
            *filters.args(),
        )
        subgroups = [Subgroup(row["key"], row["n"], row["defective"]) for row in rows]
    else:
        rows = await conn.fetch(
            f"""
            SELECT date_trunc($6, i.occurred_at, $7) AS key,
                   sum(i.sample_size) AS n, sum(i.defective_units) AS defective
            FROM {table} i WHERE {_where(schema)}
            GROUP BY 1 ORDER BY 1
            """,
            *filters.args(),
            subgroup,
            timezone,
        )
        subgroups = [Subgroup(_local(row["key"], timezone), row["n"], row["defective"]) for row in rows]
    return p_chart(subgroups)


async def pareto(conn: Connection, schema: str, filters: Filters) -> list[dict[str, Any]]:
    """Defect categories, largest count first (ties by name), with their share and running share."""
    rows = await conn.fetch(
        f"""
        WITH categories AS (
            SELECT d.category, sum(d.count) AS count
            FROM {q(schema, "inspection_defects")} d
            JOIN {q(schema, "inspections")} i ON i.inspection_id = d.inspection_id
            WHERE {_where(schema)}
            GROUP BY d.category
            HAVING sum(d.count) > 0
        )
        SELECT category, count,
               sum(count) OVER (ORDER BY count DESC, category COLLATE "C") AS running,
               sum(count) OVER () AS total
        FROM categories
        ORDER BY count DESC, category COLLATE "C"
        """,
        *filters.args(),
    )
    return [
        {
            "category": row["category"],
            "count": int(row["count"]),
            "share": rounded(row["count"] / row["total"], SHARE_PLACES),
            "cumulative_share": rounded(row["running"] / row["total"], SHARE_PLACES),
        }
        for row in rows
    ]


async def complaint_rate(
    conn: Connection, schema: str, sku: str | None, bucket: Bucket, timezone: str
) -> list[dict[str, Any]]:
    """Per bucket: complaints filed, units shipped, and complaints per thousand units shipped.

    With ``sku``, only complaints naming that sku and only shipped lines of it count.
    """
    rows = await conn.fetch(
        f"""
        WITH filed AS (
            SELECT date_trunc($2, occurred_at, $3) AS bucket, count(*) AS complaints
            FROM {q(schema, "complaints")}
            WHERE $1::text IS NULL OR sku = $1
            GROUP BY 1
        ), shipped AS (
            SELECT date_trunc($2, occurred_at, $3) AS bucket, sum(qty) AS units
            FROM {q(schema, "shipped_lines")}
            WHERE $1::text IS NULL OR sku = $1
            GROUP BY 1
        )
        SELECT bucket, coalesce(filed.complaints, 0) AS complaints, coalesce(shipped.units, 0) AS units
        FROM filed FULL JOIN shipped USING (bucket)
        ORDER BY bucket
        """,
        sku,
        bucket,
        timezone,
    )
    return [
        {
            "bucket": _local(row["bucket"], timezone),
            "complaints": row["complaints"],
            "units_shipped": _plain(row["units"]),
            "per_thousand": (
                rounded(Decimal(row["complaints"]) * 1000 / row["units"], RATE_PLACES)
                if row["units"] > 0
                else None
            ),
        }
        for row in rows
    ]
