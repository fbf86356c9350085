"""The plans read model's table and how a batch of objective facts lands in it.

``objective_events`` copies every ObjectiveSet and ObjectiveRetired, keyed by the objective
and its stream version, and is only ever inserted into: a redelivered fact changes nothing
and any split of the facts into batches yields the same rows. Which version of an objective
is in force, and whether it is retired, is decided by the query at a business time (see
``objectives``), so one set of rows answers any ``as_of``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from ledger.store import Connection, Fact, q
from schemas import event_types
from schemas.planning import ObjectiveRetired, ObjectiveSet

# objective_id, version, occurred_at, retired, title, horizon, period, kpi, target, owner
EventRow = tuple[
    str, int, datetime, bool, str | None, str | None, str | None, str | None, Decimal | None, str | None
]


class Plans:
    """Objectives live in the planning area, beside sales targets; they are a model of their own
    (not tables of the sales read model, which reads planning too) so that the plan's rows
    rebuild in a moment without rebuilding the sales totals, and the sales model's version
    stays as it is."""

    name: ClassVar[str] = "plans"
    version: ClassVar[int] = 1
    areas: ClassVar[tuple[str, ...]] = ("planning",)
    event_types: ClassVar[frozenset[str]] = event_types(ObjectiveSet, ObjectiveRetired)

    def ddl(self, schema: str) -> str:
        return f"""
        CREATE TABLE IF NOT EXISTS {q(schema, "objective_events")} (
            objective_id text NOT NULL,
            version integer NOT NULL,
            occurred_at timestamptz NOT NULL,
            retired boolean NOT NULL,
            title text,
            horizon text,
            period text,
            kpi text,
            target numeric,
            owner text,
            PRIMARY KEY (objective_id, version),
            CHECK (retired OR (title IS NOT NULL AND horizon IS NOT NULL AND period IS NOT NULL
                               AND kpi IS NOT NULL AND target IS NOT NULL))
        );
        """

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        rows: list[EventRow] = []
        for fact in facts:
            event, envelope = fact.event, fact.envelope
            at, version = envelope.occurred_at, envelope.version
            match event:
                case ObjectiveSet():
                    rows.append((event.objective_id, version, at, False, event.title, event.horizon,
                                 event.period, event.kpi, event.target, event.owner))  # fmt: skip
                case ObjectiveRetired():
                    rows.append((event.objective_id, version, at, True, None, None, None, None, None, None))
        if rows:
            await conn.execute(
                f"INSERT INTO {q(schema, 'objective_events')} "
                "SELECT * FROM unnest($1::text[], $2::integer[], $3::timestamptz[], $4::boolean[], "
                "$5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[], $10::text[]) "
                "ON CONFLICT DO NOTHING",
                *[list(column) for column in zip(*rows, strict=True)],
            )
