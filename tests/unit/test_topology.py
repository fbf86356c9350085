"""Streams are placed as Kafka's default partitioner places their keys, on both backends."""

from __future__ import annotations

from aiokafka.partitioner import murmur2 as kafka_murmur2
from hypothesis import given
from hypothesis import strategies as st

from ledger.log.topology import Topology, murmur2


@given(st.binary(max_size=200))
def test_murmur2_is_kafkas(data: bytes) -> None:
    assert murmur2(data) == kafka_murmur2(data)


def test_a_stream_goes_to_its_areas_topic_and_its_keys_partition() -> None:
    topology = Topology("t", 6)
    for stream in ("stock:SKU-1@WH-A", "order:SO-1", "principal:ops", "lot:L-1"):
        topic, partition = topology.place(stream)
        assert (topic, partition) == (topology.topic_for(stream), topology.partition_for(stream))
        assert partition == (kafka_murmur2(stream.encode()) & 0x7FFFFFFF) % 6
    assert topology.place("stock:SKU-1@WH-A")[0] == "t.inventory"
