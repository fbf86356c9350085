"""Online rebuilds asked for in the database, carried out by the projection's owner.

``POST /v1/projections/{name}/rebuild`` may land on any API process, none of which projects;
it records a request here (one running per projection: a unique index says so) and the
process that owns the projection picks it up within a second (``ledger.projector.online``),
writing its state and progress back into the row, which ``GET`` reads. The row also says
when the replaced tables may be dropped, so that whoever owns the projection then drops
them, even after the process that swapped them in has gone.

States: ``requested`` (no owner has taken it yet), ``building``, ``swapping``, then
``swapped`` or ``failed`` (with the error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.projector.bookkeeping import SCHEMA
from ledger.store import Connection

DDL = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.rebuilds (
    id bigserial PRIMARY KEY,
    projection text NOT NULL,
    version integer NOT NULL,
    schema_name text NOT NULL,
    scratch text NOT NULL,
    state text NOT NULL DEFAULT 'requested',
    replaced text,
    events bigint NOT NULL DEFAULT 0,
    lag bigint,
    parked bigint NOT NULL DEFAULT 0,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    error text,
    owner text,
    grace_s double precision NOT NULL,
    drop_at timestamptz,
    dropped boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS rebuilds_running
    ON {SCHEMA}.rebuilds (projection) WHERE state IN ('requested', 'building', 'swapping');
"""

RUNNING = ("requested", "building", "swapping")


@dataclass(frozen=True)
class Request:
    id: int
    projection: str  # prefix:name
    version: int
    schema: str
    scratch: str
    state: str
    replaced: str | None  # the live tables it replaces, once it is swapping


def _request(row: Any) -> Request:
    return Request(
        row["id"],
        row["projection"],
        row["version"],
        row["schema_name"],
        row["scratch"],
        row["state"],
        row["replaced"],
    )


async def ask(
    conn: Connection, projection: str, version: int, schema: str, scratch: str, by: str, grace: float
) -> dict[str, Any] | None:
    """Record a request; None while another of the same projection runs."""
    row = await conn.fetchrow(
        f"INSERT INTO {SCHEMA}.rebuilds (projection, version, schema_name, scratch, requested_by, grace_s) "
        "VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (projection) WHERE state IN ('requested', 'building', 'swapping') "
        "DO NOTHING RETURNING *",
        projection,
        version,
        schema,
        scratch,
        by,
        grace,
    )
    return None if row is None else dict(row)


async def latest(conn: Connection, projection: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT * FROM {SCHEMA}.rebuilds WHERE projection = $1 ORDER BY id DESC LIMIT 1", projection
    )
    return None if row is None else dict(row)


async def pending(conn: Connection, projections: list[str]) -> list[Request]:
    """Requests of these projections that are not finished: new ones, and any that a previous
    owner left half-done when it died."""
    rows = await conn.fetch(
        f"SELECT * FROM {SCHEMA}.rebuilds WHERE projection = any($1::text[]) "
        "AND state IN ('requested', 'building', 'swapping') ORDER BY id",
        projections,
    )
    return [_request(r) for r in rows]


async def update(conn: Connection, request_id: int, **values: object) -> None:
    """Set some columns of a request (names from this module only, never from input)."""
    names = list(values)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    await conn.execute(
        f"UPDATE {SCHEMA}.rebuilds SET {assignments}, updated_at = now() WHERE id = $1",
        request_id,
        *values.values(),
    )


async def swapped(conn: Connection, request_id: int, replaced: str | None) -> None:
    """The hand-over committed: the replaced tables go once the grace period is over."""
    await conn.execute(
        f"UPDATE {SCHEMA}.rebuilds SET state = 'swapped', replaced = $2, finished_at = now(), "
        "drop_at = now() + make_interval(secs => grace_s), dropped = $2::text IS NULL, updated_at = now() "
        "WHERE id = $1",
        request_id,
        replaced,
    )


async def due_drops(conn: Connection, projections: list[str]) -> list[tuple[int, str]]:
    """Replaced tables whose grace period is over: (request id, schema)."""
    rows = await conn.fetch(
        f"SELECT id, replaced FROM {SCHEMA}.rebuilds WHERE projection = any($1::text[]) "
        "AND state = 'swapped' AND NOT dropped AND replaced IS NOT NULL AND drop_at <= now()",
        projections,
    )
    return [(r["id"], r["replaced"]) for r in rows]
