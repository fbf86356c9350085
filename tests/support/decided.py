"""Events of every kind the write side records, decided by the real handlers over a demo
history and sealed into envelopes as the writer seals them: samples for the tests of what
integrators read (the AsyncAPI document, the README's hash-chain recipe)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from handlers import DomainError, WriteModel, decide, evolve
from ledger.demo import generate
from ledger.envelope import Envelope
from schemas import parse_command
from schemas.access import IssueToken, RevokeToken
from schemas.base import Command
from tests.support.golden import golden_events

NOW = datetime(2026, 11, 20, 15, 30, 12, tzinfo=UTC)
DAYS = 45  # the shortest demo history whose events are of every type and version it can make


@cache
def sealed_history() -> tuple[Envelope, ...]:
    """A demo history's events and two token events, each stream chained from version 1."""
    state = WriteModel()
    commands: list[Command] = [parse_command(name, body) for name, body in generate(NOW, 7, DAYS)]
    commands += [
        IssueToken(principal="ana", scopes=("sales:write", "read"), occurred_at=NOW),
        RevokeToken(principal="ana", occurred_at=NOW),
    ]
    heads: dict[str, tuple[int, str]] = {}
    sealed: list[Envelope] = []
    for n, command in enumerate(commands):
        try:
            events = decide(state, command)
        except DomainError:
            continue
        for event in events:
            evolve(state, event)
            stream = event.stream()
            version, prevhash = heads.get(stream, (0, ""))
            envelope = Envelope.seal(
                id=f"e-{len(sealed)}", type=event.type, schema_version=event.schema_version,
                stream=stream, version=version + 1, occurred_at=command.occurred_at or NOW,
                recorded_at=NOW, actor="clerk", correlation_id=f"c-{n}", causation_id=f"c-{n}",
                idempotency_key=f"k-{n}" if n % 2 else None, prevhash=prevhash, data=event.data(),
            )  # fmt: skip
            heads[stream] = (envelope.version, envelope.hash)
            sealed.append(envelope)
    return tuple(sealed)


def decided_envelopes() -> tuple[Envelope, ...]:
    """``sealed_history`` and the golden StockAdjusted v1 events: every type and version."""
    return (*sealed_history(), *golden_events())
