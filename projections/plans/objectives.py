"""The plan's objectives in force at a business time, read from the sales read model's
``objective_events`` (``projections.sales.objectives``).

At ``as_of`` an objective is its highest stream version among the facts that occurred by
then: a later ``set-objective`` replaces the earlier, a retirement leaves it out until a
later one brings it back, and one set after ``as_of`` is not there yet. Stream versions are
the order the writer decided in, the same on any replay, so the choice never depends on how
the log was read (two facts of one business time still have one order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ledger.store import Connection, q


@dataclass(frozen=True, slots=True)
class Objective:
    objective_id: str
    title: str
    horizon: str
    period: str
    kpi: str
    target: Decimal
    owner: str | None


@dataclass(frozen=True, slots=True)
class Selection:
    """Which objectives: of a horizon and of exactly a period (None: any), after the objective
    id the previous page ended on."""

    horizon: str | None = None
    period: str | None = None
    after: str | None = None


async def objectives(
    conn: Connection, schema: str, *, as_of: datetime, selection: Selection, limit: int | None
) -> list[Objective]:
    """Up to ``limit`` objectives in force at ``as_of``, by objective id (byte order)."""
    rows = await conn.fetch(
        f"""
        SELECT * FROM (
            SELECT DISTINCT ON (objective_id) *
            FROM {q(schema, "objective_events")}
            WHERE occurred_at <= $1
            ORDER BY objective_id, version DESC
        ) latest
        WHERE NOT retired
          AND ($2::text IS NULL OR horizon = $2)
          AND ($3::text IS NULL OR period = $3)
          AND ($4::text IS NULL OR objective_id COLLATE "C" > $4)
        ORDER BY objective_id COLLATE "C"
        LIMIT $5
        """,
        as_of,
        selection.horizon,
        selection.period,
        selection.after,
        limit,
    )
    return [
        Objective(r["objective_id"], r["title"], r["horizon"], r["period"], r["kpi"], r["target"], r["owner"])
        for r in rows
    ]
