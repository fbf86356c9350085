"""``dataschema``: every event names its schema's route, outside the hash, and old events without it
still read and verify."""

from __future__ import annotations

from dataclasses import replace

import orjson
from cloudevents.v1.kafka import KafkaMessage
from cloudevents.v1.kafka import from_binary as sdk_from_binary

from ledger import cloudevents
from ledger.audit.verify import Verification
from ledger.log import Record
from ledger.log.topology import Topology
from tests.support.events import StreamFactory


def test_every_event_names_the_route_of_its_type_and_schema_version() -> None:
    event = StreamFactory().next("stock:SKU-1@WH-A")
    assert cloudevents.attributes(event)["dataschema"] == "/v1/schemas/StockAdjusted/1"
    assert cloudevents.to_structured(event)["dataschema"] == "/v1/schemas/StockAdjusted/1"
    headers = cloudevents.to_binary(replace(event, schema_version=2).sealed()).headers
    assert ("ce_dataschema", b"/v1/schemas/StockAdjusted/2") in headers

    message = cloudevents.to_binary(event)
    kafka = KafkaMessage(headers=dict(message.headers), key=message.key, value=message.value)
    parsed = sdk_from_binary(kafka)
    assert parsed["dataschema"] == "/v1/schemas/StockAdjusted/1"


def test_dataschema_is_outside_the_hash_and_events_without_it_read_the_same() -> None:
    event = StreamFactory().next("order:SO-1")
    assert b"dataschema" not in event.canonical_bytes()
    assert event.compute_hash() == event.hash

    message = cloudevents.to_binary(event)
    without = [(name, value) for name, value in message.headers if name != "ce_dataschema"]
    assert cloudevents.from_binary(without, message.value) == event
    line = orjson.loads(orjson.dumps(cloudevents.to_structured(event)))
    del line["dataschema"]
    assert cloudevents.from_structured(line) == event


def test_a_type_that_is_no_path_segment_is_escaped_in_its_dataschema() -> None:
    assert cloudevents.dataschema("Odd/Type ?", 3) == "/v1/schemas/Odd%2FType%20%3F/3"


TOPOLOGY = Topology("t", 2)  # places records as a log of that prefix does


def _record(headers: list[tuple[str, bytes]], value: bytes, stream: str) -> Record:
    topic, partition = TOPOLOGY.place(stream)
    return Record(topic, partition, 0, stream.encode(), tuple(headers), value)


def test_verify_names_a_record_whose_dataschema_is_not_its_own_and_takes_one_without() -> None:
    event = StreamFactory().next("stock:SKU-1@WH-A")
    message = cloudevents.to_binary(event)
    wrong = [(n, b"/v1/schemas/OrderPlaced/1" if n == "ce_dataschema" else v) for n, v in message.headers]
    without = [(n, v) for n, v in message.headers if n != "ce_dataschema"]

    verification = Verification()
    for headers in (message.headers, without, wrong):
        verification.check_record(_record(headers, message.value, event.stream), TOPOLOGY)

    named = [f.problem for f in verification.findings if "dataschema" in f.problem]
    assert named == [
        "dataschema '/v1/schemas/OrderPlaced/1' is not its own type and version's, "
        "/v1/schemas/StockAdjusted/1"
    ]
