"""Projecting by hand for read-model tests: facts from commands, reordering, fresh schemas.

A projection must give the same tables for any split of the same facts into batches and any
interleaving that keeps each stream's order; these helpers let a test say exactly that.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from handlers import WriteModel, decide, evolve
from ledger.envelope import Envelope
from ledger.projector.compare import tables
from ledger.store import Fact, Projection, q
from schemas import area_of_stream, parse_command


def facts_from(commands: Iterable[tuple[datetime, str, dict[str, Any]]]) -> list[Fact]:
    """The facts the writer would have logged for (business time, command name, body), in order."""
    state = WriteModel()
    facts: list[Fact] = []
    versions: dict[str, int] = {}
    for occurred_at, name, body in commands:
        for event in decide(state, parse_command(name, body)):
            evolve(state, event)
            stream = event.stream()
            versions[stream] = versions.get(stream, 0) + 1
            envelope = Envelope(
                id=str(uuid.UUID(int=len(facts) + 1)),
                type=event.type,
                schema_version=event.schema_version,
                stream=stream,
                version=versions[stream],
                occurred_at=occurred_at,
                recorded_at=occurred_at + timedelta(days=1, seconds=len(facts)),
                actor="tester",
                correlation_id="c",
                causation_id="c",
                idempotency_key=None,
                prevhash="",
                hash="",
                data=event.data(),
            )
            facts.append(Fact(f"t.{area_of_stream(stream)}", 0, len(facts), envelope, event))
    return facts


def interleaved(facts: list[Fact], priority: Sequence[int]) -> list[Fact]:
    """Facts reordered by ``priority``, yet every stream's facts kept in their stream order."""
    shuffled = [f for _, f in sorted(zip(priority, facts, strict=True), key=lambda pair: pair[0])]
    queues: dict[str, list[Fact]] = {}
    for f in facts:
        queues.setdefault(f.envelope.stream, []).append(f)
    return [queues[f.envelope.stream].pop(0) for f in shuffled]


async def project(
    dsn: str, projection: Projection, batches: Sequence[Sequence[Fact]]
) -> dict[str, list[str]]:
    """Apply the batches into a fresh schema, each in its own transaction: every table's rows
    as sorted JSON text. The schema is dropped afterwards."""
    schema = f"rm_test_{projection.name}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE SCHEMA {q(schema)}")
        await conn.execute(projection.ddl(schema))
        for batch in batches:
            async with conn.transaction():
                await projection.apply(conn, schema, batch)
        return {
            table: [
                r[0]
                for r in await conn.fetch(f"SELECT row_to_json(t)::text FROM {q(schema, table)} t ORDER BY 1")
            ]
            for table in await tables(conn, schema)
        }
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
        await conn.close()
