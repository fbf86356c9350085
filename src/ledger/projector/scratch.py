"""Scratch tables: the names a rebuild builds under, how far one has got, dropping them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from ledger.log import Position
from ledger.store import Connection, Projection, q


def new_tag(kind: str) -> str:
    """A scratch tag nobody else uses: ``kind`` and eight random hex digits."""
    return f"{kind}{secrets.token_hex(4)}"


def events_in(end: Position, prefix: str, projection: Projection) -> int:
    """Offsets up to ``end`` in the projection's topics: how much of the log lies before it."""
    topics = {f"{prefix}.{area}" for area in projection.areas}
    return sum(offset for tp, offset in end.items() if tp.topic in topics)


async def drop_schemas(conn: Connection, schemas: Iterable[str]) -> None:
    for schema in schemas:
        await conn.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
