"""The last records the tail read, kept in memory, so followers at the log's end read no log.

The window holds, per partition, every record from its ``floor`` up to the tail's ``end``: a
follower standing at or past every floor is served from here alone, in the order the tail
read them (per partition, the log's order). Each record is encoded once, for however many
followers it is served to. The oldest records leave as new ones come (``capacity``), raising
their partition's floor; a follower behind a floor reads the log itself.
"""

from __future__ import annotations

import bisect
import itertools
from collections import deque
from dataclasses import dataclass, field

from ledger.feed.pages import Page, Pager, encode, event_type
from ledger.log import Position, Record, TopicPartition


@dataclass(slots=True)
class _Entry:
    seq: int
    record: Record
    kind: str
    _json: bytes | None = field(default=None)

    def json(self) -> bytes:
        if self._json is None:
            self._json = encode(self.record)
        return self._json


class Window:
    def __init__(self, start: Position, capacity: int) -> None:
        """``start``: where the tail begins (the log's end then); nothing before it is held."""
        self._floor: dict[TopicPartition, int] = dict(start.offsets)
        self._end = start
        self._capacity = capacity
        self._oldest: deque[_Entry] = deque()
        self._parts: dict[TopicPartition, deque[_Entry]] = {}
        self._seq = 0

    @property
    def end(self) -> Position:
        return self._end

    def __len__(self) -> int:
        return len(self._oldest)

    def add(self, records: list[Record], end: Position) -> None:
        """Records the tail read, in its order, and where its reader stands after them."""
        for record in records:
            self._seq += 1
            entry = _Entry(self._seq, record, event_type(record))
            tp = record.tp
            self._oldest.append(entry)
            self._parts.setdefault(tp, deque()).append(entry)
        self._end = self._end.merge(end)
        while len(self._oldest) > self._capacity:
            gone = self._oldest.popleft()
            tp = gone.record.tp
            self._parts[tp].popleft()
            self._floor[tp] = gone.record.offset + 1

    def holds(self, position: Position) -> bool:
        """True when every record after ``position`` up to the end is here."""
        return all(position.get_offset(tp) >= floor for tp, floor in self._floor.items())

    def covers(self, position: Position) -> bool:
        """True when ``position`` stands at or past the end: nothing here is new to it."""
        return position.covers(self._end)

    def page(self, position: Position, types: frozenset[str] | None, limit: int) -> Page:
        """The page after ``position`` (which ``holds`` must accept)."""
        pending: list[_Entry] = []
        for tp, entries in self._parts.items():
            first = bisect.bisect_left(entries, position.get_offset(tp), key=_offset)
            pending.extend(itertools.islice(entries, first, None))
        pending.sort(key=lambda e: e.seq)
        pager = Pager(position, types, limit)
        taken = 0
        for entry in pending:
            if pager.full:
                break
            pager.offer(entry.record, entry.kind, entry.json)
            taken += 1
        left = {e.record.tp for e in pending[taken:]}
        # A partition read to the end here is read to the tail's end: past its commit markers too.
        pager.passed(self._end, [tp for tp in self._end if tp not in left])
        return pager.page()


def _offset(entry: _Entry) -> int:
    return entry.record.offset
