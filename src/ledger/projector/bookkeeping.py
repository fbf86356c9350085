"""The runtime's own tables: checkpoints, parked messages, and which schema is live.

A checkpoint is written in the same transaction as the read-model rows it covers, so after
any crash the tables and the checkpoint agree and replay resumes exactly where they stop.
It records the identity of the log it is a position in: tables built from one log are never
resumed on another made afresh under the same name. It also carries the epoch of its
projector's owner (``claim``): a batch commits only under the epoch it was started with, so
a process that has lost ownership without knowing it yet cannot write a row more.

Readers in other processes learn of changes without asking: every checkpoint of a live
projector is announced (``NOTIFY ledger_checkpoint``, the projector's key and, when it fits,
the position) and so is every change of a live row (``NOTIFY ledger_live``), each in the
transaction that makes the change, so a reader hears of it exactly when it is visible.

A parked message keeps the record as the log held it (key, headers, value), so a retry
decodes it again without reading the log; rows parked before the record was kept have none.
``parked_actions`` holds the retries and releases that operators ask of whoever owns a
projection's tables (see ``ledger.projector.actions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from ledger.log import Position, Record
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
CREATE SEQUENCE IF NOT EXISTS {SCHEMA}.epochs;
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


# Added to ``parked`` after its first release; altered only where missing, so a start never
# waits for the table's lock behind a projector's open transaction.
PARKING_DDL = f"""
DO $$ BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = '{SCHEMA}' AND table_name = 'parked' AND column_name = 'record_value'
    ) THEN
        ALTER TABLE {SCHEMA}.parked
            ADD COLUMN record_key bytea,
            ADD COLUMN header_names text[],
            ADD COLUMN header_values bytea[],
            ADD COLUMN record_value bytea;
    END IF;
END $$;
CREATE TABLE IF NOT EXISTS {SCHEMA}.parked_actions (
    id bigserial PRIMARY KEY,
    projector text NOT NULL,
    action text NOT NULL,
    stream text,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    done_at timestamptz,
    outcome jsonb
);
CREATE INDEX IF NOT EXISTS parked_actions_pending
    ON {SCHEMA}.parked_actions (projector) WHERE done_at IS NULL;
DO $$ BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = '{SCHEMA}' AND table_name = 'checkpoints' AND column_name = 'epoch'
    ) THEN
        ALTER TABLE {SCHEMA}.checkpoints ADD COLUMN epoch bigint NOT NULL DEFAULT 0;
    END IF;
END $$;
"""

CHECKPOINT_CHANNEL = "ledger_checkpoint"
"""Payload: the projector's key, then a space and the position token when the whole fits."""
LIVE_CHANNEL = "ledger_live"
"""Payload: the projection (``prefix:name``) whose live row changed, or whose tables started over."""
_MAX_PAYLOAD = 7900  # PostgreSQL refuses a NOTIFY payload of 8000 bytes or more


class Fenced(Exception):
    """Another process has claimed the projector since this one did: it owns the tables now."""


ParkRow = tuple[Record, str, str | None, str | None, str]
"""A message to park: its record, stream, event id and type (when readable), and the reason."""


@dataclass(frozen=True)
class Parked:
    """One parked message; ``record`` only when asked for, and only where it was kept."""

    topic: str
    partition: int
    offset: int
    stream: str
    event_id: str | None
    event_type: str | None
    reason: str
    parked_at: datetime
    record: Record | None = None

    @property
    def seq(self) -> tuple[str, int, int]:
        return (self.topic, self.partition, self.offset)


async def setup(conn: Connection) -> None:
    from ledger.projector import rebuild_requests, status  # their tables live beside these

    await conn.execute("SELECT pg_advisory_lock(hashtext('ledger_projections_ddl'))")
    try:
        await conn.execute(DDL)
        await conn.execute(PARKING_DDL)
        await conn.execute(status.DDL)
        await conn.execute(rebuild_requests.DDL)
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


