"""The runtime's cache of decoded records: kept while a projector still has to read them,
dropped once all have, and never more than its hard bound."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.log import Position, TopicPartition
from ledger.projector.decoding import DecodeCache

TP = TopicPartition("t.inventory", 0)


@dataclass
class Reader:
    offset: int = 0

    @property
    def position(self) -> Position:
        return Position({TP: self.offset})


def fill(cache: DecodeCache, upto: int, start: int = 0) -> None:
    for offset in range(start, upto):
        cache.put((TP.topic, TP.partition, offset), ValueError(str(offset)))


def test_records_a_projector_has_still_to_read_are_kept_up_to_the_hard_bound() -> None:
    slow, fast = Reader(0), Reader(0)
    cache = DecodeCache(soft=80, hard=400)
    cache.readers[TP.topic] = [slow, fast]
    fill(cache, 300)
    assert len(cache) == 300  # the slow one has read none of them
    assert cache.get((TP.topic, 0, 0)) is not None
    fill(cache, 1000, 300)
    assert len(cache) == 400  # the hard bound: the oldest went regardless
    assert cache.get((TP.topic, 0, 599)) is None
    assert cache.get((TP.topic, 0, 600)) is not None


def test_records_every_projector_has_read_go_once_past_the_soft_bound() -> None:
    reader = Reader(0)
    cache = DecodeCache(soft=80, hard=400)
    cache.readers[TP.topic] = [reader]
    for offset in range(0, 2000, 50):
        fill(cache, offset + 50, offset)
        reader.offset = offset + 50  # read as far as decoded
        assert len(cache) <= 80 + 80 // 8 + 50
    assert cache.get((TP.topic, 0, 1999)) is not None  # the latest stay until the next prune
    assert cache.get((TP.topic, 0, 0)) is None


def test_a_runtime_of_one_projection_keeps_nothing() -> None:
    cache = DecodeCache(soft=80, hard=0)
    fill(cache, 10)
    assert len(cache) == 0
