"""Which topic and partition a stream lives on.

One topic per business area, keyed by stream, so a stream's events stay in order on one
partition. The partitioner is Kafka's default (murmur2 of the key), so any Kafka client that
produces or reads by key agrees with ours, and both backends place every stream alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from aiokafka.partitioner import murmur2

from ledger.log.position import TopicPartition
from schemas.registry import AREAS, area_of_stream


@dataclass(frozen=True)
class Topology:
    prefix: str
    partitions: int

    @cached_property
    def topics(self) -> tuple[str, ...]:
        return tuple(f"{self.prefix}.{area}" for area in AREAS)

    @cached_property
    def topic_partitions(self) -> tuple[TopicPartition, ...]:
        return tuple(TopicPartition(t, p) for t in self.topics for p in range(self.partitions))

    def topic_for(self, stream: str) -> str:
        return f"{self.prefix}.{area_of_stream(stream)}"

    def partition_for(self, stream: str) -> int:
        return int(murmur2(stream.encode()) & 0x7FFFFFFF) % self.partitions