async def claim(conn: Connection, projector: str, log_id: str) -> int:
    """Take a new epoch for ``projector`` (its checkpoint at offset 0 if it has none) and record
    that the checkpoint is a position in the log ``log_id``: answers the epoch. From now on only
    batches under this epoch commit."""
    return int(
        await conn.fetchval(
            f"INSERT INTO {SCHEMA}.checkpoints (projector, position, log_id, epoch) "
            f"VALUES ($1, $2, $3, nextval('{SCHEMA}.epochs')) "
            "ON CONFLICT (projector) DO UPDATE SET log_id = $3, epoch = EXCLUDED.epoch RETURNING epoch",
            projector,
            Position.empty().token(),
            log_id,
        )
    )


async def save_checkpoint(
    conn: Connection, projector: str, position: Position, epoch: int, *, announce: bool = False
) -> None:
    """Store the position reached, under ``epoch`` (else ``Fenced``); with ``announce``, readers
    hear of it when the transaction commits. One statement either way: nothing more per batch."""
    token = position.token()
    if not announce:
        sql = "SELECT projector"
        args: tuple[object, ...] = (projector, token, epoch)
    else:
        payload = f"{projector} {token}" if len(projector) + len(token) < _MAX_PAYLOAD else projector
        sql = f"SELECT pg_notify('{CHECKPOINT_CHANNEL}', $4)"
        args = (projector, token, epoch, payload)
    saved = await conn.fetch(
        f"WITH saved AS (UPDATE {SCHEMA}.checkpoints SET position = $2, updated_at = now() "
        f"WHERE projector = $1 AND epoch = $3 RETURNING projector) {sql} FROM saved",
        *args,
    )
    if not saved:
        raise Fenced(f"{projector}: another process has claimed it")


async def fence(conn: Connection, projector: str, epoch: int) -> None:
    """Inside a transaction: go on only while ``epoch`` is still the projector's (locked till the end)."""
    found = await conn.fetchval(
        f"SELECT epoch FROM {SCHEMA}.checkpoints WHERE projector = $1 FOR UPDATE", projector
    )
    if found != epoch:
        raise Fenced(f"{projector}: another process has claimed it")


async def parked_streams(conn: Connection, projector: str) -> set[str]:
    rows = await conn.fetch(f"SELECT DISTINCT stream FROM {SCHEMA}.parked WHERE projector = $1", projector)
    return {r["stream"] for r in rows}


async def park(conn: Connection, projector: str, rows: list[ParkRow]) -> None:
    """Park messages with their records; idempotent."""
    await conn.executemany(
        f"INSERT INTO {SCHEMA}.parked "
        '(projector, topic, partition, "offset", stream, event_id, event_type, reason, '
        "record_key, header_names, header_values, record_value) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING",
        [
            (
                projector,
                r.topic,
                r.partition,
                r.offset,
                text_for_postgres(stream),
                event_id,
                event_type,
                text_for_postgres(reason),
                r.key,
                [name for name, _ in r.headers],
                [value for _, value in r.headers],
                r.value,
            )
            for r, stream, event_id, event_type, reason in rows
        ],
    )


def text_for_postgres(value: str) -> str:
    """A reason or stream as PostgreSQL text can hold it: UTF-8 without NUL (lone surrogates
    and NULs, which it refuses, spelled out as escapes)."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


async def live_schema(conn: Connection, projection: str) -> tuple[str, int] | None:
    row = await conn.fetchrow(
        f"SELECT schema_name, version FROM {SCHEMA}.live WHERE projection = $1", projection
    )
    return None if row is None else (row["schema_name"], row["version"])


async def set_live(conn: Connection, projection: str, schema: str, version: int) -> None:
    """Name the live tables of ``projection``; readers hear of it when the transaction commits."""
    await conn.execute(
        f"INSERT INTO {SCHEMA}.live (projection, schema_name, version) VALUES ($1, $2, $3) "
        "ON CONFLICT (projection) DO UPDATE SET schema_name = $2, version = $3, swapped_at = now()",
        projection,
        schema,
        version,
    )
    await announce_live(conn, projection)


async def announce_live(conn: Connection, projection: str) -> None:
    """Tell readers to read ``projection``'s live row and checkpoint again (on commit)."""
    await conn.execute(f"SELECT pg_notify('{LIVE_CHANNEL}', $1)", projection)


