"""A page of the event feed: the items a follower gets and the position it resumes from.

Whatever a page reads it consumes in order, matching or not, so ``next`` is past every record
it looked at: a follower filtering by type never reads the skipped records again, and
``after=next`` resumes with nothing missing and nothing twice. Each item also carries the
position just after it (an SSE message's ``id``), so a client cut off in the middle of a page
resumes exactly after the last item it received.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ledger.audit.exchange import encode_line
from ledger.log import Position, Record, TopicPartition


def event_type(record: Record) -> str:
    """The record's CloudEvents type, read from its header without decoding the event."""
    for name, value in record.headers:
        if name == "ce_type":
            return value.decode(errors="replace")
    return ""


def encode(record: Record) -> bytes:
    """The event as one structured CloudEvents JSON object, spelled exactly as ``ledger export``
    writes its lines (by the same function), without the line's newline."""
    return encode_line(record.envelope())[:-1]


@dataclass(frozen=True, slots=True)
class Item:
    json: bytes
    after: Position


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Item]
    next: Position


class Pager:
    """Builds a page from records offered in log order, up to ``limit`` matching items."""

    def __init__(self, start: Position, types: frozenset[str] | None, limit: int) -> None:
        self._offsets: dict[TopicPartition, int] = dict(start.offsets)
        self._types = types
        self._limit = limit
        self.items: list[Item] = []
        self.looked_at = 0

    @property
    def full(self) -> bool:
        return len(self.items) >= self._limit

    @property
    def wanted(self) -> int:
        return self._limit - len(self.items)

    def offer(self, record: Record, kind: str, json: Callable[[], bytes]) -> None:
        """Consume one record; it becomes an item when its type is wanted."""
        tp = record.tp
        if record.offset < self._offsets.get(tp, 0):
            return  # before where the follower stands: never served twice
        self._offsets[tp] = record.offset + 1
        self.looked_at += 1
        if self._types is None or kind in self._types:
            self.items.append(Item(json(), Position(dict(self._offsets))))

    def passed(self, position: Position, tps: Iterable[TopicPartition]) -> None:
        """Everything of ``tps`` before ``position`` was looked at (Kafka's commit markers, say)."""
        for tp in tps:
            self._offsets[tp] = max(self._offsets.get(tp, 0), position.get_offset(tp))

    def page(self) -> Page:
        """The page; the last item's position is the page's end, past whatever was skipped after it."""
        end = Position(dict(self._offsets))
        items = self.items
        if items and items[-1].after != end:
            items = [*items[:-1], Item(items[-1].json, end)]
        return Page(items, end)
