"""Status rows: what each projector process says about itself, about once a second.

A process that projects writes one row per projector it owns (position, lag, rate, counts,
its last error, whether it has caught up with the log as it was when the process took the
projection, and who it is) and one row about itself (what it owns, what it waits for, how
its watcher fares). ``GET /v1/projections`` and ``/readyz`` read them from any process; a
row not written for a while is shown as stale: its process is gone or stuck. A process that
stops cleanly marks its rows ``stopped`` and drops its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.projector.bookkeeping import SCHEMA
from ledger.projector.stats import ProjectorStats
from ledger.store import Connection

DDL = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.status (
    projector text PRIMARY KEY,
    projection text NOT NULL,
    version integer NOT NULL,
    live boolean NOT NULL,
    position text NOT NULL,
    lag bigint NOT NULL,
    events_per_second double precision NOT NULL,
    events bigint NOT NULL,
    parked bigint NOT NULL,
    restarts integer NOT NULL,
    retries integer NOT NULL,
    state text NOT NULL,
    last_error text,
    last_error_at timestamptz,
    caught_up_at_start boolean NOT NULL,
    owner text NOT NULL,
    process text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.processes (
    id text PRIMARY KEY,
    prefix text NOT NULL,
    owner text NOT NULL,
    owns text[] NOT NULL,
    waits text[] NOT NULL,
    watcher jsonb NOT NULL,
    started_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
"""

FORGET_AFTER = "1 hour"
"""Rows of processes gone this long are removed by whichever process publishes next."""


@dataclass(frozen=True)
class Process:
    """One projector process (or runtime) of a log, as it last said."""

    id: str
    prefix: str
    owner: str  # host:pid
    owns: list[str]
    waits: list[str]
    watcher: dict[str, Any]
    started_at: datetime


async def publish(
    conn: Connection, process: Process, owned: Sequence[tuple[str, str, ProjectorStats]]
) -> None:
    """Write the rows of ``process`` and of the projectors it owns: (key, prefix:name, stats)."""
    if owned:
        await conn.executemany(
            f"INSERT INTO {SCHEMA}.status AS s (projector, projection, version, live, position, lag, "
            "events_per_second, events, parked, restarts, retries, state, last_error, last_error_at, "
            "caught_up_at_start, owner, process) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
            "ON CONFLICT (projector) DO UPDATE SET projection = $2, version = $3, live = $4, position = $5, "
            "lag = $6, events_per_second = $7, events = $8, parked = $9, restarts = $10, retries = $11, "
            "state = $12, last_error = $13, last_error_at = $14, caught_up_at_start = $15, owner = $16, "
            "process = $17, updated_at = now()",
            [
                (
                    key,
                    projection,
                    s.version,
                    s.live,
                    s.position,
                    s.lag,
                    s.events_per_second,
                    s.events,
                    s.parked,
                    s.restarts,
                    s.retries,
                    s.state,
                    s.last_error,
                    s.last_error_at,
                    s.caught_up_at_start,
                    process.owner,
                    process.id,
                )
                for key, projection, s in owned
            ],
        )
    await conn.execute(
        f"INSERT INTO {SCHEMA}.processes (id, prefix, owner, owns, waits, watcher, started_at) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) ON CONFLICT (id) DO UPDATE SET owns = $4, waits = $5, "
        "watcher = $6::jsonb, updated_at = now()",
        process.id,
        process.prefix,
        process.owner,
        process.owns,
        process.waits,
        json.dumps(process.watcher, default=str),
        process.started_at,
    )
    await conn.execute(
        f"DELETE FROM {SCHEMA}.processes "
        f"WHERE prefix = $1 AND updated_at < now() - interval '{FORGET_AFTER}'",
        process.prefix,
    )


async def withdraw(conn: Connection, process_id: str, keys: Sequence[str]) -> None:
    """A process stopping: its projectors' rows say so, its own row goes."""
    await conn.execute(
        f"UPDATE {SCHEMA}.status SET state = 'stopped', updated_at = now() "
        "WHERE projector = any($1::text[]) AND process = $2",
        list(keys),
        process_id,
    )
    await conn.execute(f"DELETE FROM {SCHEMA}.processes WHERE id = $1", process_id)


async def rows(conn: Connection, keys: Sequence[str], stale_after: float) -> list[dict[str, Any]]:
    """The status rows of ``keys``, each with ``stale``: not written for ``stale_after`` seconds."""
    found = await conn.fetch(
        f"SELECT *, updated_at < now() - make_interval(secs => $2) AS stale "
        f"FROM {SCHEMA}.status WHERE projector = any($1::text[])",
        list(keys),
        stale_after,
    )
    return [dict(r) for r in found]


async def processes(conn: Connection, prefix: str, stale_after: float) -> list[dict[str, Any]]:
    """The processes of a log that wrote their row within ``stale_after`` seconds."""
    found = await conn.fetch(
        "SELECT owner, owns, waits, watcher::text AS watcher, started_at, updated_at "
        f"FROM {SCHEMA}.processes "
        "WHERE prefix = $1 AND updated_at >= now() - make_interval(secs => $2) ORDER BY started_at",
        prefix,
        stale_after,
    )
    return [{**dict(r), "watcher": json.loads(r["watcher"])} for r in found]
