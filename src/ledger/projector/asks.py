"""Operators' asks of a projection's owner: retries and releases of parked messages.

``ledger parked`` and the admin routes run in processes that do not project; what they ask
goes into ``parked_actions``, and the process that owns the projection carries it out
between two of its batches, in the transaction that marks the ask done (see
``ledger.projector.actions``). The table itself is created with the other bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.projector.bookkeeping import SCHEMA, text_for_postgres
from ledger.store import Connection


@dataclass(frozen=True)
class Ask:
    """An operator's retry or release, waiting for the process that follows the projection."""

    id: int
    projector: str
    action: str
    stream: str | None
    by: str


async def ask(conn: Connection, projector: str, action: str, stream: str | None, by: str) -> int:
    return int(
        await conn.fetchval(
            f"INSERT INTO {SCHEMA}.parked_actions (projector, action, stream, requested_by) "
            "VALUES ($1, $2, $3, $4) RETURNING id",
            projector,
            action,
            stream,
            text_for_postgres(by),
        )
    )


async def pending_asks(conn: Connection, projectors: list[str]) -> list[Ask]:
    rows = await conn.fetch(
        f"SELECT id, projector, action, stream, requested_by FROM {SCHEMA}.parked_actions "
        "WHERE done_at IS NULL AND projector = any($1::text[]) ORDER BY id",
        projectors,
    )
    return [Ask(r["id"], r["projector"], r["action"], r["stream"], r["requested_by"]) for r in rows]


async def take_ask(conn: Connection, ask_id: int) -> bool:
    """Lock a pending ask until the transaction ends; false when it is done or withdrawn."""
    found = await conn.fetchval(
        f"SELECT id FROM {SCHEMA}.parked_actions WHERE id = $1 AND done_at IS NULL FOR UPDATE", ask_id
    )
    return found is not None


async def finish_ask(conn: Connection, ask_id: int, outcome: str) -> bool:
    """Mark a pending ask done with its outcome (JSON); false when it was done already."""
    done = await conn.fetchval(
        f"UPDATE {SCHEMA}.parked_actions SET done_at = now(), outcome = $2::jsonb "
        "WHERE id = $1 AND done_at IS NULL RETURNING id",
        ask_id,
        outcome,
    )
    return done is not None


async def ask_outcome(conn: Connection, ask_id: int) -> str | None:
    """The outcome (JSON) of a done ask; None while it is pending."""
    value = await conn.fetchval(
        f"SELECT outcome::text FROM {SCHEMA}.parked_actions WHERE id = $1 AND done_at IS NOT NULL", ask_id
    )
    return None if value is None else str(value)
