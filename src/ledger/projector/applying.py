"""One batch of records into a read model: decode, apply, park, checkpoint, in one transaction.

A message that fails is parked with its position and reason, and so is every later message
of its stream until the park is released: skipping one event of a stream would corrupt that
stream's rows. Other streams go on. Nothing is dropped silently.

The checkpoint is stored under the owner's epoch and, for a live projector, announced to
readers in the same statement: the batch's only cost beyond its rows.

While tracing is on, a batch is a span linked to the commands of the events it applies
(their ``traceparent``), and its statements are the span's children.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import structlog
from structlog.contextvars import bound_contextvars

from ledger.log import Position, Record
from ledger.projector import bookkeeping, parking
from ledger.projector.bookkeeping import ParkRow
from ledger.projector.decoding import Decoded, decode, envelopes_only, wanted_by, with_event
from ledger.projector.supervision import parkable
from ledger.store import Connection, Fact

if TYPE_CHECKING:
    from ledger.projector.follower import Projector

log = structlog.get_logger("ledger.projector")

_HELD = parking.HELD


def decode_wanted(projector: Projector, records: list[Record]) -> list[tuple[Record, Decoded]]:
    """The records ``projector`` applies, each decoded (through the runtime's shared cache)
    or with why it cannot be. Safe to do ahead: it depends on the records alone."""
    cache = projector.runtime.decoded
    events = not envelopes_only(projector.projection)
    pairs: list[tuple[Record, Decoded]] = []
    for record in wanted_by(projector.projection, records):
        seq = (record.topic, record.partition, record.offset)
        outcome = cache.get(seq)
        if outcome is None:
            outcome = cache.put(seq, decode(record, events=events))
        elif events and not isinstance(outcome, Exception) and outcome[1] is None:
            outcome = cache.put(seq, with_event(outcome[0]))  # decoded for envelopes only so far
        pairs.append((record, outcome))
    return pairs


def _sort(projector: Projector, pairs: list[tuple[Record, Decoded]]) -> tuple[list[Fact], list[ParkRow]]:
    """Facts to apply and messages to park, as the parked streams stand now."""
    facts: list[Fact] = []
    parked: list[ParkRow] = []
    held = projector.parked_streams
    for record, outcome in pairs:
        if isinstance(outcome, Exception):  # unreadable: park it and hold its stream
            stream = record.key.decode(errors="replace")
            held.add(stream)
            parked.append((record, stream, None, None, f"unreadable: {outcome}"))
            continue
        envelope, event = outcome
        if envelope.stream in held:
            parked.append((record, envelope.stream, envelope.id, envelope.type, _HELD))
            continue
        facts.append(Fact(record.topic, record.partition, record.offset, envelope, event))
    return facts, parked


async def apply(
    projector: Projector, records: list[Record], decoded: list[tuple[Record, Decoded]], position: Position
) -> None:
    """Apply ``records`` (``decoded``: those the projection applies, by ``decode_wanted``) and
    store ``position`` as the checkpoint, all or nothing."""
    runtime = projector.runtime
    if not runtime.spans.on:
        await _apply(projector, records, decoded, position)
        return
    traceparents = (d[0].traceparent for _, d in decoded if not isinstance(d, Exception))
    with runtime.spans.projector_batch(projector.projection.name, traceparents, len(records)):
        await _apply(projector, records, decoded, position)


async def _apply(
    projector: Projector, records: list[Record], decoded: list[tuple[Record, Decoded]], position: Position
) -> None:
    started = time.monotonic()
    runtime = projector.runtime
    facts, parked = _sort(projector, decoded)
    projection, schema = projector.projection, projector.schema
    announce = projector.live and not runtime.scratch
    # Any failure below leaves ``parked_streams`` ahead of the database; whoever handles
    # it reloads them with the checkpoint before the next batch.
    async with runtime.pool.acquire() as conn, conn.transaction():
        try:
            async with conn.transaction():
                await projection.apply(conn, schema, facts)
        except Exception as e:
            if not parkable(e):
                raise
            log.warning("projector_batch_failed", projector=projector.key, error=repr(e), events=len(facts))
            parked += await _one_by_one(projector, conn, facts, records)
        if parked:
            await bookkeeping.park(conn, projector.key, parked)
        await bookkeeping.save_checkpoint(conn, projector.key, position, projector.epoch, announce=announce)
    if parked:
        _report(projector, parked)
    elapsed = max(time.monotonic() - started, 1e-6)
    projector.events += len(records)
    rate = len(records) / elapsed
    projector.rate = 0.7 * projector.rate + 0.3 * rate if projector.rate else rate
    runtime.metrics.projected.labels(projection.name).inc(len(records))


async def advance(projector: Projector, position: Position) -> None:
    """Store a position the reader reached past commit markers alone, with no record to
    apply: else the stored checkpoint stays short of the log's end until the next record, and
    a process that takes the projection over, or a check of the checkpoints against the end,
    finds it behind for good when nothing more is written."""
    runtime = projector.runtime
    announce = projector.live and not runtime.scratch
    async with runtime.pool.acquire() as conn:
        await bookkeeping.save_checkpoint(conn, projector.key, position, projector.epoch, announce=announce)


def _report(projector: Projector, parked: list[ParkRow]) -> None:
    projector.parked += len(parked)
    projector.publish()
    projector.runtime.poke()
    record, stream, *_, reason = parked[0]
    with bound_contextvars(stream=stream, offset=record.offset):
        log.error(
            "projector_parked",
            projector=projector.key,
            count=len(parked),
            topic=record.topic,
            partition=record.partition,
            first=reason,
        )


async def _one_by_one(
    projector: Projector, conn: Connection, facts: list[Fact], records: list[Record]
) -> list[ParkRow]:
    """Find the facts that fail, whatever they raise; park each with its stream's later facts."""
    by_seq = {(r.topic, r.partition, r.offset): r for r in records}
    parked: list[ParkRow] = []
    held = projector.parked_streams
    for fact in facts:
        env = fact.envelope
        if env.stream in held:
            parked.append((by_seq[fact.seq], env.stream, env.id, env.type, _HELD))
            continue
        try:
            async with conn.transaction():
                await projector.projection.apply(conn, projector.schema, [fact])
        except Exception as e:
            if not parkable(e):
                raise
            held.add(env.stream)
            parked.append((by_seq[fact.seq], env.stream, env.id, env.type, f"apply failed: {e!r}"))
            with bound_contextvars(stream=env.stream, offset=fact.offset):
                log.warning("projector_event_failed", projector=projector.key, event_id=env.id, error=repr(e))
    return parked
