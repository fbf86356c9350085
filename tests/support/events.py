"""Envelopes for tests: sealed, chained, with unique ids, as the writer would make them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ledger.envelope import Envelope

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class StreamFactory:
    """Makes the next events of streams, keeping each stream's version and hash chain."""

    heads: dict[str, tuple[int, str]] = field(default_factory=dict)

    def next(
        self, stream: str, data: dict[str, object] | None = None, type_: str = "StockAdjusted"
    ) -> Envelope:
        version, prevhash = self.heads.get(stream, (0, ""))
        event = Envelope(
            id=str(uuid.uuid4()),
            type=type_,
            schema_version=1,
            stream=stream,
            version=version + 1,
            occurred_at=T0 + timedelta(minutes=version),
            recorded_at=T0 + timedelta(minutes=version, seconds=1),
            actor="tester",
            correlation_id="corr-1",
            causation_id="cause-1",
            idempotency_key=None,
            prevhash=prevhash,
            hash="",
            data=data if data is not None else {"n": str(version + 1)},
        ).sealed()
        self.heads[stream] = (event.version, event.hash)
        return event

    def many(self, streams: list[str], per_stream: int) -> Iterator[Envelope]:
        """Round-robin over the streams, so batches interleave them."""
        for _ in range(per_stream):
            for stream in streams:
                yield self.next(stream)
