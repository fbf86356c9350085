"""Retrying and releasing parked messages: what an operator does once the cause is known.

Both run inside one transaction of whoever owns the projection's tables (``actions`` says
who), with the parked rows they touch locked. A retry decodes each stream's parked messages
again from the records kept with them and applies them in log order, deleting each row it
applies; the first that fails again stays parked with its new reason, and holds the rest of
its stream as before. A release drops a stream's parked messages unapplied, an operator's
decision logged with who made it; the stream's later messages then flow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import groupby
from typing import Any

import structlog
from structlog.contextvars import bound_contextvars

from ledger.log import EventLog, Position, Record, TopicPartition
from ledger.projector import bookkeeping
from ledger.projector.bookkeeping import Parked
from ledger.projector.decoding import decode, envelopes_only
from ledger.projector.supervision import parkable
from ledger.store import Connection, Fact, Projection

log = structlog.get_logger("ledger.projector")

HELD = "an earlier message of this stream is parked"
ACTIONS = ("retry", "release")

Seq = tuple[str, int, int]
ReadBack = Callable[[list[Seq]], Awaitable[dict[Seq, Record]]]


@dataclass
class StreamOutcome:
    stream: str
    applied: int = 0
    released: int = 0
    parked: int = 0  # still parked after the action
    reason: str | None = None  # why it is still parked


@dataclass
class Outcome:
    """What a retry or a release did, stream by stream."""

    projection: str
    action: str
    by: str
    streams: list[StreamOutcome] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "projection": self.projection,
            "action": self.action,
            "by": self.by,
            "applied": sum(s.applied for s in self.streams),
            "released": sum(s.released for s in self.streams),
            "parked": sum(s.parked for s in self.streams),
            "streams": [asdict(s) for s in self.streams],
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Outcome:
        streams = [StreamOutcome(**s) for s in body["streams"]]
        return cls(body["projection"], body["action"], body["by"], streams)


async def carry_out(
    conn: Connection,
    action: str,
    projection: Projection,
    schema: str,
    key: str,
    stream: str | None,
    by: str,
    read_back: ReadBack | None = None,
) -> Outcome:
    """Retry or release the parked messages of projector ``key`` (of ``stream``, or all) in
    ``schema``; call it inside a transaction. ``read_back`` finds the records of rows parked
    before records were kept."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    outcome = Outcome(projection.name, action, by)
    parked = await bookkeeping.parked_with_records(conn, key, stream)
    if action == "release":
        for name, rows in _by_stream(parked):
            await bookkeeping.unpark(conn, key, [row.seq for row in rows])
            outcome.streams.append(StreamOutcome(name, released=len(rows)))
            with bound_contextvars(projection=projection.name, stream=name, offset=rows[0].offset):
                log.warning(
                    "parked_released",
                    projector=key,
                    by=by,
                    messages=len(rows),
                    offsets=[f"{r.topic}[{r.partition}]@{r.offset}" for r in rows[:20]],
                )
        return outcome
    missing = [row.seq for row in parked if row.record is None]
    found = await read_back(missing) if missing and read_back is not None else {}
    for name, rows in _by_stream(parked):
        outcome.streams.append(await _retry(conn, projection, schema, key, name, rows, found))
    totals = outcome.as_json()
    log.info("parked_retried", projector=key, by=by, applied=totals["applied"], parked=totals["parked"])
    return outcome


def _by_stream(parked: list[Parked]) -> Iterator[tuple[str, list[Parked]]]:
    for name, rows in groupby(parked, key=lambda row: row.stream):
        yield name, list(rows)


async def _retry(
    conn: Connection,
    projection: Projection,
    schema: str,
    key: str,
    stream: str,
    rows: list[Parked],
    found: dict[Seq, Record],
) -> StreamOutcome:
    outcome = StreamOutcome(stream)
    applied: list[Seq] = []
    for i, row in enumerate(rows):
        reason = await _apply(conn, projection, schema, row.record or found.get(row.seq))
        if reason is not None:
            await bookkeeping.set_reason(conn, key, row.seq, reason)
            outcome.parked, outcome.reason = len(rows) - i, reason
            with bound_contextvars(projection=projection.name, stream=stream, offset=row.offset):
                log.warning("parked_retry_failed", projector=key, reason=reason)
            break
        applied.append(row.seq)
    await bookkeeping.unpark(conn, key, applied)
    outcome.applied = len(applied)
    return outcome


async def _apply(conn: Connection, projection: Projection, schema: str, record: Record | None) -> str | None:
    """Why ``record`` cannot be applied now; None once it is."""
    if record is None:
        return "its record is no longer in the log: it cannot be retried, only released"
    decoded = decode(record, events=not envelopes_only(projection))
    if isinstance(decoded, Exception):
        return f"unreadable: {decoded}"
    envelope, event = decoded
    try:
        async with conn.transaction():
            await projection.apply(
                conn, schema, [Fact(record.topic, record.partition, record.offset, envelope, event)]
            )
    except Exception as e:
        if not parkable(e):
            raise
        return f"apply failed: {e!r}"
    return None


async def read_back(log: EventLog, seqs: list[Seq]) -> dict[Seq, Record]:
    """The records at ``seqs``, read from the log again (rows parked before records were kept)."""
    wanted = set(seqs)
    offsets: dict[TopicPartition, list[int]] = {}
    for topic, partition, offset in wanted:
        offsets.setdefault(TopicPartition(topic, partition), []).append(offset)
    found: dict[Seq, Record] = {}
    end = await log.end_position()
    for tp, those in offsets.items():
        reader = await log.open_reader([tp.topic])
        try:
            # The topic's other partitions start at their end: only this one is read.
            await reader.seek(
                Position({**{t: o for t, o in end.items() if t.topic == tp.topic}, tp: min(those)})
            )
            idle = 0
            while reader.position.get_offset(tp) <= max(those) and idle < 3:
                records = await reader.read(max_records=1000, timeout=1.0)
                idle = 0 if records else idle + 1
                for record in records:
                    seq = (record.topic, record.partition, record.offset)
                    if seq in wanted:
                        found[seq] = record
        finally:
            await reader.close()
    return found
