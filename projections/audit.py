"""The audit read model: every event's whole envelope, by stream and version.

Auditors read a stream's history exactly as it was recorded, hash chain included, in every
area (``access`` too: who was given which rights, and by whom). A redelivered event changes
nothing (the key is stream and version). It reads envelopes only: no event is built for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import orjson

from ledger.store import Connection, Fact, q
from schemas import AREAS


class Audit:
    name: ClassVar[str] = "audit"
    version: ClassVar[int] = 1
    areas: ClassVar[tuple[str, ...]] = AREAS  # every event, token grants and revocations included
    envelopes_only: ClassVar[bool] = True

    def ddl(self, schema: str) -> str:
        return f"""
        CREATE TABLE IF NOT EXISTS {q(schema, "events")} (
            stream text NOT NULL,
            version integer NOT NULL,
            envelope jsonb NOT NULL,
            PRIMARY KEY (stream, version)
        );
        """

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        if not facts:
            return
        await conn.execute(
            f"INSERT INTO {q(schema, 'events')} (stream, version, envelope) "
            "SELECT * FROM unnest($1::text[], $2::integer[], $3::jsonb[]) ON CONFLICT DO NOTHING",
            [f.envelope.stream for f in facts],
            [f.envelope.version for f in facts],
            [orjson.dumps(f.envelope.to_dict()).decode() for f in facts],
        )


PROJECTION = Audit()


async def stream_events(
    conn: Connection, schema: str, stream: str, *, after_version: int = 0, limit: int = 1000
) -> list[dict[str, Any]]:
    """A stream's events in version order, whole envelopes, from ``after_version`` on."""
    rows = await conn.fetch(
        f"SELECT envelope FROM {q(schema, 'events')} "
        "WHERE stream = $1 AND version > $2 ORDER BY version LIMIT $3",
        stream,
        after_version,
        limit,
    )
    return [orjson.loads(r["envelope"]) for r in rows]
