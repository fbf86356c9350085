"""Positions in the log: the next offset to read per topic-partition, and their opaque tokens.

A token is what a client gets back from a write and hands to a read (``min_position``); it
must round-trip exactly and reject anything it did not produce with a clear error.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import orjson

_TOKEN_PREFIX = "p1."
_MAX_TOKEN_LENGTH = 16_384


class InvalidPosition(ValueError):
    """A position token that this ledger did not issue."""


class TopicPartition(NamedTuple):
    topic: str
    partition: int


@dataclass(frozen=True, slots=True)
class Position(Mapping[TopicPartition, int]):
    """Next offset to read per topic-partition; a missing partition means offset 0."""

    offsets: Mapping[TopicPartition, int]

    @classmethod
    def empty(cls) -> Position:
        return cls({})

    @classmethod
    def after(cls, records: Iterable[tuple[str, int, int]]) -> Position:
        """The position just past every (topic, partition, offset) given."""
        offsets: dict[TopicPartition, int] = {}
        for topic, partition, offset in records:
            tp = TopicPartition(topic, partition)
            offsets[tp] = max(offsets.get(tp, 0), offset + 1)
        return cls(offsets)

    def __getitem__(self, tp: TopicPartition) -> int:
        return self.offsets[tp]

    def __iter__(self) -> Iterator[TopicPartition]:
        return iter(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets)

    def get_offset(self, tp: TopicPartition) -> int:
        return self.offsets.get(tp, 0)

    def covers(self, other: Position) -> bool:
        """True when everything before ``other`` is also before this position."""
        return all(self.get_offset(tp) >= offset for tp, offset in other.offsets.items())

    def merge(self, other: Position) -> Position:
        """The furthest of both positions, partition by partition."""
        merged = dict(self.offsets)
        for tp, offset in other.offsets.items():
            merged[tp] = max(merged.get(tp, 0), offset)
        return Position(merged)

    def lag_behind(self, end: Position) -> int:
        """How many offsets this position is short of ``end`` in all."""
        return sum(max(0, offset - self.get_offset(tp)) for tp, offset in end.offsets.items())

    def token(self) -> str:
        items = sorted([tp.topic, tp.partition, offset] for tp, offset in self.offsets.items())
        return _TOKEN_PREFIX + base64.urlsafe_b64encode(orjson.dumps(items)).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> Position:
        if len(token) > _MAX_TOKEN_LENGTH or not token.startswith(_TOKEN_PREFIX):
            raise InvalidPosition("not a position token issued by this ledger")
        body = token[len(_TOKEN_PREFIX) :]
        try:
            items = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (binascii.Error, ValueError) as e:
            raise InvalidPosition("position token is corrupt") from e
        if not isinstance(items, list):
            raise InvalidPosition("position token is corrupt")
        offsets: dict[TopicPartition, int] = {}
        for item in items:
            match item:
                case [str(topic), int(partition), int(offset)] if partition >= 0 and offset >= 0:
                    offsets[TopicPartition(topic, partition)] = offset
                case _:
                    raise InvalidPosition("position token is corrupt")
        return cls(offsets)

    def __repr__(self) -> str:
        inner = ", ".join(f"{tp.topic}[{tp.partition}]={o}" for tp, o in sorted(self.offsets.items()))
        return f"Position({inner})"
