"""Positions in the log: the next offset to read per topic-partition, and their opaque tokens.

A token is what a client gets back from a write and hands to a read (``min_position``); it
must round-trip exactly and reject anything it did not produce with a clear error.

Tokens are compact (``p2.``): per topic, the partitions present and their offsets as varint
deltas (zigzag for the offsets, which may fall from one partition to the next), the whole
deflated and base64url-encoded. Partitions present with offset 0 stay distinct from absent
ones, so a token round-trips exactly. The first form (``p1.``, base64 of JSON triples) is
still read: stored checkpoints and snapshots hold it. ``MAX_TOKEN_LENGTH`` fits a whole-log
token of the largest configuration (16 topics of 1,024 partitions, offsets up to 2**40);
the HTTP server's line and field limits are sized from it.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, NamedTuple

import orjson

_P1: Final = "p1."
_P2: Final = "p2."
MAX_TOKEN_LENGTH: Final = 192 * 1024
_MAX_PACKED = 1 << 20  # a token never inflates past this: 16,384 partitions take about 200 KB
_MAX_PARTITION = (1 << 31) - 1
_MAX_OFFSET = (1 << 63) - 1


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
        return _P2 + base64.urlsafe_b64encode(zlib.compress(_pack(self.offsets), 9)).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str, *, limit: int | None = MAX_TOKEN_LENGTH) -> Position:
        """The position a token stands for. ``limit`` bounds the token's length; ``None`` is
        for tokens read back from our own tables, which may be older and longer."""
        if limit is not None and len(token) > limit:
            raise InvalidPosition("not a position token issued by this ledger")
        if token.startswith(_P2):
            return cls(_unpack(_inflate(_unbase64(token[len(_P2) :]))))
        if token.startswith(_P1):
            return cls(_p1_offsets(token[len(_P1) :]))
        raise InvalidPosition("not a position token issued by this ledger")

    def __repr__(self) -> str:
        inner = ", ".join(f"{tp.topic}[{tp.partition}]={o}" for tp, o in sorted(self.offsets.items()))
        return f"Position({inner})"


def _corrupt() -> InvalidPosition:
    return InvalidPosition("position token is corrupt")


def _unbase64(body: str) -> bytes:
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as e:
        raise _corrupt() from e


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        packed = inflater.decompress(data, _MAX_PACKED)
    except zlib.error as e:
        raise _corrupt() from e
    if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
        raise _corrupt()
    return packed


def _varint(out: bytearray, value: int) -> None:
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _pack(offsets: Mapping[TopicPartition, int]) -> bytes:
    """Per topic in name order: its name, how many partitions, the gaps between their numbers,
    then their offsets as zigzag deltas. Gaps and offsets apart: the gaps are nearly all zero
    and deflate to almost nothing."""
    topics: dict[str, list[tuple[int, int]]] = {}
    for tp, offset in offsets.items():
        topics.setdefault(tp.topic, []).append((tp.partition, offset))
    out = bytearray()
    _varint(out, len(topics))
    for topic in sorted(topics):
        name = topic.encode()
        _varint(out, len(name))
        out += name
        entries = sorted(topics[topic])
        _varint(out, len(entries))
        previous = -1
        for partition, _ in entries:
            _varint(out, partition - previous - 1)
            previous = partition
        previous = 0
        for _, offset in entries:
            delta = offset - previous
            _varint(out, delta << 1 if delta >= 0 else ((-delta) << 1) - 1)
            previous = offset
    return bytes(out)


class _Reader:
    """Reads what ``_pack`` wrote, refusing anything out of bounds or left over."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def varint(self) -> int:
        data, at, value, shift = self.data, self.at, 0, 0
        while True:
            if at >= len(data) or shift > 63:
                raise _corrupt()
            byte = data[at]
            at += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                self.at = at
                return value
            shift += 7

    def text(self) -> str:
        size = self.varint()
        raw = self.data[self.at : self.at + size]
        if len(raw) != size:
            raise _corrupt()
        self.at += size
        try:
            return raw.decode()
        except UnicodeDecodeError as e:
            raise _corrupt() from e


def _unpack(packed: bytes) -> dict[TopicPartition, int]:
    reader = _Reader(packed)
    offsets: dict[TopicPartition, int] = {}
    last_topic: str | None = None
    for _ in range(reader.varint()):
        topic = reader.text()
        if last_topic is not None and topic <= last_topic:
            raise _corrupt()  # names come in order, each once
        last_topic = topic
        count = reader.varint()
        if count > len(packed):
            raise _corrupt()
        partitions: list[int] = []
        partition = -1
        for _ in range(count):
            partition += reader.varint() + 1
            partitions.append(partition)
        if partition > _MAX_PARTITION:
            raise _corrupt()
        offset = 0
        for partition in partitions:
            zigzag = reader.varint()
            offset += -((zigzag + 1) >> 1) if zigzag & 1 else zigzag >> 1
            if not 0 <= offset <= _MAX_OFFSET:
                raise _corrupt()
            offsets[TopicPartition(topic, partition)] = offset
    if reader.at != len(packed):
        raise _corrupt()
    return offsets


def _p1_offsets(body: str) -> dict[TopicPartition, int]:
    try:
        items = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError) as e:
        raise _corrupt() from e
    if not isinstance(items, list):
        raise _corrupt()
    offsets: dict[TopicPartition, int] = {}
    for item in items:
        match item:
            case [str(topic), int(partition), int(offset)] if partition >= 0 and offset >= 0:
                offsets[TopicPartition(topic, partition)] = offset
            case _:
                raise _corrupt()
    return offsets
