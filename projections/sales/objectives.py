"""The plan's objectives, as tables of the sales read model, which reads the planning area for
its targets already.

They are kept here rather than in a read model of their own because every read model is
projected by a projector process holding pooled connections for it, and ``ledger serve`` on a
small machine must stay well inside PostgreSQL's connections; objectives are a handful of
rows on a topic this model reads anyway. Their reads (which objectives are in force, the
scorecard) live in ``projections.plans``.

``objective_events`` copies every ObjectiveSet and ObjectiveRetired, keyed by the objective
and its stream version, and is only ever inserted into: a redelivered fact changes nothing
and any split of the facts into batches yields the same rows. Which version is in force, and
whether it is retired, is decided at query time for a business time, so one set of rows
answers any ``as_of``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from ledger.envelope import Envelope
from ledger.store import Connection, q
from schemas.planning import ObjectiveRetired, ObjectiveSet

# objective_id, version, occurred_at, retired, title, horizon, period, kpi, target, owner
EventRow = tuple[
    str, int, datetime, bool, str | None, str | None, str | None, str | None, Decimal | None, str | None
]


def ddl(schema: str) -> str:
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


def row_of(event: ObjectiveSet | ObjectiveRetired, envelope: Envelope) -> EventRow:
    at, version = envelope.occurred_at, envelope.version
    if isinstance(event, ObjectiveRetired):
        return (event.objective_id, version, at, True, None, None, None, None, None, None)
    return (event.objective_id, version, at, False, event.title, event.horizon, event.period, event.kpi,
            event.target, event.owner)  # fmt: skip


async def insert(conn: Connection, schema: str, rows: Sequence[EventRow]) -> None:
    if rows:
        await conn.execute(
            f"INSERT INTO {q(schema, 'objective_events')} "
            "SELECT * FROM unnest($1::text[], $2::integer[], $3::timestamptz[], $4::boolean[], "
            "$5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[], $10::text[]) "
            "ON CONFLICT DO NOTHING",
            *[list(column) for column in zip(*rows, strict=True)],
        )
