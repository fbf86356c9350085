"""The runtime's own tables: checkpoints, parked messages, and which schema is live.

A checkpoint is written in the same transaction as the read-model rows it covers, so after
any crash the tables and the checkpoint agree and replay resumes exactly where they stop.
It records the identity of the log it is a position in: tables built from one log are never
resumed on another made afresh under the same name.
"""

from __future__ import annotations

from ledger.log import Position
from ledger.store import Connection

SCHEMA = "ledger_projections"

DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.checkpoints (
    projector text PRIMARY KEY,
    position text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE {SCHEMA}.checkpoints ADD COLUMN IF NOT EXISTS log_id text;
CREATE TABLE IF NOT EXISTS {SCHEMA}.parked (
    projector text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    stream text NOT NULL,
    event_id text,
    event_type text,
    reason text NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projector, topic, partition, "offset")
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.live (
    projection text PRIMARY KEY,
    schema_name text NOT NULL,
    version integer NOT NULL,
    swapped_at timestamptz NOT NULL DEFAULT now()
);
"""


async def setup(conn: Connection) -> None:
    await conn.execute("SELECT pg_advisory_lock(hashtext('ledger_projections_ddl'))")
    try:
        await conn.execute(DDL)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext('ledger_projections_ddl'))")


async def load_checkpoint(conn: Connection, projector: str) -> Position:
    token = await conn.fetchval(f"SELECT position FROM {SCHEMA}.checkpoints WHERE projector = $1", projector)
    return Position.empty() if token is None else Position.from_token(token, limit=None)


async def checkpoint_log(conn: Connection, projector: str) -> str | None:
    """The identity of the log the checkpoint is a position in; None for no checkpoint, or
    one stored before identities were."""
    log_id = await conn.fetchval(f"SELECT log_id FROM {SCHEMA}.checkpoints WHERE projector = $1", projector)
    return None if log_id is None else str(log_id)


async def stamp_checkpoint(conn: Connection, projector: str, log_id: str) -> None:
    """Record that the checkpoint is a position in the log ``log_id`` (offset 0 when there is none)."""
    await conn.execute(
        f"INSERT INTO {SCHEMA}.checkpoints (projector, position, log_id) VALUES ($1, $2, $3) "
        "ON CONFLICT (projector) DO UPDATE SET log_id = $3",
        projector,
        Position.empty().token(),
        log_id,
    )


async def save_checkpoint(conn: Connection, projector: str, position: Position) -> None:
    await conn.execute(
        f"INSERT INTO {SCHEMA}.checkpoints (projector, position) VALUES ($1, $2) "
        "ON CONFLICT (projector) DO UPDATE SET position = $2, updated_at = now()",
        projector,
        position.token(),
    )


async def parked_streams(conn: Connection, projector: str) -> set[str]:
    rows = await conn.fetch(f"SELECT DISTINCT stream FROM {SCHEMA}.parked WHERE projector = $1", projector)
    return {r["stream"] for r in rows}


async def park(
    conn: Connection,
    projector: str,
    rows: list[tuple[str, int, int, str, str | None, str | None, str]],
) -> None:
    """Park (topic, partition, offset, stream, event_id, type, reason) rows; idempotent."""
    await conn.executemany(
        f"INSERT INTO {SCHEMA}.parked "
        '(projector, topic, partition, "offset", stream, event_id, event_type, reason) '
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        [(projector, *row) for row in rows],
    )


async def live_schema(conn: Connection, projection: str) -> tuple[str, int] | None:
    row = await conn.fetchrow(
        f"SELECT schema_name, version FROM {SCHEMA}.live WHERE projection = $1", projection
    )
    return None if row is None else (row["schema_name"], row["version"])


async def set_live(conn: Connection, projection: str, schema: str, version: int) -> None:
    await conn.execute(
        f"INSERT INTO {SCHEMA}.live (projection, schema_name, version) VALUES ($1, $2, $3) "
        "ON CONFLICT (projection) DO UPDATE SET schema_name = $2, version = $3, swapped_at = now()",
        projection,
        schema,
        version,
    )


async def parked_count(conn: Connection, projector: str) -> int:
    return int(await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.parked WHERE projector = $1", projector))


async def hand_over(
    conn: Connection, projection: str, schema: str, version: int, source: str, target: str
) -> tuple[str, int] | None:
    """Make ``schema`` the live tables of ``projection``: projector ``source``'s checkpoint and
    parked messages (those of a rebuild into ``schema``) become projector ``target``'s, whose
    own are dropped. Run it inside a transaction; answers the live row it replaced."""
    previous = await live_schema(conn, projection)
    for table in ("checkpoints", "parked"):
        await conn.execute(f"DELETE FROM {SCHEMA}.{table} WHERE projector = $1", target)
        await conn.execute(f"UPDATE {SCHEMA}.{table} SET projector = $2 WHERE projector = $1", source, target)
    await set_live(conn, projection, schema, version)
    return previous


async def forget(conn: Connection, projector: str) -> None:
    """Drop a finished scratch projector's checkpoint and parked messages."""
    for table in ("checkpoints", "parked"):
        await conn.execute(f"DELETE FROM {SCHEMA}.{table} WHERE projector = $1", projector)


async def parked_rows(conn: Connection, projector: str, limit: int) -> list[str]:
    """The first parked messages of a projector, one line each: where, which event, why."""
    rows = await conn.fetch(
        f'SELECT topic, partition, "offset", stream, event_id, reason FROM {SCHEMA}.parked '
        'WHERE projector = $1 ORDER BY topic, partition, "offset" LIMIT $2',
        projector,
        limit,
    )
    return [
        f"{r['topic']}[{r['partition']}]@{r['offset']} {r['event_id'] or '-'} {r['stream']}: {r['reason']}"
        for r in rows
    ]