async def parked_count(conn: Connection, projector: str) -> int:
    return int(await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.parked WHERE projector = $1", projector))


async def hand_over(
    conn: Connection,
    projection: str,
    schema: str,
    version: int,
    source: str,
    target: str,
    epoch: int | None = None,
) -> tuple[str, int] | None:
    """Make ``schema`` the live tables of ``projection``: projector ``source``'s checkpoint and
    parked messages (those of a rebuild into ``schema``) become projector ``target``'s, whose
    own are dropped. ``epoch`` is the target's owner's, checked and kept; without it (no owner
    runs) the target gets a new one. Run it inside a transaction; answers the live row it replaced."""
    if epoch is not None:
        await fence(conn, target, epoch)
    previous = await live_schema(conn, projection)
    for table in ("checkpoints", "parked"):
        await conn.execute(f"DELETE FROM {SCHEMA}.{table} WHERE projector = $1", target)
        await conn.execute(f"UPDATE {SCHEMA}.{table} SET projector = $2 WHERE projector = $1", source, target)
    await conn.execute(
        f"UPDATE {SCHEMA}.checkpoints SET epoch = coalesce($2::bigint, nextval('{SCHEMA}.epochs')) "
        "WHERE projector = $1",
        target,
        epoch,
    )
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


_PARKED_COLUMNS = 'topic, partition, "offset", stream, event_id, event_type, reason, parked_at'


async def parked_page(
    conn: Connection,
    projector: str,
    *,
    stream: str | None = None,
    after: tuple[str, int, int] | None = None,
    limit: int = 100,
) -> list[Parked]:
    """Parked messages in log order, from just past ``after``; of one stream when named."""
    topic, partition, offset = after or ("", -1, -1)
    rows = await conn.fetch(
        f"SELECT {_PARKED_COLUMNS} FROM {SCHEMA}.parked "
        "WHERE projector = $1 AND ($2::text IS NULL OR stream = $2) "
        '  AND (topic, partition, "offset") > ($3, $4, $5) '
        'ORDER BY topic, partition, "offset" LIMIT $6',
        projector,
        stream,
        topic,
        partition,
        offset,
        limit,
    )
    return [Parked(**dict(r)) for r in rows]


async def parked_total(conn: Connection, projector: str, stream: str | None = None) -> int:
    return int(
        await conn.fetchval(
            f"SELECT count(*) FROM {SCHEMA}.parked "
            "WHERE projector = $1 AND ($2::text IS NULL OR stream = $2)",
            projector,
            stream,
        )
    )


async def parked_with_records(conn: Connection, projector: str, stream: str | None) -> list[Parked]:
    """Every parked message (of one stream when named) with its record, in log order per stream.

    Rows are locked until the transaction ends: two retries of one stream never interleave."""
    rows = await conn.fetch(
        f"SELECT {_PARKED_COLUMNS}, record_key, header_names, header_values, record_value "
        f"FROM {SCHEMA}.parked WHERE projector = $1 AND ($2::text IS NULL OR stream = $2) "
        'ORDER BY stream, topic, partition, "offset" FOR UPDATE',
        projector,
        stream,
    )
    return [_with_record(r) for r in rows]


def _with_record(row: asyncpg.Record) -> Parked:
    values = dict(row)
    key, names, headers, value = (
        values.pop(c) for c in ("record_key", "header_names", "header_values", "record_value")
    )
    record = None
    if value is not None:
        record = Record(
            row["topic"],
            row["partition"],
            row["offset"],
            bytes(key),
            tuple(zip(names, map(bytes, headers), strict=True)),
            bytes(value),
        )
    return Parked(**values, record=record)


async def unpark(conn: Connection, projector: str, seqs: list[tuple[str, int, int]]) -> None:
    await conn.executemany(
        f"DELETE FROM {SCHEMA}.parked "
        'WHERE projector = $1 AND topic = $2 AND partition = $3 AND "offset" = $4',
        [(projector, *seq) for seq in seqs],
    )


async def set_reason(conn: Connection, projector: str, seq: tuple[str, int, int], reason: str) -> None:
    await conn.execute(
        f"UPDATE {SCHEMA}.parked SET reason = $5, parked_at = now() "
        'WHERE projector = $1 AND topic = $2 AND partition = $3 AND "offset" = $4',
        projector,
        *seq,
        text_for_postgres(reason),
    )
