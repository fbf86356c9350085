"""A projection that names the event types it applies is never handed the others, and loses
nothing by it: the demo company's history gives the same tables either way. The audit, which
reads envelopes only, is never handed an event, and loses nothing by that either.

The runtime passes over records of other types by their ``ce_type`` header alone, without
decoding them (``ledger.projector.decoding.wanted_by``); a type left out of ``event_types``
by mistake would silently go missing from the tables, which is what this test would see.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import cast

import pytest

import projections
from handlers import DomainError, WriteModel, decide, evolve
from ledger.cloudevents import to_binary
from ledger.demo import generate
from ledger.envelope import Envelope
from ledger.log import Record
from ledger.projector.applying import decode_wanted
from ledger.projector.decoding import DecodeCache, Decoded, wanted_by
from ledger.projector.follower import Projector
from ledger.store import Fact, Projection
from schemas import EVENTS, area_of_stream, parse_command
from tests.support.projecting import project

NOW = datetime(2026, 11, 20, 15, 30, 12, tzinfo=UTC)
NAMING = [p for p in projections.ALL if getattr(p, "event_types", None) is not None]


def demo_facts(days: int) -> list[Fact]:
    """Every fact the demo company's history causes, as the writer would have logged them."""
    state, facts, versions = WriteModel(), list[Fact](), dict[str, int]()
    for n, (name, body) in enumerate(generate(NOW, 7, days)):
        try:
            events = decide(state, parse_command(name, body))
        except DomainError:
            continue
        for event in events:
            evolve(state, event)
            stream = event.stream()
            versions[stream] = versions.get(stream, 0) + 1
            envelope = Envelope.seal(
                id=str(uuid.uuid4()), type=event.type, schema_version=event.schema_version,
                stream=stream, version=versions[stream], occurred_at=NOW - timedelta(days=days, minutes=-n),
                recorded_at=NOW, actor="demo", correlation_id="c", causation_id="c", idempotency_key=None,
                prevhash="", data=event.data(),
            )  # fmt: skip
            facts.append(Fact(f"t.{area_of_stream(stream)}", 0, len(facts), envelope, event))
    return facts


def test_the_named_types_are_event_types_and_the_audit_takes_every_one() -> None:
    assert {p.name for p in NAMING} >= {"inventory", "quality", "service"}
    known = {type_ for type_, _ in EVENTS}
    for projection in NAMING:
        assert getattr(projection, "event_types") <= known, projection.name  # noqa: B009 - not on the protocol
    assert getattr(projections.audit.PROJECTION, "event_types", None) is None


@pytest.mark.parametrize("projection", NAMING, ids=[p.name for p in NAMING])
async def test_the_types_a_projection_names_are_all_it_needs(pg_dsn: str, projection: Projection) -> None:
    facts = demo_facts(60)  # every event type occurs in it
    types: frozenset[str] = getattr(projection, "event_types")  # noqa: B009 - not on the protocol
    named = [f for f in facts if f.envelope.type in types]
    assert 0 < len(named) < len(facts)
    assert await project(pg_dsn, projection, [named]) == await project(pg_dsn, projection, [facts])


def test_records_of_other_types_are_passed_over_by_their_header_alone() -> None:
    facts = demo_facts(3)
    records = records_of(facts)
    quality = projections.quality.PROJECTION
    kept = wanted_by(quality, records)
    assert [r.offset for r in kept] == [f.offset for f in facts if f.envelope.type in quality.event_types]
    assert wanted_by(projections.audit.PROJECTION, records) is records
    # A record without a type (or with its headers in another order) is decoded: it may be unreadable.
    odd = [
        Record("t.inventory", 0, 1, b"k", (), b"{}"),
        Record("t.inventory", 0, 2, b"k", tuple(reversed(records[0].headers)), records[0].value),
    ]
    assert wanted_by(quality, odd) == odd[: 1 + (facts[0].envelope.type in quality.event_types)]


def decoded_for(projection: Projection, cache: DecodeCache, records: list[Record]) -> list[Decoded]:
    """What a runtime sharing ``cache`` hands ``projection`` for ``records`` (a pure unit: the
    projector is a stand-in holding only what decoding reads)."""
    projector = SimpleNamespace(projection=projection, runtime=SimpleNamespace(decoded=cache))
    return [outcome for _, outcome in decode_wanted(cast(Projector, projector), records)]


async def test_the_audit_is_given_envelopes_alone_and_its_tables_are_the_same(pg_dsn: str) -> None:
    facts = demo_facts(20)
    records = records_of(facts)
    cache = DecodeCache(soft=len(records), hard=2 * len(records))
    audit = projections.audit.PROJECTION
    outcomes = decoded_for(audit, cache, records)
    assert all(not isinstance(o, Exception) and o[1] is None for o in outcomes)
    envelopes = [o[0] for o in outcomes if not isinstance(o, Exception)]
    assert envelopes == [f.envelope for f in facts]
    bare = [Fact(f.topic, f.partition, f.offset, e) for f, e in zip(facts, envelopes, strict=True)]
    assert await project(pg_dsn, audit, [bare]) == await project(pg_dsn, audit, [facts])
    assert all(f._event is None for f in bare)  # the audit never asked for one
    assert [f.event for f in bare[:50]] == [f.event for f in facts[:50]]  # built when asked for

    # Another projection of the same runtime finds them in the cache, and gets its events.
    inventory = projections.inventory.PROJECTION
    wanted = [f for f in facts if f.envelope.type in inventory.event_types]
    completed = decoded_for(inventory, cache, records)
    assert [o[1] for o in completed if not isinstance(o, Exception)] == [f.event for f in wanted]
    assert len(completed) == len(wanted)
    assert all(cache.get(f.seq) == (f.envelope, f.event) for f in wanted)


def test_the_audit_keeps_an_event_of_a_type_it_does_not_know_which_others_pass_over() -> None:
    fact = demo_facts(1)[0]
    envelope = replace(fact.envelope, type="SomethingNew", data={"new": "shape"}).sealed()
    record = records_of([Fact(fact.topic, fact.partition, fact.offset, envelope, fact.event)])
    cache = DecodeCache(soft=0, hard=0)
    assert decoded_for(projections.audit.PROJECTION, cache, record) == [(envelope, None)]
    assert decoded_for(projections.inventory.PROJECTION, cache, record) == []


def records_of(facts: list[Fact]) -> list[Record]:
    return [
        Record(f.topic, f.partition, f.offset, m.key, tuple(m.headers), m.value)
        for f in facts
        for m in [to_binary(f.envelope)]
    ]
