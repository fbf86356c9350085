"""Verification of a history: schemas, gapless stream versions, hash chains, duplicates.

It reads a history once, in log order, keeping only each stream's head, so it scales with
the number of streams, not events. Every finding names the event and what is wrong with it;
nothing is fixed or skipped quietly.

A live log is also checked for placement (each message on its stream's topic and partition,
keyed by its stream). An export file is also checked against its manifest, which is what
catches changes the chains alone cannot see: a stream's last events removed, or its last
event rewritten with a freshly computed hash. The file's lines follow the log's partitions,
so a line that sits among another partition's lines was moved there. An event that carries a
``dataschema`` (an attribute outside the hash, absent from events recorded before it existed)
must name its own type and version's schema.

A history is input like any other: whatever a line or a message holds (values of the wrong
kind, out of range, in another alphabet), the verification reports it as a finding and goes
on; it never raises.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import ValidationError

from ledger.audit.manifest import Head, Manifest
from ledger.audit.shape import envelope_problems, printable
from ledger.cloudevents import dataschema
from ledger.envelope import Envelope
from ledger.log.topology import Topology
from schemas import AREAS, UnknownEventType, area_of_stream, parse_event

if TYPE_CHECKING:
    from ledger.log import EventLog, Record


@dataclass(frozen=True)
class Finding:
    event_id: str
    stream: str
    version: int
    problem: str
    where: str = ""

    def line(self) -> str:
        """One line, whatever the finding quotes: control characters escaped, long values cut."""
        place = f"{printable(self.where, 100)}: " if self.where else ""
        event = f"{printable(self.event_id, 100)} {printable(self.stream, 200)}"
        return f"{place}{event} v{printable(str(self.version), 20)}: {printable(self.problem, 1000)}"


@dataclass
class Verification:
    """Walks a history event by event; ``findings`` grows as problems are met."""

    findings: list[Finding] = field(default_factory=list)
    heads: dict[str, Head] = field(default_factory=dict)
    events: int = 0
    unreadable_messages: int = 0
    per_area: dict[str, int] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)

    def check(self, event: Envelope, where: str = "") -> None:
        self.events += 1
        area = _area(event.stream)
        self.per_area[area] = self.per_area.get(area, 0) + 1
        for problem in envelope_problems(event):
            self.find(event, problem, where)
        self._schema(event, where)
        if event.id in self._seen:
            self.find(event, "duplicate event id: this event appears more than once", where)
        self._seen.add(event.id)
        self._hash(event, where)
        head = self.heads.get(event.stream)
        expected_version = 1 if head is None else head.version + 1
        expected_prev = "" if head is None else head.hash
        if event.version != expected_version:
            if event.version < expected_version:
                kind = "repeated or out of order"
            else:
                kind = f"gap: v{expected_version}..v{event.version - 1} missing"
            self.find(event, f"stream version {event.version}, expected {expected_version}: {kind}", where)
        if event.prevhash != expected_prev:
            previous = "no previous event" if head is None else f"v{head.version} ({head.event_id})"
            self.find(
                event, f"prevhash does not match the hash of the stream's previous event, {previous}", where
            )
        if head is None or event.version > head.version:
            self.heads[event.stream] = Head(event.version, event.hash, event.id)

    def check_all(self, events: Iterable[Envelope]) -> Verification:
        for event in events:
            self.check(event)
        return self

    def check_record(self, record: Record, log: EventLog) -> None:
        """One message of a live log: its envelope, and that it sits where its stream belongs."""
        where = f"{record.topic}[{record.partition}]@{record.offset}"
        try:
            event = record.envelope()
        except (ValueError, OverflowError) as e:  # OverflowError: a time beyond datetime's range
            self.unreadable(where, str(e) or type(e).__name__)
            return
        self.check(event, where)
        said = next((value for name, value in record.headers if name == "ce_dataschema"), None)
        if said is not None:
            self.dataschema(event, said.decode(errors="replace"), where)
        try:
            topic, partition = log.topic_for(event.stream), log.partition_for(event.stream)
        except ValueError:
            return  # no topic for the stream id: a finding of check() already
        if (record.topic, record.partition) != (topic, partition):
            self.find(event, f"on the wrong topic or partition: belongs on {topic}[{partition}]", where)
        if record.key != event.stream.encode():
            self.find(event, f"message key {record.key!r} is not the stream id", where)

    def dataschema(self, event: Envelope, said: str | None, where: str = "") -> None:
        """A ``dataschema`` the event carries must point at its own type and version's schema;
        none at all is fine (events recorded before it existed)."""
        if said is None:
            return
        expected = dataschema(event.type, event.schema_version)
        if said != expected:
            self.find(event, f"dataschema {said!r} is not its own type and version's, {expected}", where)

    def unreadable(self, where: str, why: str) -> None:
        """A message that is not an event at all (not JSON, no envelope)."""
        self.unreadable_messages += 1
        self.findings.append(Finding("-", "-", 0, f"unreadable, not an event: {why}", where))

    def check_manifest(self, manifest: Manifest, sha256: str) -> None:
        """Compare what was read with what the manifest says the file holds."""
        if manifest.sha256 != sha256:
            self._general(
                f"file SHA-256 {sha256} is not the manifest's {manifest.sha256}: "
                "the file was altered (lines added, removed, changed or reordered)"
            )
        if manifest.events != self.events:
            self._general(f"the file holds {self.events} events, the manifest says {manifest.events}")
        for area in sorted(set(manifest.areas) | set(self.per_area)):
            if manifest.areas.get(area, 0) != self.per_area.get(area, 0):
                self._general(
                    f"area {area}: the file holds {self.per_area.get(area, 0)} events, "
                    f"the manifest says {manifest.areas.get(area, 0)}"
                )
        for stream, said in sorted(manifest.streams.items()):
            self._check_head(stream, said)
        for stream in sorted(set(self.heads) - set(manifest.streams)):
            head = self.heads[stream]
            self.findings.append(
                Finding(head.event_id, stream, head.version, "stream is in the file but not in the manifest")
            )

    def _check_head(self, stream: str, said: Head) -> None:
        head = self.heads.get(stream)
        said_as = f"v{said.version} ({said.event_id}, hash {said.hash[:16]}...)"
        if head is None:
            self.findings.append(
                Finding(
                    said.event_id,
                    stream,
                    said.version,
                    f"stream missing from the file; the manifest ends it at {said_as}",
                )
            )
        elif head.version != said.version:
            problem = f"the file ends this stream at v{head.version}, the manifest at {said_as}"
            kind = "events missing at its end" if head.version < said.version else "events added at its end"
            self.findings.append(Finding(head.event_id, stream, head.version, f"{problem}: {kind}"))
        elif head.hash != said.hash:
            self.findings.append(
                Finding(
                    head.event_id,
                    stream,
                    head.version,
                    f"last event's hash is not the manifest's head hash: {said_as}: the event was rewritten",
                )
            )
        elif head.event_id != said.event_id:
            self.findings.append(
                Finding(
                    head.event_id,
                    stream,
                    head.version,
                    f"last event's id is not the manifest's head id: {said_as}",
                )
            )

    def heads_digest(self) -> str:
        """SHA-256 over every stream's head (stream, version, hash), sorted by stream.

        Equal digests of a live log and of an export mean the export holds exactly the live
        log's streams, each up to the same, identically hashed, last event."""
        digest = hashlib.sha256()
        for stream in sorted(self.heads):
            head = self.heads[stream]
            digest.update(f"{stream}\t{head.version}\t{head.hash}\n".encode())
        return digest.hexdigest()

    def _schema(self, event: Envelope, where: str) -> None:
        schema = f"{event.type} v{event.schema_version}"
        try:
            parse_event(event.type, event.schema_version, event.data)
        except UnknownEventType as e:
            self.find(event, f"unknown event type: {e}", where)
        except ValidationError as e:
            first = e.errors(include_url=False)[0]
            loc = ".".join(str(p) for p in first["loc"]) or "data"
            self.find(event, f"data does not match the {schema} schema: {loc}: {first['msg']}", where)
        except (ValueError, TypeError, LookupError, ArithmeticError, RecursionError) as e:
            self.find(event, f"data cannot be read as {schema}: {e!r}", where)

    def _hash(self, event: Envelope, where: str) -> None:
        try:
            computed = event.compute_hash()
        except (ValueError, TypeError, OverflowError) as e:  # a value the canonical bytes cannot hold
            self.find(event, f"hash cannot be recomputed: {e}", where)
            return
        if computed != event.hash:
            problem = "hash does not match the event's content (altered after it was recorded)"
            self.find(event, problem, where)

    def find(self, event: Envelope, problem: str, where: str = "") -> None:
        self.findings.append(Finding(event.id, event.stream, event.version, problem, where))

    def _general(self, problem: str) -> None:
        self.findings.append(Finding("-", "-", 0, problem, "manifest"))

    @property
    def clean(self) -> bool:
        return not self.findings


def _area(stream: str) -> str:
    try:
        return area_of_stream(stream)
    except ValueError:
        return "(no area)"


class LineOrder:
    """Checks that an export's lines keep the log's layout: each topic-partition's lines
    together, topics in area order. A line whose neighbours before and after both belong to
    another partition was moved there (a valid file can never show that)."""

    def __init__(self, partitions: int) -> None:
        self._topology = Topology("", partitions)
        self._window: list[tuple[tuple[int, int], Envelope, str]] = []

    def place(self, event: Envelope) -> tuple[int, int]:
        area = _area(event.stream)
        if area not in AREAS:
            return (len(AREAS), 0)  # a stream of no known area: a finding of its own already
        return (AREAS.index(area), self._topology.partition_for(event.stream))

    def add(self, event: Envelope, where: str, verification: Verification) -> None:
        self._window = [*self._window[-2:], (self.place(event), event, where)]
        if len(self._window) == 3:
            (before, _, _), (middle, moved, at), (after, _, _) = self._window
            if before == after != middle and middle[0] < len(AREAS):
                area, partition = AREAS[middle[0]], middle[1]
                verification.find(
                    moved,
                    f"out of log order: an event of {area}[{partition}] among the lines of another partition",
                    at,
                )
