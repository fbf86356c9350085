"""Decoding log records once for all the projectors of a runtime that read them, and only the
records a projection applies."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection
from typing import Protocol

from ledger.envelope import Envelope
from ledger.log import Position, Record, TopicPartition
from schemas import Event, decode_event


class Reader(Protocol):
    """A projector as the cache sees it: how far it has read."""

    @property
    def position(self) -> Position: ...


Decoded = tuple[Envelope, Event | None] | Exception
"""A record's envelope and event (None when not built: read for envelopes only), or why it
cannot be read."""

_TYPE_AT = 3  # where ``to_binary`` puts the ``ce_type`` header; other producers are searched


def wanted_by(projection: object, records: list[Record]) -> list[Record]:
    """The records whose events ``projection`` applies: all of them, unless it names the event
    types it applies as ``event_types``, a collection of type tags.

    A projection reads whole topics (its position must pass every record of them), yet most
    apply a few types: quality reads the inventory topic for receipts and quarantines, and
    nine of ten of its records are reservations and issues. Decoding costs far more than
    projecting, so the others are passed over by their ``ce_type`` header alone. A record
    without one is kept: decoding it says why it is unreadable, and it is parked.
    """
    types: Collection[str] | None = getattr(projection, "event_types", None)
    if types is None:
        return records
    tags = {t.encode() for t in types}
    kept: list[Record] = []
    for record in records:
        headers = record.headers
        if len(headers) > _TYPE_AT and headers[_TYPE_AT][0] == "ce_type":
            tag: bytes | None = headers[_TYPE_AT][1]
        else:
            tag = next((value for name, value in headers if name == "ce_type"), None)
        if tag is None or tag in tags:
            kept.append(record)
    return kept


def envelopes_only(projection: object) -> bool:
    """Whether ``projection`` reads envelopes alone (``envelopes_only = True``): no event is
    built for it."""
    return bool(getattr(projection, "envelopes_only", False))


def decode(record: Record, *, events: bool = True) -> Decoded:
    """The record's envelope and, with ``events``, its event; or why it cannot be read.

    The event is built without validating its data again (``decode_event``): the writer
    validated it before appending it, and ``ledger verify`` is where the log is re-checked.
    """
    try:
        envelope = record.envelope()
    except Exception as e:
        return e
    return with_event(envelope) if events else (envelope, None)


def with_event(envelope: Envelope) -> Decoded:
    """The envelope with its event built, or why the event cannot be."""
    try:
        return envelope, decode_event(envelope.type, envelope.schema_version, envelope.data)
    except Exception as e:
        return e


class DecodeCache:
    """Records decoded lately, shared by a runtime's projectors.

    Several projections read the same topics (every one reads inventory's); while they catch
    up together each record would be decoded once per projection, and decoding costs more
    than projecting. An entry goes once every projector that reads its topic has passed it;
    past ``soft`` entries those are dropped, and past ``hard`` the oldest go regardless (a
    projector that far behind decodes for itself). Measured on a year's history, all five
    projections: a plain 20k-entry cache decoded each record 2.2 times, this one once.
    Pruning looks at the readers again only every ``soft // 8`` entries: looking on every
    entry past ``soft`` cost a tenth of a catch-up of every projection at once.
    """

    def __init__(self, soft: int, hard: int) -> None:
        self.soft, self.hard = soft, hard
        self.readers: dict[str, list[Reader]] = {}
        # Ordered by insertion; an OrderedDict finds its oldest key at once, where a dict
        # emptied from the front scans the holes left behind.
        self._entries: OrderedDict[tuple[str, int, int], Decoded] = OrderedDict()
        self._slack = max(1, soft // 8)
        self._prune_at = min(soft, hard)

    def get(self, seq: tuple[str, int, int]) -> Decoded | None:
        return self._entries.get(seq)

    def put(self, seq: tuple[str, int, int], outcome: Decoded) -> Decoded:
        if not self.hard:
            return outcome
        entries = self._entries
        if len(entries) >= self._prune_at:
            self._prune()
            self._prune_at = min(max(len(entries), self.soft) + self._slack, self.hard)
        entries[seq] = outcome
        return outcome

    def __len__(self) -> int:
        return len(self._entries)

    def _prune(self) -> None:
        entries = self._entries
        while entries:
            oldest = next(iter(entries))
            if len(entries) < self.hard and self._wanted(oldest):
                return
            entries.popitem(last=False)

    def _wanted(self, seq: tuple[str, int, int]) -> bool:
        topic, partition, offset = seq
        tp = TopicPartition(topic, partition)
        return any(p.position.get_offset(tp) <= offset for p in self.readers.get(topic, ()))
